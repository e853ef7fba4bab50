/**
 * A fake of Jira Data Center / Server REST v2 on loopback, for tests and the
 * demo, as strict as the real one where the runner could get it wrong:
 * - `Authorization: Bearer <PAT>` (or Basic, when configured for a Server
 *   install without PATs); anything else answers 401;
 * - bodies are wiki markup strings (an ADF object as a comment body is a 400);
 * - users are named by `name` and `key` (no `accountId`); assignment takes
 *   `{"name": …}` (an `accountId` body is a 400);
 * - comments paginate by `startAt`/`maxResults`/`total`;
 * - transitions list their screen fields with `expand=transitions.fields`,
 *   and "Close Issue" (→ Done) requires a Resolution: without one it answers
 *   400 like Jira, and a field not on a transition's screen is refused;
 * - `/rest/api/2/serverInfo` answers anonymously with `deploymentType: "Server"`;
 * - attachments (`fields.attachment`, `/secure/attachment/{id}/{name}`) and
 *   issue links (`fields.issuelinks`) in their v2 shapes;
 * - faults: 429 with `Retry-After` and Data Center's `X-RateLimit-*` headers,
 *   503/500, late answers, and writes that fail after being applied.
 *
 * The state API mirrors the Cloud fake's (`jira_server.ts`) with usernames in
 * place of account ids and wiki markup in place of ADF, so the same loop
 * harness drives both. Builders for the two webhook bodies Jira DC sends
 * (Automation's "Send web request" and the native `jira:issue_updated`) live
 * here too.
 *
 * @module
 */
import { wikiToText } from "../jira/datacenter/wiki_to_text.ts";

/** A user of the fake Data Center site. */
export interface FakeDcUser {
  /** The username (`name`): what `[~name]` and `{"name": …}` use. */
  name: string;
  /** The stable user key (`JIRAUSER10100` on newer sites, the first username on older ones). */
  key: string;
  displayName: string;
  emailAddress?: string;
}

/** The AI Runner's own account (the PAT's owner). */
export const FAKE_DC_AI_USER: FakeDcUser = {
  name: "ai-runner",
  key: "JIRAUSER10100",
  displayName: "AI Runner",
  emailAddress: "ai-runner@example.com",
};

/** The reviewer. */
export const FAKE_DC_REVIEWER: FakeDcUser = {
  name: "leigh",
  key: "JIRAUSER10101",
  displayName: "Leigh Reviewer",
  emailAddress: "leigh@example.com",
};

/** A reporter (an older account: its key is its first username). */
export const FAKE_DC_REPORTER: FakeDcUser = {
  name: "pat",
  key: "pat",
  displayName: "Pat Reporter",
  emailAddress: "pat@example.com",
};

/** The personal access token the fake accepts by default. */
export const FAKE_DC_PAT = "fake-dc-pat-NjQ1MzI0OTg3NjU0OkFCQ0RFRkdISUo";

/** A status of the fake workflow. */
export interface FakeDcStatus {
  id: string;
  name: string;
  categoryKey: "new" | "indeterminate" | "done";
}

/** A field on a transition's screen. */
export interface FakeDcScreenField {
  id: string;
  name: string;
  required: boolean;
  schemaType: string;
  allowedValues?: { id: string; name: string }[];
}

/** A transition of the fake workflow. */
export interface FakeDcTransitionDef {
  id: string;
  name: string;
  to: string;
  from?: string[];
  /** Fields on its screen (absent: no screen, no field may be set). */
  screen?: FakeDcScreenField[];
}

/** Statuses and transitions; the first status is where new issues start. */
export interface FakeDcWorkflow {
  statuses: FakeDcStatus[];
  transitions: FakeDcTransitionDef[];
}

/** Jira's resolutions. */
export const DC_RESOLUTIONS = [
  { id: "10000", name: "Done" },
  { id: "10001", name: "Won't Do" },
  { id: "10002", name: "Duplicate" },
];

/**
 * To Do → In Progress → In Testing → Done, transition names differing from
 * target statuses; closing requires a Resolution (a screen with a required field).
 */
export const DC_DEFAULT_WORKFLOW: FakeDcWorkflow = {
  statuses: [
    { id: "10000", name: "To Do", categoryKey: "new" },
    { id: "3", name: "In Progress", categoryKey: "indeterminate" },
    { id: "10001", name: "In Testing", categoryKey: "indeterminate" },
    { id: "10002", name: "Done", categoryKey: "done" },
  ],
  transitions: [
    { id: "11", name: "To Do", to: "To Do" },
    { id: "21", name: "Start Progress", to: "In Progress", from: ["To Do", "In Testing"] },
    { id: "31", name: "Ready for Testing", to: "In Testing", from: ["To Do", "In Progress"] },
    {
      id: "41",
      name: "Close Issue",
      to: "Done",
      from: ["To Do", "In Progress", "In Testing"],
      screen: [{
        id: "resolution",
        name: "Resolution",
        required: true,
        schemaType: "resolution",
        allowedValues: DC_RESOLUTIONS,
      }],
    },
    { id: "51", name: "Reopen", to: "In Progress", from: ["Done"] },
  ],
};

