/**
 * A protocol-faithful fake of Jira Cloud REST v3 on loopback, for tests and the
 * demo: issues with ADF descriptions, paginated comments (`PageOfComments`),
 * ADF comment bodies validated like Jira validates them, a workflow with
 * transitions whose names differ from their target statuses, assignment and
 * `/myself`, behind Basic auth. Like Jira: every ADF body is checked against
 * Atlassian's official schema, comments over 32,767 characters are refused,
 * transitions may have screens with required fields (listed with
 * `expand=transitions.fields`, 400 when one is missing or a field is not on the
 * screen), and a 429 carries Jira's rate-limit headers. Shapes follow Atlassian's OpenAPI (`IssueBean`,
 * `Comment`, `PageOfComments`, `Transitions`, `User`), times in Jira's
 * `2024-05-01T09:30:00.000+0000` form.
 *
 * A state API seeds and inspects issues and comments; fault injection makes the
 * next requests (optionally matching a method/path) answer 429 with
 * `Retry-After`/`X-RateLimit-Reset`, 503, 500, answer late, or fail after doing
 * the work (an ambiguous write). Every request is logged.
 *
 * No test-only imports: `deno task demo` can run it.
 *
 * @module
 */
import { type AdfDoc, adfToText, isAdfDoc, markdownToAdf, validateAdf } from "../jira/adf.ts";
import { adfSize, JIRA_COMMENT_LIMIT, JIRA_COMMENT_TOO_LONG } from "../jira/comment_limit.ts";
import { officialAdfProblems } from "./adf_schema.ts";

/** A user of the fake site. */
export interface FakeUser {
  accountId: string;
  displayName: string;
  emailAddress?: string;
  /** Names of the Jira groups the user belongs to. */
  groups?: string[];
}

/** A status of the fake workflow. */
export interface FakeStatus {
  id: string;
  name: string;
  categoryKey: "new" | "indeterminate" | "done";
}

/** A field on a transition's screen. */
export interface FakeScreenField {
  /** The field id (`resolution`, `customfield_10050`). */
  id: string;
  name: string;
  required: boolean;
  /** `schema.type`, e.g. `resolution`, `option`, `string`. */
  schemaType: string;
  /** The values Jira accepts (referenced by `id`, `name` or `value`). */
  allowedValues?: { id: string; name?: string; value?: string }[];
}

/** A transition of the fake workflow. */
export interface FakeTransitionDef {
  id: string;
  name: string;
  /** Target status name. */
  to: string;
  /** Status names it is available from; absent: a global transition, from any other status. */
  from?: string[];
  /** Its screen; absent: no screen (`hasScreen: false`). */
  screen?: FakeScreenField[];
}

/** Jira's default resolutions. */
export const FAKE_RESOLUTIONS = [
  { id: "10000", name: "Done" },
  { id: "10001", name: "Won't Do" },
  { id: "10002", name: "Duplicate" },
  { id: "10003", name: "Cannot Reproduce" },
];

/** A screen with Resolution required, as Done transitions of many real workflows have. */
export const RESOLUTION_SCREEN: FakeScreenField[] = [
  {
    id: "resolution",
    name: "Resolution",
    required: true,
    schemaType: "resolution",
    allowedValues: FAKE_RESOLUTIONS,
  },
];

/** Statuses and transitions; the first status is where new issues start. */
export interface FakeWorkflow {
  statuses: FakeStatus[];
  transitions: FakeTransitionDef[];
}

/** The AI Runner's own account on the fake site (the credentials' owner). */
export const FAKE_AI_USER: FakeUser = {
  accountId: "5f1a2b3c4d5e6f0000a1001",
  displayName: "AI Runner",
  emailAddress: "ai-runner@example.com",
};

/** The reviewer on the fake site. */
export const FAKE_REVIEWER: FakeUser = {
  accountId: "5f1a2b3c4d5e6f0000b2002",
  displayName: "Leigh Reviewer",
  emailAddress: "leigh@example.com",
};

/** A reporter on the fake site. */
export const FAKE_REPORTER: FakeUser = {
  accountId: "5f1a2b3c4d5e6f0000c3003",
  displayName: "Pat Reporter",
  emailAddress: "pat@example.com",
};

/** Default credentials the fake accepts. */
export const FAKE_JIRA_EMAIL = "ai-runner@example.com";
/** Default API token the fake accepts. */
export const FAKE_JIRA_API_TOKEN = "fake-jira-api-token-0123456789";

/**
 * To Do → In Progress → In Testing → Done. Transition names differ from target
 * statuses ("Ready for Testing" → In Testing, "Close Issue" → Done), as on real sites.
 */
export const DEFAULT_WORKFLOW: FakeWorkflow = {
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
    { id: "41", name: "Close Issue", to: "Done", from: ["To Do", "In Progress", "In Testing"] },
    { id: "51", name: "Reopen", to: "In Progress", from: ["Done"] },
  ],
};

/**
 * {@link DEFAULT_WORKFLOW} whose Done transition ("Close Issue") has a screen
 * that requires Resolution: a transition sent without it gets 400.
 */
export const SCREENED_WORKFLOW: FakeWorkflow = {
  statuses: DEFAULT_WORKFLOW.statuses,
  transitions: DEFAULT_WORKFLOW.transitions.map((t) =>
    t.id === "41" ? { ...t, screen: RESOLUTION_SCREEN } : t
  ),
};

