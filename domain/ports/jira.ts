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

/** A Jira user as the runner sees one. */
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

/** A transition available on an issue in its current status. */
export interface JiraTransition {
  id: string;
  /** The transition's own name (e.g. "Close Issue"); often not the target status. */
  name: string;
  /** The target status name (e.g. "Closed"). */
  toStatus: string;
  /** The target status category key (`new`, `indeterminate`, `done`). */
  toCategoryKey: JiraStatusCategoryKey;
}

/**
 * Jira, as the worker uses it. Every method throws {@link JiraError} on failure;
 * transient failures have already been retried (with backoff honouring
 * `Retry-After`) by the time one escapes.
 */
export interface JiraClient {
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
  /** The transitions available from the issue's current status. */
  listTransitions(key: string): Promise<JiraTransition[]>;
  /** Performs a transition by id (find it with {@link findTransition}). */
  transition(key: string, transitionId: string): Promise<void>;
  /** Assigns the issue to an account, or unassigns it with `null`. */
  assign(key: string, accountId: string | null): Promise<void>;
  /** The account the client is authenticated as. */
  myself(): Promise<JiraUser>;
  /**
   * The names of the groups an account belongs to
   * (`GET /rest/api/3/user/groups?accountId=`; needs "Browse users and groups").
   */
  userGroups(accountId: string): Promise<string[]>;
}

/** Whether retrying later may succeed (`transient`) or cannot (`permanent`). */
export type JiraErrorKind = "transient" | "permanent";

/** What {@link JiraError} is built from. */
export interface JiraErrorInit {
  /** What was being done, e.g. `add comment to MWC-42`. */
  operation: string;
  /** HTTP status, or null when no response arrived (network error, timeout). */
  status: number | null;
  kind: JiraErrorKind;
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
  readonly kind: JiraErrorKind;
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

function same(a: string, b: string): boolean {
  return a.trim().replace(/\s+/g, " ").toLowerCase() ===
    b.trim().replace(/\s+/g, " ").toLowerCase();
}

/**
 * Finds the transition to take for a wanted name (DESIGN §7): first a
 * transition whose own name matches (case-insensitively), then one whose target
 * status name matches, and, when `fallbackCategory` is `"done"`, one whose target
 * status is in the `done` category. Null when none fits.
 */
export function findTransition(
  transitions: readonly JiraTransition[],
  wanted: string,
  fallbackCategory?: "done",
): JiraTransition | null {
  return transitions.find((t) => same(t.name, wanted)) ??
    transitions.find((t) => same(t.toStatus, wanted)) ??
    (fallbackCategory
      ? transitions.find((t) => t.toCategoryKey === fallbackCategory)
      : undefined) ??
    null;
}

/**
 * True when an issue's status already is the wanted one: its name matches
 * case-insensitively, or, with `fallbackCategory` `"done"`, it is in the `done`
 * category. Use it to skip a transition that would change nothing.
 */
export function statusMatches(
  status: JiraStatus,
  wanted: string,
  fallbackCategory?: "done",
): boolean {
  return same(status.name, wanted) ||
    (fallbackCategory !== undefined && status.categoryKey === fallbackCategory);
}