/** An attachment to seed. */
export interface FakeDcAttachmentInit {
  filename: string;
  mimeType?: string;
  content: string | Uint8Array;
  author?: string;
}

/** A link to another issue to seed. */
export interface FakeDcLinkInit {
  /** Link type name, e.g. `Blocks`. */
  type: string;
  inward: string;
  outward: string;
  /** The other issue's key; it must exist when the issue is read. */
  to: string;
  /** `outward`: this issue `blocks` the other; `inward`: it `is blocked by` it. */
  direction: "outward" | "inward";
}

/** What to seed an issue with. */
export interface FakeDcIssueInit {
  key: string;
  summary?: string;
  /** Wiki markup (Data Center's own format); absent: no description. */
  description?: string;
  status?: string;
  labels?: string[];
  components?: string[];
  /** Username, or null (default). */
  assignee?: string | null;
  reporter?: string;
  issueType?: string;
  customFields?: Record<string, unknown>;
  attachments?: FakeDcAttachmentInit[];
  links?: FakeDcLinkInit[];
}

/** What to seed a comment with. */
export interface FakeDcCommentInit {
  /** Username of a known user, or a user (added to the site). */
  author: string | FakeDcUser;
  /** Wiki markup. */
  body: string;
  created?: Date | string;
  updated?: Date | string;
}

/** A comment as the state API shows it. */
export interface FakeDcCommentView {
  id: string;
  author: FakeDcUser;
  /** The wiki markup as stored. */
  body: string;
  /** The body as Markdown-ish text. */
  text: string;
  created: string;
  updated: string;
  source: "api" | "seed";
}

/** An issue as the state API shows it. */
export interface FakeDcIssueView {
  key: string;
  id: string;
  summary: string;
  description: string | null;
  status: FakeDcStatus;
  resolution: string | null;
  assignee: FakeDcUser | null;
  labels: string[];
  components: string[];
  updated: string;
}

/** A fault for the next matching request(s). */
export interface FakeDcFault {
  times?: number;
  method?: string;
  path?: string | RegExp;
  status?: number;
  retryAfterSeconds?: number;
  /** Sent as `X-RateLimit-Interval-Seconds` on a 429 (default 1). */
  intervalSeconds?: number;
  delayMs?: number;
  applyThenFail?: boolean;
  body?: unknown;
}

/** One request the fake received. */
export interface FakeDcRequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  body?: unknown;
  /** `bearer`, `basic` or null when the credentials were refused or absent. */
  auth: "bearer" | "basic" | null;
  status: number;
  fault?: string;
}

/** Options of {@link startFakeJiraDc}. */
export interface FakeJiraDcOptions {
  /** The PAT accepted as `Authorization: Bearer` (default {@link FAKE_DC_PAT}). */
  pat?: string;
  /** Basic credentials also accepted (a Server install without PATs); default none. */
  basic?: { username: string; password: string };
  myself?: FakeDcUser;
  users?: FakeDcUser[];
  workflow?: FakeDcWorkflow;
  issues?: FakeDcIssueInit[];
  /** Most comments per page whatever `maxResults` asks (default 100). */
  maxCommentsPerPage?: number;
  /** What `/serverInfo` says (default `Server`; `Cloud` plays a Cloud site). */
  deploymentType?: string;
  /** Require the Resolution on "Close Issue" (default true). */
  requireResolution?: boolean;
  hostname?: string;
  port?: number;
  now?: () => Date;
}

/** A running fake Jira Data Center. */
export interface FakeJiraDc {
  url: string;
  state: FakeJiraDcState;
  requests: FakeDcRequestRecord[];
  injectFault(fault: FakeDcFault): void;
  close(): Promise<void>;
}

interface IssueRecord {
  key: string;
  id: string;
  summary: string;
  description: string | null;
  status: FakeDcStatus;
  resolution: { id: string; name: string } | null;
  labels: string[];
  components: string[];
  assignee: string | null;
  reporter: string | null;
  issueType: string;
  customFields: Record<string, unknown>;
  created: Date;
  updated: Date;
  comments: CommentRecord[];
  attachments: AttachmentRecord[];
  links: FakeDcLinkInit[];
}

interface CommentRecord {
  id: string;
  author: string;
  body: string;
  created: Date;
  updated: Date;
  source: "api" | "seed";
}