/** What to seed an issue with. */
export interface FakeIssueInit {
  key: string;
  summary?: string;
  /** ADF, or Markdown converted to ADF; absent: no description (`null`). */
  description?: AdfDoc | string;
  /** Status name; default the workflow's first. */
  status?: string;
  labels?: string[];
  components?: string[];
  /** Account id, or null for unassigned (default). */
  assignee?: string | null;
  reporter?: string;
  issueType?: string;
  customFields?: Record<string, unknown>;
  /** The parent's key (an epic, or the story of a sub-task); it must exist already. */
  parent?: string;
  /** Files attached to the issue. */
  attachments?: FakeAttachmentInit[];
}

/** A file attached to an issue. */
export interface FakeAttachmentInit {
  filename: string;
  /** Bytes, or text stored as UTF-8. */
  content: Uint8Array | string;
  /** Default `application/octet-stream` (Jira stores what the uploader's browser said). */
  mimeType?: string;
  /** Account id of the uploader (default the reporter of the fake site). */
  author?: string;
  created?: Date | string;
}

/** Jira's default issue link types: `name`, and how each end reads. */
export const FAKE_LINK_TYPES = [
  { id: "10000", name: "Blocks", inward: "is blocked by", outward: "blocks" },
  { id: "10001", name: "Cloners", inward: "is cloned by", outward: "clones" },
  { id: "10002", name: "Duplicate", inward: "is duplicated by", outward: "duplicates" },
  { id: "10003", name: "Relates", inward: "relates to", outward: "relates to" },
] as const;

/** What to seed a comment with. */
export interface FakeCommentInit {
  /** Account id of a known user, or a user (added to the site). */
  author: string | FakeUser;
  /** ADF, or Markdown converted to ADF. */
  body: AdfDoc | string;
  created?: Date | string;
  /** Later than `created` for an edited comment. */
  updated?: Date | string;
}

/** A comment as the state API shows it. */
export interface FakeCommentView {
  id: string;
  author: FakeUser;
  body: AdfDoc;
  /** The body as Markdown-ish text. */
  text: string;
  created: string;
  updated: string;
  /** `api` when posted through REST, `seed` when added through the state API. */
  source: "api" | "seed";
}

/** An issue as the state API shows it. */
export interface FakeIssueView {
  key: string;
  id: string;
  summary: string;
  description: AdfDoc | null;
  status: FakeStatus;
  assignee: FakeUser | null;
  labels: string[];
  components: string[];
  updated: string;
  /** The fields set by the last transition's screen (e.g. `resolution`). */
  screenFields: Record<string, unknown>;
}

/** A fault for the next matching request(s). */
export interface FakeFault {
  /** How many matching requests it hits (default 1). */
  times?: number;
  method?: string;
  /** Substring of the path, or a pattern. */
  path?: string | RegExp;
  /** Answer with this status (e.g. 429, 503, 500); absent with `delayMs`: answer normally, late. */
  status?: number;
  retryAfterSeconds?: number;
  /** `X-RateLimit-Reset` value (ISO-8601). */
  rateLimitReset?: string;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Do the work first, then answer `status` anyway (an ambiguous write). */
  applyThenFail?: boolean;
  /** Body of the faulty answer; default a Jira error body. */
  body?: unknown;
}

/** One request the fake received. */
export interface FakeRequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body of a write, if any. */
  body?: unknown;
  authorized: boolean;
  status: number;
  /** Set when an injected fault shaped the answer. */
  fault?: string;
}

/** Options of {@link startFakeJira}. */
export interface FakeJiraOptions {
  email?: string;
  apiToken?: string;
  /** The credentials' owner (default {@link FAKE_AI_USER}). */
  myself?: FakeUser;
  /** More users (default the reviewer and the reporter). */
  users?: FakeUser[];
  workflow?: FakeWorkflow;
  issues?: FakeIssueInit[];
  /** Most comments per page whatever `maxResults` asks (default 100). */
  maxCommentsPerPage?: number;
  /**
   * Serve attachment bytes from a second loopback server (another origin), as
   * Jira Cloud's media store is: shows which headers reach it.
   */
  separateMediaHost?: boolean;
  hostname?: string;
  /** Default 0: any free port. */
  port?: number;
  now?: () => Date;
}

/** A running fake Jira. */
export interface FakeJira {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  state: FakeJiraState;
  requests: FakeRequestRecord[];
  /** Queues a fault for the next matching request(s). */
  injectFault(fault: FakeFault): void;
  /** Requests the media store received (attachment downloads after the redirect). */
  mediaRequests: FakeMediaRequest[];
  close(): Promise<void>;
}

/** One download the media store served. */
export interface FakeMediaRequest {
  path: string;
  /** The `Authorization` header it received, if any (Jira's credentials must not reach it). */
  authorization: string | null;
  status: number;
}

interface AttachmentRecord {
  id: string;
  filename: string;
  mimeType: string;
  bytes: Uint8Array;
  author: string | null;
  created: Date;
  /** The media store's file id (the redirect target). */
  mediaId: string;
}

interface LinkRecord {
  id: string;
  typeName: string;
  outward: string;
  inward: string;
}

interface IssueRecord {
  key: string;
  id: string;
  summary: string;
  description: AdfDoc | null;
  status: FakeStatus;
  labels: string[];
  components: string[];
  assignee: string | null;
  reporter: string | null;
  issueType: string;
  customFields: Record<string, unknown>;
  screenFields: Record<string, unknown>;
  created: Date;
  updated: Date;
  comments: CommentRecord[];
  parent: string | null;
  attachments: AttachmentRecord[];
}

interface CommentRecord {
  id: string;
  author: string;
  body: AdfDoc;
  created: Date;
  updated: Date;
  source: "api" | "seed";
}

