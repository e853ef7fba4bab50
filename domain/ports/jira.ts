/**
 * The Jira port: what the worker needs from Jira (read the issue and its
 * comments, post the run's result comment, move the ticket through the workflow,
 * hand it to a person), in the domain's terms. Bodies arrive as Markdown-ish
 * text and leave as Markdown; the adapter owns ADF, HTTP, retries and rate limits.
 *
 * Times are ISO-8601 in UTC (`2024-05-01T09:30:00.000Z`), whatever offset style
 * Jira used on the wire.
 *
 * This module does no I/O.
 *
 * @module
 */
import type { ErrorKind } from "./errors.ts";

/**
 * A Jira user as the runner sees one. On Jira Cloud `accountId` is the
 * Atlassian accountId; on Jira Data Center / Server it carries the username
 * (the user's `name`, what `[~name]` mentions and `{"name": …}` assignments
 * use), so every setting that names accounts takes usernames there.
 */
export interface JiraUser {
  accountId: string;
  displayName: string;
}

/**
 * The key of a Jira status category: `new` (To Do), `indeterminate` (In
 * Progress) or `done`; Jira may also answer `undefined` for an unset category.
 */
export type JiraStatusCategoryKey =
  | "new"
  | "indeterminate"
  | "done"
  | (string & Record<never, never>);

/** An issue's workflow status: its name and its category. */
export interface JiraStatus {
  name: string;
  categoryKey: JiraStatusCategoryKey;
}

/** The parts of a Jira issue the runner reads. */
export interface JiraIssue {
  key: string;
  /** Jira's numeric id, as a string (`"10042"`). */
  id: string;
  summary: string;
  /** The description rendered from ADF to Markdown-ish text; `""` when empty. */
  descriptionText: string;
  status: JiraStatus;
  issueType?: string;
  labels: string[];
  /** Component names. */
  components: string[];
  assignee: JiraUser | null;
  reporter?: JiraUser | null;
  /** Last update of the issue (ISO-8601, UTC). */
  updated: string;
  /** The custom fields the client was asked for, raw, keyed by id (`customfield_10020`). */
  customFields?: Record<string, unknown>;
  /** The issue's attachments (the `attachment` field), oldest first; `[]` when none. */
  attachments?: JiraAttachment[];
  /** Links to other issues (`issuelinks`); `[]` when none. */
  links?: JiraIssueLink[];
  /** The parent (epic or the story of a sub-task), when there is one. */
  parent?: JiraIssueRef;
  /** Sub-tasks, when there are any. */
  subtasks?: JiraIssueRef[];
}

/** An attachment's metadata (`fields.attachment[]`); its bytes come from `attachmentContent`. */
export interface JiraAttachment {
  id: string;
  /** As uploaded: untrusted text, never a path to open. */
  filename: string;
  /** What Jira says it is (`image/png`); the uploader chose it, so check the bytes too. */
  mimeType: string;
  /** Bytes. */
  size: number;
  /** ISO-8601, UTC. */
  created: string;
  author: JiraUser | null;
}

/** Another issue, as a link, the parent or a sub-task names it. */
export interface JiraIssueRef {
  key: string;
  summary: string;
  /** Status name; `""` when Jira sent none. */
  status: string;
  /** Issue type name; `""` when Jira sent none. */
  issueType: string;
}

/** A link from this issue to another (`issuelinks[]`). */
export interface JiraIssueLink extends JiraIssueRef {
  /** How this issue relates to the other, read from this issue: `blocks`, `is blocked by`. */
  type: string;
  /** `outward`: this issue → the other (`blocks`); `inward`: the other → this (`is blocked by`). */
  direction: "inward" | "outward";
}

/** A related issue read briefly for the prompt ({@link JiraClient.briefIssues}). */
export interface JiraIssueBrief extends JiraIssueRef {
  /** The description as text, shortened to the asked length. */
  description: string;
}

/** An attachment's bytes ({@link JiraClient.attachmentContent}). */
export interface JiraAttachmentContent {
  bytes: Uint8Array;
  /** The `Content-Type` Jira served (without parameters), else the attachment's `mimeType`. */
  mimeType: string;
  /** True when the attachment is larger than the bytes read (`maxBytes`). */
  truncated: boolean;
}

/** A comment on an issue. */
export interface JiraComment {
  id: string;
  /** The author; `{accountId: "", displayName: "Anonymous"}` when Jira names none. */
  author: JiraUser;
  /** The body rendered from ADF to Markdown-ish text. */
  bodyText: string;
  /** ISO-8601, UTC. */
  created: string;
  /** ISO-8601, UTC; later than `created` when the comment was edited. */
  updated: string;
}

/**
 * A field on a transition's screen (`expand=transitions.fields`): Jira answers
 * 400 to a transition sent without a `required` one.
 */
export interface JiraTransitionField {
  /** The field id (`resolution`, `customfield_10050`). */
  id: string;
  name: string;
  required: boolean;
  /** `schema.type` (`resolution`, `option`, `array`, `string`, `user`, …). */
  schemaType: string;
  /** The values Jira accepts, when it lists them. */
  allowedValues?: { id: string; name?: string; value?: string }[];
}