interface AttachmentRecord {
  id: string;
  filename: string;
  mimeType: string;
  bytes: Uint8Array;
  author: string;
  created: Date;
}

/** Jira's time format: `2024-05-01T09:30:00.000+0000`. */
export function dcJiraTime(date: Date): string {
  return date.toISOString().replace("Z", "+0000");
}

function toDate(value: Date | string | undefined, fallback: Date): Date {
  if (value === undefined) return fallback;
  return value instanceof Date ? value : new Date(value);
}

/** The fake's data: seed it, read it, change it. */
export class FakeJiraDcState {
  readonly myself: FakeDcUser;
  readonly workflow: FakeDcWorkflow;
  readonly #users = new Map<string, FakeDcUser>();
  readonly #issues = new Map<string, IssueRecord>();
  readonly #now: () => Date;
  #nextIssueId = 10001;
  #nextCommentId = 10000;
  #nextAttachmentId = 10200;

  /** An empty site with these users and workflow. */
  constructor(myself: FakeDcUser, users: FakeDcUser[], workflow: FakeDcWorkflow, now: () => Date) {
    this.myself = myself;
    this.workflow = workflow;
    this.#now = now;
    for (const u of [myself, ...users]) this.#users.set(u.name, u);
  }

  /** Adds (or replaces) a user. */
  addUser(user: FakeDcUser): void {
    this.#users.set(user.name, user);
  }

  /** The user with this username (or key), if known. */
  user(nameOrKey: string): FakeDcUser | undefined {
    return this.#users.get(nameOrKey) ?? [...this.#users.values()].find((u) => u.key === nameOrKey);
  }