/** Jira's time format: `2024-05-01T09:30:00.000+0000`. */
export function jiraTime(date: Date): string {
  return date.toISOString().replace("Z", "+0000");
}

function toDate(value: Date | string | undefined, fallback: Date): Date {
  if (value === undefined) return fallback;
  return value instanceof Date ? value : new Date(value);
}

function toAdf(body: AdfDoc | string): AdfDoc {
  return typeof body === "string" ? markdownToAdf(body) : body;
}

/** The fake's data: seed it, read it, change it. */
export class FakeJiraState {
  /** The credentials' owner: comments posted through REST are theirs. */
  readonly myself: FakeUser;
  /** The statuses and transitions in use. */
  readonly workflow: FakeWorkflow;
  readonly #users = new Map<string, FakeUser>();
  readonly #issues = new Map<string, IssueRecord>();
  readonly #now: () => Date;
  readonly #links: LinkRecord[] = [];
  #nextIssueId = 10001;
  #nextCommentId = 10000;
  #nextAttachmentId = 20000;
  #nextLinkId = 30000;

  /** An empty site with these users and workflow; `now` stamps times. */
  constructor(myself: FakeUser, users: FakeUser[], workflow: FakeWorkflow, now: () => Date) {
    this.myself = myself;
    this.workflow = workflow;
    this.#now = now;
    for (const u of [myself, ...users]) this.#users.set(u.accountId, u);
  }

  /** Adds (or replaces) a user. */
  addUser(user: FakeUser): void {
    this.#users.set(user.accountId, user);
  }

  /** The user with this account id, if known. */
  user(accountId: string): FakeUser | undefined {
    return this.#users.get(accountId);
  }