/** A transition available on an issue in its current status. */
export interface JiraTransition {
  id: string;
  /** The transition's own name (e.g. "Close Issue"); often not the target status. */
  name: string;
  /** The target status name (e.g. "Closed"). */
  toStatus: string;
  /** The target status category key (`new`, `indeterminate`, `done`). */
  toCategoryKey: JiraStatusCategoryKey;
  /** The transition screen's fields, when listed (`expand=transitions.fields`). */
  fields?: JiraTransitionField[];
}

/**
 * Which Jira the client talks to: Jira Cloud (REST v3, ADF, accountIds) or a
 * self-hosted Jira Data Center / Server (REST v2, wiki markup, usernames).
 */
export type JiraDeployment = "cloud" | "datacenter";

/**
 * Jira, as the worker uses it. Every method throws {@link JiraError} on failure;
 * transient failures have already been retried (with backoff honouring
 * `Retry-After`) by the time one escapes.
 */
export interface JiraClient {
  /**
   * Which deployment this client talks to, for the record (`IssueFetched`);
   * absent on clients that do not say.
   */
  readonly deployment?: JiraDeployment;
  /** The issue by key. */
  getIssue(key: string): Promise<JiraIssue>;
  /** Every comment on the issue, oldest first (all pages). */
  listComments(key: string): Promise<JiraComment[]>;
  /**
   * Posts a comment written in Markdown (converted to ADF). Not retried when the
   * outcome is unknown: then the error is transient with `ambiguous: true`, and
   * the caller must look for its comment before posting again.
   */
  addComment(key: string, markdown: string): Promise<{ id: string }>;
  /** The transitions available from the issue's current status, with their screens' fields. */
  listTransitions(key: string): Promise<JiraTransition[]>;
  /**
   * Performs a transition by id (find it with `findTransition`), sending
   * `fields` for its screen when given (fill them with `fillTransitionFields`).
   */
  transition(key: string, transitionId: string, fields?: Record<string, unknown>): Promise<void>;
  /** Assigns the issue to an account, or unassigns it with `null`. */
  assign(key: string, accountId: string | null): Promise<void>;
  /**
   * An attachment's bytes (`GET /rest/api/3/attachment/content/{id}`, following
   * Jira's redirect to its media store), at most `maxBytes` of them: a bigger
   * one is cut there and marked `truncated` (nothing more is downloaded).
   */
  attachmentContent(id: string, maxBytes: number): Promise<JiraAttachmentContent>;
  /**
   * Other issues (links, parent, sub-tasks) in one search (`POST
   * /rest/api/3/search/jql`, `key in (…)`): key, type, status, summary and the
   * description as text cut to `descriptionChars`. Keys that are not issue keys
   * are dropped; issues the account cannot see are simply absent. At most 50.
   */
  briefIssues(keys: readonly string[], descriptionChars?: number): Promise<JiraIssueBrief[]>;
}

/** Jira's user directory, for the intake's requester check (`JIRA_REQUESTER_GROUPS`). */
export interface JiraDirectory {
  /**
   * The names of the groups an account belongs to (Cloud:
   * `GET /rest/api/3/user/groups?accountId=`; Data Center: the user's `groups`;
   * needs "Browse users and groups").
   */
  userGroups(accountId: string): Promise<string[]>;
}

/** What {@link JiraError} is built from. */
export interface JiraErrorInit {
  /** What was being done, e.g. `add comment to MWC-42`. */
  operation: string;
  /** HTTP status, or null when no response arrived (network error, timeout). */
  status: number | null;
  kind: ErrorKind;
  issueKey?: string;
  /** How long Jira asked to wait before trying again, when it said. */
  retryAfterMs?: number;
  /** True when a write may or may not have been applied (look before redoing it). */
  ambiguous?: boolean;
  /** Jira's own `errorMessages` and `errors` values. */
  jiraMessages?: string[];
}

/** A failed Jira call. Its message names the operation, issue and status, never a secret. */
export class JiraError extends Error {
  /** Stable name of the call, e.g. `addComment`. */
  readonly operation: string;
  /** HTTP status, or null when no response arrived or nothing was sent. */
  readonly status: number | null;
  /** `transient`: retry the step later; `permanent`: fail the run with this message. */
  readonly kind: ErrorKind;
  /** The issue concerned, when there is one. */
  readonly issueKey?: string;
  /** How long Jira asked to wait, when it asked for longer than the client sleeps. */
  readonly retryAfterMs?: number;
  /** True when a write may have been applied: look (comment marker, status) before redoing it. */
  readonly ambiguous: boolean;
  /** Jira's own error messages, secrets scrubbed. */
  readonly jiraMessages: string[];

  /** A failure with a message for people (no secrets) and fields for programs. */
  constructor(message: string, init: JiraErrorInit) {
    super(message);
    this.name = "JiraError";
    this.operation = init.operation;
    this.status = init.status;
    this.kind = init.kind;
    this.issueKey = init.issueKey;
    this.retryAfterMs = init.retryAfterMs;
    this.ambiguous = init.ambiguous ?? false;
    this.jiraMessages = init.jiraMessages ?? [];
  }
}

/** True when `value` is a {@link JiraError}. */
export function isJiraError(value: unknown): value is JiraError {
  return value instanceof JiraError;
}