  /** Creates an issue. */
  createIssue(init: FakeDcIssueInit): FakeDcIssueView {
    if (this.#issues.has(init.key)) throw new Error(`issue ${init.key} exists`);
    const now = this.#now();
    const record: IssueRecord = {
      key: init.key,
      id: String(this.#nextIssueId++),
      summary: init.summary ?? `Issue ${init.key}`,
      description: init.description ?? null,
      status: this.status(init.status ?? this.workflow.statuses[0].name),
      resolution: null,
      labels: init.labels ?? [],
      components: init.components ?? [],
      assignee: init.assignee ?? null,
      reporter: init.reporter ?? null,
      issueType: init.issueType ?? "Task",
      customFields: init.customFields ?? {},
      created: now,
      updated: now,
      comments: [],
      attachments: (init.attachments ?? []).map((a) => ({
        id: String(this.#nextAttachmentId++),
        filename: a.filename,
        mimeType: a.mimeType ?? "application/octet-stream",
        bytes: typeof a.content === "string" ? new TextEncoder().encode(a.content) : a.content,
        author: a.author ?? init.reporter ?? this.myself.name,
        created: now,
      })),
      links: init.links ?? [],
    };
    this.#issues.set(record.key, record);
    return this.issue(record.key);
  }

  /** The issue with this key; throws when unknown. */
  issue(key: string): FakeDcIssueView {
    const r = this.#record(key);
    return {
      key: r.key,
      id: r.id,
      summary: r.summary,
      description: r.description,
      status: r.status,
      resolution: r.resolution?.name ?? null,
      assignee: r.assignee ? this.user(r.assignee) ?? null : null,
      labels: [...r.labels],
      components: [...r.components],
      updated: dcJiraTime(r.updated),
    };
  }

  /** Adds a comment as some user (not through REST). */
  addComment(key: string, init: FakeDcCommentInit): FakeDcCommentView {
    const r = this.#record(key);
    if (typeof init.author !== "string") this.addUser(init.author);
    const author = typeof init.author === "string" ? init.author : init.author.name;
    const created = toDate(init.created, this.#now());
    const comment = this.#pushComment(r, author, init.body, created, "seed");
    comment.updated = toDate(init.updated, created);
    return this.#commentView(comment);
  }

  /** Edits a comment's body (its `updated` moves on). */
  editComment(key: string, id: string, body: string, updated?: Date | string): void {
    const c = this.#record(key).comments.find((c) => c.id === id);
    if (!c) throw new Error(`no comment ${id} on ${key}`);
    c.body = body;
    c.updated = toDate(updated, this.#now());
  }

  /** Every comment on the issue, oldest first. */
  comments(key: string): FakeDcCommentView[] {
    return this.#record(key).comments.map((c) => this.#commentView(c));
  }

  /** The comments posted through REST (by the runner). */
  postedComments(key: string): FakeDcCommentView[] {
    return this.comments(key).filter((c) => c.source === "api");
  }

  /** Sets the status directly (as a person would in the UI). */
  setStatus(key: string, statusName: string): void {
    const r = this.#record(key);
    r.status = this.status(statusName);
    r.updated = this.#now();
  }

  /** Sets the assignee (a username) directly. */
  setAssignee(key: string, name: string | null): void {
    const r = this.#record(key);
    r.assignee = name;
    r.updated = this.#now();
  }

  /** @internal The record behind an issue key or id. */
  find(keyOrId: string): IssueRecord | undefined {
    return this.#issues.get(keyOrId) ?? [...this.#issues.values()].find((i) => i.id === keyOrId);
  }

  /** @internal The attachment with this id, and its issue. */
  attachment(id: string): { issue: IssueRecord; attachment: AttachmentRecord } | undefined {
    for (const issue of this.#issues.values()) {
      const attachment = issue.attachments.find((a) => a.id === id);
      if (attachment) return { issue, attachment };
    }
    return undefined;
  }

  /** @internal Records a comment posted through REST. */
  postComment(issue: IssueRecord, body: string): CommentRecord {
    return this.#pushComment(issue, this.myself.name, body, this.#now(), "api");
  }

  /** @internal The transitions available on an issue now. */
  availableTransitions(issue: IssueRecord): FakeDcTransitionDef[] {
    return this.workflow.transitions.filter((t) =>
      t.from ? t.from.includes(issue.status.name) : t.to !== issue.status.name
    );
  }

  /** @internal Moves an issue to a status, with a resolution or none. */
  moveTo(issue: IssueRecord, statusName: string, resolution: { id: string; name: string } | null) {
    issue.status = this.status(statusName);
    issue.resolution = resolution;
    issue.updated = this.#now();
  }

  /** @internal Assigns an issue. */
  assignRecord(issue: IssueRecord, name: string | null): void {
    issue.assignee = name;
    issue.updated = this.#now();
  }

  /** A status by name; throws when unknown. */
  status(name: string): FakeDcStatus {
    const s = this.workflow.statuses.find((s) => s.name === name);
    if (!s) throw new Error(`no status ${name} in the workflow`);
    return s;
  }

  #record(key: string): IssueRecord {
    const r = this.find(key);
    if (!r) throw new Error(`no issue ${key}`);
    return r;
  }

  #pushComment(
    issue: IssueRecord,
    author: string,
    body: string,
    created: Date,
    source: "api" | "seed",
  ): CommentRecord {
    const comment: CommentRecord = {
      id: String(this.#nextCommentId++),
      author,
      body,
      created,
      updated: created,
      source,
    };
    issue.comments.push(comment);
    issue.comments.sort((a, b) => a.created.getTime() - b.created.getTime());
    issue.updated = this.#now();
    return comment;
  }

  #commentView(c: CommentRecord): FakeDcCommentView {
    return {
      id: c.id,
      author: this.user(c.author) ?? { name: c.author, key: c.author, displayName: c.author },
      body: c.body,
      text: wikiToText(c.body),
      created: dcJiraTime(c.created),
      updated: dcJiraTime(c.updated),
      source: c.source,
    };
  }
}

const CATEGORY = {
  new: { id: 2, colorName: "blue-gray", name: "To Do" },
  indeterminate: { id: 4, colorName: "yellow", name: "In Progress" },
  done: { id: 3, colorName: "green", name: "Done" },
} as const;

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json;charset=UTF-8", ...headers },
  });
}

function jiraError(status: number, messages: string[], errors: Record<string, string> = {}) {
  return json(status, { errorMessages: messages, errors });
}

const NOT_FOUND = "Issue Does Not Exist";

/** The v2 REST surface over a {@link FakeJiraDcState}. */
class FakeJiraDcApi {
  constructor(
    readonly state: FakeJiraDcState,
    readonly base: () => string,
    readonly maxPerPage: number,
    readonly requireResolution: boolean,
  ) {}

  user(name: string | null): unknown {
    const u = name ? this.state.user(name) : undefined;
    if (!u) return null;
    return {
      self: `${this.base()}/rest/api/2/user?username=${encodeURIComponent(u.name)}`,
      name: u.name,
      key: u.key,
      emailAddress: u.emailAddress,
      avatarUrls: { "48x48": `${this.base()}/secure/useravatar?ownerId=${u.key}` },
      displayName: u.displayName,
      active: true,
      timeZone: "Etc/UTC",
    };
  }

  status(s: FakeDcStatus): unknown {
    const c = CATEGORY[s.categoryKey];
    return {
      self: `${this.base()}/rest/api/2/status/${s.id}`,
      description: "",
      iconUrl: `${this.base()}/images/icons/statuses/generic.png`,
      name: s.name,
      id: s.id,
      statusCategory: {
        self: `${this.base()}/rest/api/2/statuscategory/${c.id}`,
        id: c.id,
        key: s.categoryKey,
        colorName: c.colorName,
        name: c.name,
      },
    };
  }