  /** Creates an issue. */
  createIssue(init: FakeIssueInit): FakeIssueView {
    if (this.#issues.has(init.key)) throw new Error(`issue ${init.key} exists`);
    const now = this.#now();
    const record: IssueRecord = {
      key: init.key,
      id: String(this.#nextIssueId++),
      summary: init.summary ?? `Issue ${init.key}`,
      description: init.description === undefined ? null : toAdf(init.description),
      status: this.#status(init.status ?? this.workflow.statuses[0].name),
      labels: init.labels ?? [],
      components: init.components ?? [],
      assignee: init.assignee ?? null,
      reporter: init.reporter ?? null,
      issueType: init.issueType ?? "Task",
      customFields: init.customFields ?? {},
      screenFields: {},
      created: now,
      updated: now,
      comments: [],
      parent: null,
      attachments: [],
    };
    if (init.parent !== undefined) record.parent = this.#record(init.parent).key;
    this.#issues.set(record.key, record);
    for (const a of init.attachments ?? []) this.addAttachment(record.key, a);
    return this.issue(record.key);
  }

  /** Attaches a file to an issue; answers its id. */
  addAttachment(key: string, init: FakeAttachmentInit): string {
    const r = this.#record(key);
    const id = String(this.#nextAttachmentId++);
    r.attachments.push({
      id,
      filename: init.filename,
      mimeType: init.mimeType ?? "application/octet-stream",
      bytes: typeof init.content === "string"
        ? new TextEncoder().encode(init.content)
        : init.content.slice(),
      author: init.author ?? r.reporter,
      created: toDate(init.created, this.#now()),
      mediaId: crypto.randomUUID(),
    });
    r.updated = this.#now();
    return id;
  }

  /** Links two issues: `outwardKey` `<type's outward>` `inwardKey` ("A blocks B"). */
  linkIssues(typeName: string, outwardKey: string, inwardKey: string): void {
    if (!FAKE_LINK_TYPES.some((t) => t.name === typeName)) {
      throw new Error(`no issue link type ${typeName}`);
    }
    this.#links.push({
      id: String(this.#nextLinkId++),
      typeName,
      outward: this.#record(outwardKey).key,
      inward: this.#record(inwardKey).key,
    });
  }

  /** @internal The links touching an issue. */
  linksOf(key: string): LinkRecord[] {
    return this.#links.filter((l) => l.outward === key || l.inward === key);
  }

  /** @internal Issues whose parent is this one. */
  childrenOf(key: string): IssueRecord[] {
    return [...this.#issues.values()].filter((i) => i.parent === key);
  }

  /** @internal An attachment by id, with its issue. */
  attachment(id: string): { issue: IssueRecord; attachment: AttachmentRecord } | undefined {
    for (const issue of this.#issues.values()) {
      const attachment = issue.attachments.find((a) => a.id === id);
      if (attachment) return { issue, attachment };
    }
    return undefined;
  }

  /** @internal An attachment by its media store id. */
  media(mediaId: string): AttachmentRecord | undefined {
    for (const issue of this.#issues.values()) {
      const attachment = issue.attachments.find((a) => a.mediaId === mediaId);
      if (attachment) return attachment;
    }
    return undefined;
  }

  /** The issue with this key; throws when unknown. */
  issue(key: string): FakeIssueView {
    const r = this.#record(key);
    return {
      key: r.key,
      id: r.id,
      summary: r.summary,
      description: r.description,
      status: r.status,
      assignee: r.assignee ? this.#users.get(r.assignee) ?? null : null,
      labels: [...r.labels],
      components: [...r.components],
      updated: jiraTime(r.updated),
      screenFields: structuredClone(r.screenFields),
    };
  }

  /** Adds a comment as some user (not through REST). */
  addComment(key: string, init: FakeCommentInit): FakeCommentView {
    const r = this.#record(key);
    const author = typeof init.author === "string" ? init.author : init.author.accountId;
    if (typeof init.author !== "string") this.addUser(init.author);
    const created = toDate(init.created, this.#now());
    const comment = this.#pushComment(r, author, toAdf(init.body), created, "seed");
    comment.updated = toDate(init.updated, created);
    return this.#commentView(comment);
  }

  /** Edits a comment's body (its `updated` moves on). */
  editComment(key: string, id: string, body: AdfDoc | string, updated?: Date | string): void {
    const c = this.#record(key).comments.find((c) => c.id === id);
    if (!c) throw new Error(`no comment ${id} on ${key}`);
    c.body = toAdf(body);
    c.updated = toDate(updated, this.#now());
  }

  /** Every comment on the issue, oldest first. */
  comments(key: string): FakeCommentView[] {
    return this.#record(key).comments.map((c) => this.#commentView(c));
  }

  /** The comments posted through REST (by the runner). */
  postedComments(key: string): FakeCommentView[] {
    return this.comments(key).filter((c) => c.source === "api");
  }

  /** Sets the status directly (as a person would in the UI). */
  setStatus(key: string, statusName: string): void {
    const r = this.#record(key);
    r.status = this.#status(statusName);
    r.updated = this.#now();
  }

  /** Sets the assignee directly (as a person would in the UI). */
  setAssignee(key: string, accountId: string | null): void {
    const r = this.#record(key);
    r.assignee = accountId;
    r.updated = this.#now();
  }

  /** @internal The record behind an issue key or id, or undefined. */
  find(keyOrId: string): IssueRecord | undefined {
    return this.#issues.get(keyOrId) ?? [...this.#issues.values()].find((i) => i.id === keyOrId);
  }

  /** @internal Records a comment posted through REST. */
  postComment(issue: IssueRecord, body: AdfDoc): CommentRecord {
    return this.#pushComment(issue, this.myself.accountId, body, this.#now(), "api");
  }

  /** @internal The transitions available on an issue now. */
  availableTransitions(issue: IssueRecord): FakeTransitionDef[] {
    return this.workflow.transitions.filter((t) =>
      t.from ? t.from.includes(issue.status.name) : t.to !== issue.status.name
    );
  }

  /** @internal Moves an issue to a status, with the screen's field values. */
  moveTo(issue: IssueRecord, statusName: string, fields: Record<string, unknown> = {}): void {
    issue.screenFields = fields;
    issue.status = this.#status(statusName);
    issue.updated = this.#now();
  }

  /** @internal Assigns an issue. */
  assignRecord(issue: IssueRecord, accountId: string | null): void {
    issue.assignee = accountId;
    issue.updated = this.#now();
  }

  /** @internal A status by name. */
  status(name: string): FakeStatus {
    return this.#status(name);
  }

  #status(name: string): FakeStatus {
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
    body: AdfDoc,
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

  #commentView(c: CommentRecord): FakeCommentView {
    return {
      id: c.id,
      author: this.#users.get(c.author) ?? { accountId: c.author, displayName: c.author },
      body: c.body,
      text: adfToText(c.body),
      created: jiraTime(c.created),
      updated: jiraTime(c.updated),
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

const NOT_FOUND = "Issue does not exist or you do not have permission to see it.";

/** The REST surface over a {@link FakeJiraState}. */
class FakeJiraApi {
  /** Media store tokens handed out in redirects: token → media id. */
  readonly mediaTokens = new Map<string, string>();

  constructor(
    readonly state: FakeJiraState,
    readonly base: () => string,
    readonly maxPerPage: number,
    readonly mediaBase: () => string,
  ) {}

  /** An issue as a link, the parent or a sub-task carries it. */
  issueRef(r: IssueRecord): unknown {
    return {
      id: r.id,
      key: r.key,
      self: `${this.base()}/rest/api/3/issue/${r.id}`,
      fields: {
        summary: r.summary,
        status: this.status(r.status),
        priority: {
          self: `${this.base()}/rest/api/3/priority/3`,
          iconUrl: `${this.base()}/images/icons/priorities/medium.svg`,
          name: "Medium",
          id: "3",
        },
        issuetype: this.issueType(r),
      },
    };
  }

  issueType(r: IssueRecord): unknown {
    const subtask = /^sub-?task$/i.test(r.issueType);
    return {
      self: `${this.base()}/rest/api/3/issuetype/${subtask ? "10003" : "10001"}`,
      id: subtask ? "10003" : "10001",
      description: "",
      iconUrl: `${this.base()}/images/icons/issuetypes/task.svg`,
      name: r.issueType,
      subtask,
      hierarchyLevel: subtask ? -1 : 0,
    };
  }

  /** `fields.attachment[]` entry (`Attachment`). */
  attachmentJson(a: AttachmentRecord): unknown {
    return {
      self: `${this.base()}/rest/api/3/attachment/${a.id}`,
      id: a.id,
      filename: a.filename,
      author: this.user(a.author),
      created: jiraTime(a.created),
      size: a.bytes.length,
      mimeType: a.mimeType,
      content: `${this.base()}/rest/api/3/attachment/content/${a.id}`,
      ...(a.mimeType.startsWith("image/")
        ? { thumbnail: `${this.base()}/rest/api/3/attachment/thumbnail/${a.id}` }
        : {}),
    };
  }

  /** `fields.issuelinks[]` of an issue (`IssueLink`). */
  issueLinks(r: IssueRecord): unknown[] {
    return this.state.linksOf(r.key).map((l) => {
      const type = FAKE_LINK_TYPES.find((t) => t.name === l.typeName)!;
      const typeJson = {
        id: type.id,
        name: type.name,
        inward: type.inward,
        outward: type.outward,
        self: `${this.base()}/rest/api/3/issueLinkType/${type.id}`,
      };
      // On the outward end the other issue is the `outwardIssue`, and vice versa.
      const other = this.state.find(l.outward === r.key ? l.inward : l.outward)!;
      return {
        id: l.id,
        self: `${this.base()}/rest/api/3/issueLink/${l.id}`,
        type: typeJson,
        ...(l.outward === r.key
          ? { outwardIssue: this.issueRef(other) }
          : { inwardIssue: this.issueRef(other) }),
      };
    });
  }

  user(accountId: string | null): unknown {
    const u = accountId ? this.state.user(accountId) : undefined;
    if (!u) return null;
    return {
      self: `${this.base()}/rest/api/3/user?accountId=${u.accountId}`,
      accountId: u.accountId,
      emailAddress: u.emailAddress,
      avatarUrls: { "48x48": `${this.base()}/avatar/${u.accountId}.png` },
      displayName: u.displayName,
      active: true,
      timeZone: "Etc/UTC",
      accountType: "atlassian",
    };
  }

  status(s: FakeStatus): unknown {
    const c = CATEGORY[s.categoryKey];
    return {
      self: `${this.base()}/rest/api/3/status/${s.id}`,
      description: "",
      iconUrl: `${this.base()}/images/icons/statuses/generic.png`,
      name: s.name,
      id: s.id,
      statusCategory: {
        self: `${this.base()}/rest/api/3/statuscategory/${c.id}`,
        id: c.id,
        key: s.categoryKey,
        colorName: c.colorName,
        name: c.name,
      },
    };
  }

  issue(r: IssueRecord, wanted: string | null): Response {
    return json(200, this.issueBean(r, wanted?.split(",") ?? null));
  }

  /** An `IssueBean` with the wanted fields (null: all navigable ones). */
  issueBean(r: IssueRecord, wanted: string[] | null): unknown {
    const parent = r.parent ? this.state.find(r.parent) : undefined;
    const all: Record<string, unknown> = {
      summary: r.summary,
      description: r.description,
      status: this.status(r.status),
      labels: r.labels,
      components: r.components.map((name, i) => ({
        self: `${this.base()}/rest/api/3/component/${10000 + i}`,
        id: String(10000 + i),
        name,
      })),
      assignee: this.user(r.assignee),
      reporter: this.user(r.reporter),
      issuetype: this.issueType(r),
      created: jiraTime(r.created),
      updated: jiraTime(r.updated),
      attachment: r.attachments.map((a) => this.attachmentJson(a)),
      issuelinks: this.issueLinks(r),
      subtasks: this.state.childrenOf(r.key).filter((c) => /^sub-?task$/i.test(c.issueType))
        .map((c) => this.issueRef(c)),
      // Jira leaves `parent` out of an issue that has none.
      ...(parent ? { parent: this.issueRef(parent) } : {}),
      ...r.customFields,
    };
    const names = wanted?.map((f) => f.trim()).filter((f) => f !== "");
    const fields = !names || names.includes("*all") || names.includes("*navigable")
      ? all
      : Object.fromEntries(
        names.filter((n) => n in all || n.startsWith("customfield_")).map(
          (n) => [n, all[n] ?? null],
        ),
      );
    return {
      expand: "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations",
      id: r.id,
      self: `${this.base()}/rest/api/3/issue/${r.id}`,
      key: r.key,
      fields,
    };
  }

  /**
   * `POST /rest/api/3/search/jql` (the enhanced search): a body of `jql`,
   * `fields`, `maxResults`, `nextPageToken` (and the few other documented
   * properties; anything else, such as the old `startAt`, is 400 as on Jira).
   * The fake reads only `key in (…)` / `key = …` JQL; a key that does not exist
   * is Jira's 400.
   */
  searchJql(body: unknown): Response {
    const invalid = () =>
      jiraError(400, [
        "Invalid request payload. Refer to the REST API documentation and try again.",
      ]);
    if (typeof body !== "object" || body === null || Array.isArray(body)) return invalid();
    const request = body as Record<string, unknown>;
    const known = [
      "jql",
      "nextPageToken",
      "maxResults",
      "fields",
      "expand",
      "properties",
      "fieldsByKeys",
      "failFast",
      "reconcileIssues",
    ];
    if (Object.keys(request).some((k) => !known.includes(k))) return invalid();
    if (typeof request.jql !== "string") return invalid();
    if (request.fields !== undefined && !Array.isArray(request.fields)) return invalid();
    const m = /^\s*key\s*(?:in\s*\(([^)]*)\)|=\s*([^\s()]+))\s*$/i.exec(request.jql);
    if (!m) {
      return jiraError(400, [
        "Unbounded JQL queries are not allowed here. Please add a search restriction to your query.",
      ]);
    }
    const keys = (m[1] ?? m[2]).split(",").map((k) => k.trim().replace(/^"(.*)"$/, "$1"))
      .filter((k) => k !== "");
    const records: IssueRecord[] = [];
    for (const key of keys) {
      const r = this.state.find(key.toUpperCase());
      if (!r) return jiraError(400, [`An issue with key '${key}' does not exist for field 'key'.`]);
      if (!records.includes(r)) records.push(r);
    }
    // Jira orders by created date, newest first, without an ORDER BY.
    records.sort((a, b) =>
      b.created.getTime() - a.created.getTime() || Number(b.id) - Number(a.id)
    );
    const asked = typeof request.maxResults === "number" ? request.maxResults : 50;
    const pageSize = Math.max(1, Math.min(5000, asked));
    const from = typeof request.nextPageToken === "string"
      ? Number(atob(request.nextPageToken)) || 0
      : 0;
    const page = records.slice(from, from + pageSize);
    const isLast = from + pageSize >= records.length;
    const fields = (request.fields as unknown[] | undefined)?.map(String);
    return json(200, {
      // Unlike the old search, the enhanced one answers only issue ids unless fields are named.
      issues: page.map((r) => fields ? this.issueBean(r, fields) : { id: r.id }),
      ...(isLast ? {} : { nextPageToken: btoa(String(from + pageSize)) }),
      isLast,
    });
  }

  /**
   * `GET /rest/api/3/attachment/content/{id}`: by default 303 to the media
   * store with a token in the URL, as Jira Cloud does; `redirect=false` serves
   * the bytes itself.
   */
  attachmentContent(id: string, query: URLSearchParams): Response {
    const found = this.state.attachment(id);
    if (!found) {
      return jiraError(404, [
        "The attachment does not exist or you do not have permission to see it.",
      ]);
    }
    const a = found.attachment;
    if (query.get("redirect") === "false") {
      return new Response(a.bytes.slice(), {
        status: 200,
        headers: {
          "Content-Type": a.mimeType,
          "Content-Length": String(a.bytes.length),
          "Content-Disposition": `attachment; filename*=UTF-8''${encodeURIComponent(a.filename)}`,
        },
      });
    }
    const token = crypto.randomUUID().replaceAll("-", "");
    this.mediaTokens.set(token, a.mediaId);
    const location = `${this.mediaBase()}/file/${a.mediaId}/binary?token=${token}` +
      `&client=fake-jira&dl=true&name=${encodeURIComponent(a.filename)}`;
    return new Response(null, { status: 303, headers: { Location: location } });
  }

  /** The media store: bytes for a valid token, whatever `Authorization` says. */
  media(path: string, query: URLSearchParams): Response {
    const m = /^\/file\/([0-9a-f-]+)\/binary$/.exec(path);
    const token = query.get("token") ?? "";
    if (!m || this.mediaTokens.get(token) !== m[1]) {
      return json(401, { error: { code: "Unauthorized", title: "Invalid or expired token" } });
    }
    const a = this.state.media(m[1]);
    if (!a) return json(404, { error: { code: "FileNotFound", title: "Not found" } });
    return new Response(a.bytes.slice(), {
      status: 200,
      headers: { "Content-Type": a.mimeType, "Content-Length": String(a.bytes.length) },
    });
  }

  comment(r: IssueRecord, c: CommentRecord): unknown {
    return {
      self: `${this.base()}/rest/api/3/issue/${r.id}/comment/${c.id}`,
      id: c.id,
      author: this.user(c.author),
      body: c.body,
      updateAuthor: this.user(c.author),
      created: jiraTime(c.created),
      updated: jiraTime(c.updated),
      jsdPublic: true,
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
    const doc = (body as { body?: unknown } | null)?.body;
    if (typeof doc === "string") {
      return jiraError(400, [], {
        comment:
          "Operation value must be an Atlassian Document (see the Atlassian Document Format)",
      });
    }
    if (!isAdfDoc(doc)) {
      const problems = validateAdf(doc);
      return jiraError(400, [`Comment body is not a valid Atlassian Document: ${problems[0]}`]);
    }
    // Atlassian's own schema first (what Jira enforces), then the runner's stricter rules.
    const problems = [...officialAdfProblems(doc), ...validateAdf(doc)];
    if (problems.length > 0) {
      return jiraError(400, [`INVALID_INPUT: ${problems.slice(0, 3).join("; ")}`]);
    }
    if (adfSize(doc) > JIRA_COMMENT_LIMIT) {
      return jiraError(400, [], { comment: JIRA_COMMENT_TOO_LONG });
    }
    if (adfToText(doc).trim() === "") {
      return jiraError(400, [], { comment: "Comment body can not be empty!" });
    }
    const c = this.state.postComment(r, doc);
    return json(201, this.comment(r, c), {
      Location: `${this.base()}/rest/api/3/issue/${r.id}/comment/${c.id}`,
    });
  }

  /** A screen field as `FieldMetadata` (`expand=transitions.fields`). */
  screenField(f: FakeScreenField): unknown {
    return {
      required: f.required,
      schema: f.id.startsWith("customfield_")
        ? { type: f.schemaType, custom: "com.atlassian.jira.plugin.system.customfieldtypes:select" }
        : { type: f.schemaType, system: f.id },
      name: f.name,
      key: f.id,
      hasDefaultValue: false,
      operations: ["set"],
      ...(f.allowedValues
        ? {
          allowedValues: f.allowedValues.map((v) => ({
            self: `${this.base()}/rest/api/3/${f.schemaType}/${v.id}`,
            ...v,
          })),
        }
        : {}),
    };
  }

  listTransitions(r: IssueRecord, query: URLSearchParams): Response {
    const expand = (query.get("expand") ?? "").split(",").map((e) => e.trim());
    const withFields = expand.includes("transitions.fields");
    return json(200, {
      expand: "transitions",
      transitions: this.state.availableTransitions(r).map((t) => ({
        id: t.id,
        name: t.name,
        to: this.status(this.state.status(t.to)),
        hasScreen: (t.screen?.length ?? 0) > 0,
        isGlobal: t.from === undefined,
        isInitial: false,
        isAvailable: true,
        isConditional: false,
        isLooped: false,
        ...(withFields
          ? {
            fields: Object.fromEntries((t.screen ?? []).map((f) => [f.id, this.screenField(f)])),
          }
          : {}),
      })),
    });
  }

  transition(r: IssueRecord, body: unknown): Response {
    const request = (body ?? {}) as { transition?: { id?: unknown }; fields?: unknown };
    const id = request.transition?.id;
    if (typeof id !== "string" && typeof id !== "number") {
      return jiraError(400, ["Missing 'transition' identifier"]);
    }
    const t = this.state.availableTransitions(r).find((t) => t.id === String(id));
    if (!t) return jiraError(400, [`Transition id '${id}' is not valid for this issue.`]);
    const fields = request.fields === undefined ? {} : request.fields;
    if (typeof fields !== "object" || fields === null || Array.isArray(fields)) {
      return jiraError(400, ["Can not deserialize the fields: an object is expected."]);
    }
    const errors = screenErrors(t.screen ?? [], fields as Record<string, unknown>);
    if (Object.keys(errors).length > 0) return jiraError(400, [], errors);
    this.state.moveTo(r, t.to, structuredClone(fields as Record<string, unknown>));
    return new Response(null, { status: 204 });
  }

  assign(r: IssueRecord, body: unknown): Response {
    if (typeof body !== "object" || body === null || !("accountId" in body)) {
      return jiraError(400, [], { assignee: "accountId is required" });
    }
    const accountId = (body as { accountId: unknown }).accountId;
    if (accountId === null || accountId === "-1") {
      this.state.assignRecord(r, null);
    } else if (typeof accountId === "string" && this.state.user(accountId)) {
      this.state.assignRecord(r, accountId);
    } else {
      return jiraError(400, [], { assignee: `User '${accountId}' cannot be assigned issues.` });
    }
    return new Response(null, { status: 204 });
  }

  myself(): Response {
    return json(200, {
      ...(this.user(this.state.myself.accountId) as object),
      locale: "en_US",
      groups: { size: 1, items: [] },
      applicationRoles: { size: 1, items: [] },
      expand: "groups,applicationRoles",
    });
  }

  /** `GET /rest/api/3/user/groups?accountId=`: the user's groups (`GroupName` items). */
  userGroups(query: URLSearchParams): Response {
    const accountId = query.get("accountId");
    if (!accountId) {
      return jiraError(400, ["The 'accountId' query parameter needs to be provided"]);
    }
    const user = this.state.user(accountId);
    if (!user) {
      return jiraError(404, [
        "Specified user does not exist or you do not have required permissions",
      ]);
    }
    return json(
      200,
      (user.groups ?? []).map((name) => ({
        name,
        groupId: `g-${name.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`,
        self: `${this.base()}/rest/api/3/group?groupId=g-${encodeURIComponent(name)}`,
      })),
    );
  }

  /** Routes an authorized request. */
  route(method: string, path: string, query: URLSearchParams, body: unknown): Response {
    if (path === "/rest/api/3/myself") return method === "GET" ? this.myself() : notAllowed();
    if (path === "/rest/api/3/user/groups") {
      return method === "GET" ? this.userGroups(query) : notAllowed();
    }
    if (path === "/rest/api/3/search/jql") {
      return method === "POST" ? this.searchJql(body) : notAllowed();
    }
    const content = /^\/rest\/api\/3\/attachment\/content\/([^/]+)$/.exec(path);
    if (content) {
      return method === "GET"
        ? this.attachmentContent(decodeURIComponent(content[1]), query)
        : notAllowed();
    }
    const m = /^\/rest\/api\/3\/issue\/([^/]+)(?:\/(comment|transitions|assignee))?\/?$/.exec(path);
    if (!m) return jiraError(404, [`No route for ${method} ${path} in the fake Jira.`]);
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

/** Does a value reference one of the allowed values (by `id`, `name` or `value`)? */
function allowedReference(field: FakeScreenField, value: unknown): boolean {
  if (!field.allowedValues) return value !== null && value !== undefined && value !== "";
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const ref = value as { id?: unknown; name?: unknown; value?: unknown };
  return field.allowedValues.some((a) =>
    (ref.id !== undefined && String(ref.id) === a.id) ||
    (ref.name !== undefined && ref.name === a.name) ||
    (ref.value !== undefined && ref.value === a.value)
  );
}

/** Jira's `errors` for a transition's fields: off-screen, missing required, or not allowed. */
function screenErrors(
  screen: readonly FakeScreenField[],
  fields: Record<string, unknown>,
): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const [id, value] of Object.entries(fields)) {
    const field = screen.find((f) => f.id === id);
    if (!field) {
      errors[id] = `Field '${id}' cannot be set. It is not on the appropriate screen, or unknown.`;
    } else if (!allowedReference(field, value)) {
      errors[id] = field.schemaType === "resolution"
        ? "Could not find valid 'id' or 'name' in resolution object."
        : `Specify a valid value for ${field.name}`;
    }
  }
  for (const field of screen) {
    if (field.required && !(field.id in fields)) errors[field.id] = `${field.name} is required.`;
  }
  return errors;
}

function notAllowed(): Response {
  return json(405, { errorMessages: ["Method Not Allowed"], errors: {} });
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

function matches(fault: FakeFault, method: string, path: string): boolean {
  if (fault.method && fault.method.toUpperCase() !== method) return false;
  if (fault.path === undefined) return true;
  return typeof fault.path === "string" ? path.includes(fault.path) : fault.path.test(path);
}

/** Jira's `X-RateLimit-Reset` form: ISO-8601 to the minute, `yyyy-MM-ddTHH:mmZ`. */
export function jiraRateLimitReset(date: Date): string {
  return `${date.toISOString().slice(0, 16)}Z`;
}

function faultResponse(fault: FakeFault, now: Date): Response {
  const status = fault.status ?? 500;
  const headers: Record<string, string> = {};
  if (fault.retryAfterSeconds !== undefined) {
    headers["Retry-After"] = String(fault.retryAfterSeconds);
  }
  if (fault.rateLimitReset !== undefined) headers["X-RateLimit-Reset"] = fault.rateLimitReset;
  if (status === 429) {
    // What Jira Cloud sends with a 429 (developer.atlassian.com/cloud/jira/platform/rate-limiting):
    // the reset is the request time plus Retry-After, to the minute.
    if (fault.rateLimitReset === undefined && fault.retryAfterSeconds !== undefined) {
      headers["X-RateLimit-Reset"] = jiraRateLimitReset(
        new Date(now.getTime() + fault.retryAfterSeconds * 1000 + 59_999),
      );
    }
    headers["X-RateLimit-Limit"] = "100";
    headers["X-RateLimit-Remaining"] = "0";
    headers["X-RateLimit-NearLimit"] = "true";
    headers["RateLimit-Reason"] = "jira-burst-based";
  }
  const message = status === 429
    ? "Rate limit exceeded."
    : status === 503
    ? "Service Unavailable"
    : "Internal server error";
  return json(status, fault.body ?? { errorMessages: [message], errors: {} }, headers);
}

/** Starts a fake Jira on loopback (port 0 by default). */
export function startFakeJira(options: FakeJiraOptions = {}): Promise<FakeJira> {
  const email = options.email ?? FAKE_JIRA_EMAIL;
  const apiToken = options.apiToken ?? FAKE_JIRA_API_TOKEN;
  const expectedAuth = `Basic ${
    btoa(String.fromCharCode(...new TextEncoder().encode(`${email}:${apiToken}`)))
  }`;
  const state = new FakeJiraState(
    options.myself ?? FAKE_AI_USER,
    options.users ?? [FAKE_REVIEWER, FAKE_REPORTER],
    options.workflow ?? DEFAULT_WORKFLOW,
    options.now ?? (() => new Date()),
  );
  for (const issue of options.issues ?? []) state.createIssue(issue);
  const requests: FakeRequestRecord[] = [];
  const faults: { fault: FakeFault; left: number }[] = [];
  const closing = new AbortController();
  let url = "";
  let mediaUrl = "";
  const mediaRequests: FakeMediaRequest[] = [];
  const api = new FakeJiraApi(
    state,
    () => url,
    Math.max(1, options.maxCommentsPerPage ?? 100),
    () => mediaUrl,
  );
  const serveMedia = (request: Request, path: string): Response => {
    const u = new URL(request.url);
    const response = request.method === "GET"
      ? api.media(path, u.searchParams)
      : json(405, { error: { code: "MethodNotAllowed" } });
    mediaRequests.push({
      path: u.pathname,
      authorization: request.headers.get("authorization"),
      status: response.status,
    });
    return response;
  };

  const handle = async (request: Request): Promise<Response> => {
    const u = new URL(request.url);
    const method = request.method.toUpperCase();
    if (!options.separateMediaHost && u.pathname.startsWith("/media/")) {
      return serveMedia(request, u.pathname.slice("/media".length));
    }
    const record: FakeRequestRecord = {
      method,
      path: u.pathname,
      query: Object.fromEntries(u.searchParams),
      authorized: request.headers.get("authorization") === expectedAuth,
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
      if (slot.fault.delayMs) {
        // Not request.signal: Deno aborts it on successful responses too (legacy
        // behaviour). A late answer to a client that gave up is simply dropped.
        await sleepUnlessAborted(slot.fault.delayMs, closing.signal);
      }
    }
    let response: Response;
    if (slot?.fault.status !== undefined && !slot.fault.applyThenFail) {
      response = faultResponse(slot.fault, (options.now ?? (() => new Date()))());
    } else {
      response = answer(method, u, request.headers, raw, record);
      if (slot?.fault.applyThenFail && slot.fault.status !== undefined) {
        await response.body?.cancel();
        response = faultResponse(slot.fault, (options.now ?? (() => new Date()))());
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
    record: FakeRequestRecord,
  ): Response => {
    if (!record.authorized) {
      return json(401, {
        errorMessages: [
          "You are not authenticated. Authentication required to perform this operation.",
        ],
        errors: {},
      }, { "WWW-Authenticate": 'Basic realm="protected-area"' });
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
  // Jira Cloud's media store is another origin; by default the fake serves it under /media.
  const mediaServer = options.separateMediaHost
    ? Deno.serve(
      { hostname: options.hostname ?? "127.0.0.1", port: 0, onListen: () => {} },
      (request) => serveMedia(request, new URL(request.url).pathname),
    )
    : null;
  mediaUrl = mediaServer
    ? `http://${mediaServer.addr.hostname}:${mediaServer.addr.port}`
    : `${url}/media`;

  return Promise.resolve({
    url,
    state,
    requests,
    mediaRequests,
    injectFault(fault: FakeFault) {
      faults.push({ fault, left: Math.max(1, fault.times ?? 1) });
    },
    async close() {
      closing.abort();
      await server.shutdown();
      await mediaServer?.shutdown();
    },
  });
}