  linkedIssue(key: string): unknown {
    const r = this.state.find(key);
    if (!r) return { key, fields: { summary: "", status: null } };
    return {
      id: r.id,
      key: r.key,
      self: `${this.base()}/rest/api/2/issue/${r.id}`,
      fields: { summary: r.summary, status: this.status(r.status) },
    };
  }

  issue(r: IssueRecord, wanted: string | null): Response {
    const all: Record<string, unknown> = {
      summary: r.summary,
      description: r.description,
      status: this.status(r.status),
      resolution: r.resolution
        ? { self: `${this.base()}/rest/api/2/resolution/${r.resolution.id}`, ...r.resolution }
        : null,
      labels: r.labels,
      components: r.components.map((name, i) => ({
        self: `${this.base()}/rest/api/2/component/${10000 + i}`,
        id: String(10000 + i),
        name,
      })),
      assignee: this.user(r.assignee),
      reporter: this.user(r.reporter),
      issuetype: {
        self: `${this.base()}/rest/api/2/issuetype/3`,
        id: "3",
        description: "",
        iconUrl: `${this.base()}/secure/viewavatar?size=xsmall&avatarId=10318&avatarType=issuetype`,
        name: r.issueType,
        subtask: false,
      },
      attachment: r.attachments.map((a) => ({
        self: `${this.base()}/rest/api/2/attachment/${a.id}`,
        id: a.id,
        filename: a.filename,
        author: this.user(a.author),
        created: dcJiraTime(a.created),
        size: a.bytes.length,
        mimeType: a.mimeType,
        content: `${this.base()}/secure/attachment/${a.id}/${encodeURIComponent(a.filename)}`,
      })),
      issuelinks: r.links.map((l, i) => ({
        id: String(10300 + i),
        self: `${this.base()}/rest/api/2/issueLink/${10300 + i}`,
        type: { id: "10000", name: l.type, inward: l.inward, outward: l.outward },
        [l.direction === "outward" ? "outwardIssue" : "inwardIssue"]: this.linkedIssue(l.to),
      })),
      created: dcJiraTime(r.created),
      updated: dcJiraTime(r.updated),
      ...r.customFields,
    };
    const names = wanted?.split(",").map((f) => f.trim()).filter((f) => f !== "");
    const fields = !names || names.includes("*all") || names.includes("*navigable")
      ? all
      : Object.fromEntries(
        names.filter((n) => n in all || n.startsWith("customfield_")).map(
          (n) => [n, all[n] ?? null],
        ),
      );
    return json(200, {
      expand: "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
      id: r.id,
      self: `${this.base()}/rest/api/2/issue/${r.id}`,
      key: r.key,
      fields,
    });
  }

  comment(r: IssueRecord, c: CommentRecord): unknown {
    return {
      self: `${this.base()}/rest/api/2/issue/${r.id}/comment/${c.id}`,
      id: c.id,
      author: this.user(c.author),
      body: c.body,
      updateAuthor: this.user(c.author),
      created: dcJiraTime(c.created),
      updated: dcJiraTime(c.updated),
    };
  }

  listComments(r: IssueRecord, query: URLSearchParams): Response {
    const startAt = Math.max(0, Number(query.get("startAt") ?? 0) || 0);
    const asked = Number(query.get("maxResults") ?? 50);
    const maxResults = Math.min(this.maxPerPage, Number.isFinite(asked) && asked > 0 ? asked : 50);
    const orderBy = query.get("orderBy");
    if (orderBy !== null && !["created", "+created", "-created"].includes(orderBy)) {
      return jiraError(400, [`The orderBy value '${orderBy}' is not supported.`]);
    }
    const ordered = orderBy === "-created" ? [...r.comments].reverse() : r.comments;
    return json(200, {
      startAt,
      maxResults,
      total: ordered.length,
      comments: ordered.slice(startAt, startAt + maxResults).map((c) => this.comment(r, c)),
    });
  }

  addComment(r: IssueRecord, body: unknown): Response {
    const text = (body as { body?: unknown } | null)?.body;
    if (typeof text !== "string") {
      // Jira DC cannot read an ADF document (or anything else) as a comment body.
      return jiraError(400, [
        "Can not deserialize instance of java.lang.String out of START_OBJECT token",
      ]);
    }
    if (text.trim() === "") {
      return jiraError(400, [], { comment: "Comment body can not be empty!" });
    }
    if (text.length > 32_767) {
      return jiraError(400, [], {
        comment: "The entered text is too long. It exceeds the allowed limit of 32,767 characters.",
      });
    }
    const c = this.state.postComment(r, text);
    return json(201, this.comment(r, c));
  }

  screenFields(t: FakeDcTransitionDef): Record<string, unknown> {
    const screen = (t.screen ?? []).map((f) =>
      f.id === "resolution" && !this.requireResolution ? { ...f, required: false } : f
    );
    return Object.fromEntries(screen.map((f) => [f.id, {
      required: f.required,
      schema: { type: f.schemaType, system: f.id },
      name: f.name,
      key: f.id,
      hasDefaultValue: false,
      operations: ["set"],
      ...(f.allowedValues
        ? {
          allowedValues: f.allowedValues.map((v) => ({
            self: `${this.base()}/rest/api/2/${f.id}/${v.id}`,
            ...v,
          })),
        }
        : {}),
    }]));
  }

  listTransitions(r: IssueRecord, query: URLSearchParams): Response {
    const expand = (query.get("expand") ?? "").split(",").includes("transitions.fields");
    return json(200, {
      expand: "transitions",
      transitions: this.state.availableTransitions(r).map((t) => ({
        id: t.id,
        name: t.name,
        to: this.status(this.state.status(t.to)),
        ...(expand ? { fields: this.screenFields(t) } : {}),
      })),
    });
  }

  transition(r: IssueRecord, body: unknown): Response {
    const b = (body ?? {}) as { transition?: { id?: unknown }; fields?: unknown };
    const id = b.transition?.id;
    if (typeof id !== "string" && typeof id !== "number") {
      return jiraError(400, ["Missing 'transition' identifier"]);
    }
    const t = this.state.availableTransitions(r).find((t) => t.id === String(id));
    if (!t) {
      return jiraError(400, [
        `It seems that you have tried to perform a workflow operation (${id}) that is not valid for the current state of this issue (${r.key}).`,
      ]);
    }
    const fields = typeof b.fields === "object" && b.fields !== null
      ? b.fields as Record<string, unknown>
      : {};
    const screen = this.screenFields(t) as Record<string, { required: boolean }>;
    for (const name of Object.keys(fields)) {
      if (!(name in screen)) {
        return jiraError(400, [], {
          [name]: `Field '${name}' cannot be set. It is not on the appropriate screen, or unknown.`,
        });
      }
    }
    let resolution: { id: string; name: string } | null = null;
    if ("resolution" in screen) {
      const wanted = fields.resolution as { id?: unknown; name?: unknown } | undefined;
      if (wanted !== undefined) {
        resolution = DC_RESOLUTIONS.find((v) =>
          v.id === String(wanted?.id ?? "") || v.name === wanted?.name
        ) ?? null;
        if (!resolution) {
          return jiraError(400, [], { resolution: "Resolution is invalid." });
        }
      } else if (screen.resolution.required) {
        return jiraError(400, [], { resolution: "Resolution is required." });
      } else if (t.to === "Done") resolution = DC_RESOLUTIONS[0];
    }
    this.state.moveTo(r, t.to, resolution);
    return new Response(null, { status: 204 });
  }

  assign(r: IssueRecord, body: unknown): Response {
    if (typeof body !== "object" || body === null || !("name" in body)) {
      // Data Center names users; an accountId body (Cloud's) is not understood.
      return jiraError(400, [], { assignee: "The name of the user is required." });
    }
    const name = (body as { name: unknown }).name;
    if (name === null) this.state.assignRecord(r, null);
    else if (typeof name === "string" && this.state.user(name)) {
      this.state.assignRecord(r, this.state.user(name)!.name);
    } else {
      return jiraError(400, [], { assignee: `User '${String(name)}' cannot be assigned issues.` });
    }
    return new Response(null, { status: 204 });
  }

  myself(): Response {
    return json(200, {
      ...(this.user(this.state.myself.name) as object),
      locale: "en_US",
      groups: { size: 1, items: [] },
      applicationRoles: { size: 1, items: [] },
      expand: "groups,applicationRoles",
    });
  }

  attachmentContent(id: string): Response {
    const found = this.state.attachment(id);
    if (!found) return jiraError(404, ["The attachment does not exist."]);
    return new Response(found.attachment.bytes.slice(), {
      status: 200,
      headers: { "Content-Type": found.attachment.mimeType },
    });
  }

  /** Routes an authorized request. */
  route(method: string, path: string, query: URLSearchParams, body: unknown): Response {
    if (path === "/rest/api/2/myself") return method === "GET" ? this.myself() : notAllowed();
    const attachment = /^\/secure\/attachment\/(\d+)\/[^/]+$/.exec(path);
    if (attachment) return method === "GET" ? this.attachmentContent(attachment[1]) : notAllowed();
    if (path.startsWith("/rest/api/3/")) {
      return new Response("<html><body>Not Found</body></html>", {
        status: 404,
        headers: { "Content-Type": "text/html" },
      });
    }
    const m = /^\/rest\/api\/2\/issue\/([^/]+)(?:\/(comment|transitions|assignee))?\/?$/.exec(path);
    if (!m) return jiraError(404, [`No route for ${method} ${path} in the fake Jira DC.`]);
    const issue = this.state.find(decodeURIComponent(m[1]));
    if (!issue) return jiraError(404, [NOT_FOUND]);
    switch (`${method} ${m[2] ?? ""}`) {
      case "GET ":
        return this.issue(issue, query.get("fields"));
      case "GET comment":
        return this.listComments(issue, query);
      case "POST comment":
        return this.addComment(issue, body);
      case "GET transitions":
        return this.listTransitions(issue, query);
      case "POST transitions":
        return this.transition(issue, body);
      case "PUT assignee":
        return this.assign(issue, body);
      default:
        return notAllowed();
    }
  }
}

function notAllowed(): Response {
  return json(405, { errorMessages: ["Method Not Allowed"], errors: {} });
}

function matches(fault: FakeDcFault, method: string, path: string): boolean {
  if (fault.method && fault.method.toUpperCase() !== method) return false;
  if (fault.path === undefined) return true;
  return typeof fault.path === "string" ? path.includes(fault.path) : fault.path.test(path);
}

function faultResponse(fault: FakeDcFault): Response {
  const status = fault.status ?? 500;
  const headers: Record<string, string> = {};
  if (fault.retryAfterSeconds !== undefined) {
    headers["Retry-After"] = String(fault.retryAfterSeconds);
  }
  if (status === 429) {
    // Data Center's token-bucket headers (8.6+).
    headers["X-RateLimit-Limit"] = "20";
    headers["X-RateLimit-Remaining"] = "0";
    headers["X-RateLimit-Interval-Seconds"] = String(fault.intervalSeconds ?? 1);
    headers["X-RateLimit-FillRate"] = "10";
  }
  const message = status === 429
    ? "Rate limit exceeded."
    : status === 503
    ? "Service Unavailable"
    : "Internal server error";
  return json(status, fault.body ?? { errorMessages: [message], errors: {} }, headers);
}

function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

function serverInfo(base: string, deploymentType: string): Response {
  return json(200, {
    baseUrl: base,
    version: "9.12.15",
    versionNumbers: [9, 12, 15],
    deploymentType,
    buildNumber: 9120015,
    buildDate: "2024-10-01T00:00:00.000+0000",
    serverTime: dcJiraTime(new Date()),
    scmInfo: "0123456789abcdef0123456789abcdef01234567",
    serverTitle: "Acme Jira",
  });
}

/** Starts a fake Jira Data Center on loopback (port 0 by default). */
export function startFakeJiraDc(options: FakeJiraDcOptions = {}): Promise<FakeJiraDc> {
  const pat = options.pat ?? FAKE_DC_PAT;
  const basic = options.basic
    ? `Basic ${
      btoa(String.fromCharCode(
        ...new TextEncoder().encode(`${options.basic.username}:${options.basic.password}`),
      ))
    }`
    : null;
  const state = new FakeJiraDcState(
    options.myself ?? FAKE_DC_AI_USER,
    options.users ?? [FAKE_DC_REVIEWER, FAKE_DC_REPORTER],
    options.workflow ?? DC_DEFAULT_WORKFLOW,
    options.now ?? (() => new Date()),
  );
  for (const issue of options.issues ?? []) state.createIssue(issue);
  const requests: FakeDcRequestRecord[] = [];
  const faults: { fault: FakeDcFault; left: number }[] = [];
  const closing = new AbortController();
  let url = "";
  const api = new FakeJiraDcApi(
    state,
    () => url,
    Math.max(1, options.maxCommentsPerPage ?? 100),
    options.requireResolution ?? true,
  );

  const handle = async (request: Request): Promise<Response> => {
    const u = new URL(request.url);
    const method = request.method.toUpperCase();
    const authorization = request.headers.get("authorization");
    const record: FakeDcRequestRecord = {
      method,
      path: u.pathname,
      query: Object.fromEntries(u.searchParams),
      auth: authorization === `Bearer ${pat}`
        ? "bearer"
        : basic !== null && authorization === basic
        ? "basic"
        : null,
      status: 0,
    };
    requests.push(record);
    const raw = method === "GET" ? "" : await request.text();
    const slot = faults.find((f) => f.left > 0 && matches(f.fault, method, u.pathname));
    if (slot) {
      slot.left--;
      record.fault = `${slot.fault.status ?? "delay"}${
        slot.fault.applyThenFail ? " after applying" : ""
      }`;
      if (slot.fault.delayMs) await sleepUnlessAborted(slot.fault.delayMs, closing.signal);
    }
    let response: Response;
    if (slot?.fault.status !== undefined && !slot.fault.applyThenFail) {
      response = faultResponse(slot.fault);
    } else {
      response = answer(method, u, request.headers, raw, record);
      if (slot?.fault.applyThenFail && slot.fault.status !== undefined) {
        await response.body?.cancel();
        response = faultResponse(slot.fault);
      }
    }
    record.status = response.status;
    return response;
  };

  const answer = (
    method: string,
    u: URL,
    headers: Headers,
    raw: string,
    record: FakeDcRequestRecord,
  ): Response => {
    // serverInfo answers anonymous callers too (the doctor reads it before logging in).
    if (u.pathname === "/rest/api/2/serverInfo" && method === "GET") {
      return serverInfo(url, options.deploymentType ?? "Server");
    }
    if (record.auth === null) {
      return json(401, {
        errorMessages: [
          "You are not authenticated. Authentication required to perform this operation.",
        ],
        errors: {},
      }, { "WWW-Authenticate": 'OAuth realm="http%3A%2F%2Fjira"' });
    }
    let body: unknown = undefined;
    if (method === "POST" || method === "PUT") {
      if (!(headers.get("content-type") ?? "").toLowerCase().startsWith("application/json")) {
        return json(415, { errorMessages: ["Unsupported Media Type"], errors: {} });
      }
      try {
        body = raw === "" ? null : JSON.parse(raw);
      } catch {
        return jiraError(400, ["Unexpected character in the JSON body."]);
      }
      record.body = body;
    }
    return api.route(method, u.pathname, u.searchParams, body);
  };

  const server = Deno.serve({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 0,
    onListen: () => {},
  }, handle);
  url = `http://${server.addr.hostname}:${server.addr.port}`;

  return Promise.resolve({
    url,
    state,
    requests,
    injectFault(fault: FakeDcFault) {
      faults.push({ fault, left: Math.max(1, fault.times ?? 1) });
    },
    async close() {
      closing.abort();
      await server.shutdown();
    },
  });
}

/** The user as Jira DC writes one in webhook bodies. */
function webhookUser(base: string, u: FakeDcUser): Record<string, unknown> {
  return {
    self: `${base}/rest/api/2/user?username=${encodeURIComponent(u.name)}`,
    name: u.name,
    key: u.key,
    emailAddress: u.emailAddress,
    displayName: u.displayName,
    active: true,
    timeZone: "Etc/UTC",
  };
}

/**
 * The body of Jira DC's native `jira:issue_updated` webhook for an assignment
 * made by `by`: the issue as it is now, and a changelog item whose `from`/`to`
 * are user keys and `fromString`/`toString` display names.
 */
export function dcIssueAssignedWebhook(
  fake: { url: string; state: FakeJiraDcState },
  issueKey: string,
  by: FakeDcUser,
  previous: FakeDcUser | null,
  timestamp = Date.now(),
): Record<string, unknown> {
  const issue = fake.state.issue(issueKey);
  const assignee = issue.assignee;
  return {
    timestamp,
    webhookEvent: "jira:issue_updated",
    issue_event_type_name: "issue_assigned",
    user: webhookUser(fake.url, by),
    issue: {
      id: issue.id,
      self: `${fake.url}/rest/api/2/issue/${issue.id}`,
      key: issue.key,
      fields: {
        summary: issue.summary,
        description: issue.description,
        status: { name: issue.status.name },
        assignee: assignee ? webhookUser(fake.url, assignee) : null,
        updated: issue.updated,
      },
    },
    changelog: {
      id: String(10400 + (timestamp % 1000)),
      items: [{
        field: "assignee",
        fieldtype: "jira",
        from: previous?.key ?? null,
        fromString: previous?.displayName ?? null,
        to: assignee?.key ?? null,
        toString: assignee?.displayName ?? null,
      }],
    },
  };
}

/**
 * The body Automation for Jira DC's "Send web request" sends with "Issue
 * data": the v2 issue (`self`, `id`, `key`, `fields` with users by
 * `name`/`key`), plus the custom `initiator` that the README's rule adds.
 */
export function dcAutomationIssueBody(
  fake: { url: string; state: FakeJiraDcState },
  issueKey: string,
): Record<string, unknown> {
  const issue = fake.state.issue(issueKey);
  return {
    self: `${fake.url}/rest/api/2/issue/${issue.id}`,
    id: issue.id,
    key: issue.key,
    fields: {
      summary: issue.summary,
      status: { name: issue.status.name },
      assignee: issue.assignee ? webhookUser(fake.url, issue.assignee) : null,
      updated: issue.updated,
    },
  };
}
