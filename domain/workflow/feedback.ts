/**
 * The one feedback rule: which Jira comments and pull-request reviews and review
 * comments a run acts on.
 *
 * - Only comments no earlier run of the issue saw count (judged by id, recorded
 *   on every `IssueFetched`; never by comparing our clock with Jira's or
 *   GitHub's). On the first run every comment is new.
 * - Never the runner's own (its account, or text carrying a run marker).
 * - Jira: only from trusted accounts (the reviewer, the configured ones, the
 *   requester when allowed), and never a comment edited after the request arrived
 *   or after an earlier run saw it (editing an old comment is a known way to slip
 *   instructions in).
 * - GitHub: only from logins the trust rule accepts; pending reviews and empty
 *   comments say nothing.
 *
 * Pure: the adapters fetch, this decides.
 *
 * @module
 */
import type { DomainEvent } from "../events.ts";
import type { JiraComment } from "../ports/jira.ts";
import type { Review, ReviewComment } from "../ports/github.ts";

/** Marks the runner's own Jira comments and PR bodies with the run's id. */
export function runMarker(runId: string): string {
  return `ai-runner-run:${runId}`;
}

/** True when text carries any run's marker (the runner wrote it). */
export function hasRunMarker(text: string): boolean {
  return /ai-runner-run:[A-Za-z0-9_-]+/.test(text);
}

/** Why a comment is not feedback (recorded so auditors can see it was seen). */
export type SkipReason =
  | "own"
  | "untrusted"
  | "edited_after_request"
  | "edited_after_seen"
  | "seen_before"
  | "pending"
  | "empty";

/** A comment left out, and why. */
export interface SkippedComment {
  id: string;
  author: string;
  reason: SkipReason;
  /** Where it was: a Jira comment, or a PR review / review comment. */
  source?: "jira" | "github";
  /** The trust rule's words, for `untrusted`. */
  detail?: string;
}

/** Pull-request feedback: a review or a review comment. */
export interface PullRequestFeedback {
  /** `review:<id>` or `review_comment:<id>`. */
  id: string;
  author: string;
  kind: "review" | "review_comment";
  state?: string;
  path?: string;
  line?: number | null;
  body: string;
  at: string;
}

/** A comment as a fetch saw it: its id and its last-update stamp. */
export interface SeenComment {
  id: string;
  updated: string;
}

/** What the rule decides from. */
export interface FeedbackInput {
  jiraComments: readonly JiraComment[];
  reviewComments: readonly ReviewComment[];
  reviews: readonly Review[];
  /** What earlier runs' fetches saw (id → update stamp); null on the issue's first run. */
  seenBefore: ReadonlyMap<string, string> | null;
  /** The runner's own Jira account: its comments are never feedback. */
  aiAccountId: string;
  /** Jira accounts whose comments count. */
  trustedJiraAccounts: ReadonlySet<string>;
  /** Whether a GitHub login may steer the model: true, or why not. */
  githubTrust: (login: string | null) => true | string;
  /** When this run was requested (ISO): Jira comments edited after it are ignored. */
  requestedAt: string;
}

/** What the rule decided. */
export interface FeedbackSelection {
  jira: JiraComment[];
  pr: PullRequestFeedback[];
  skipped: SkippedComment[];
  /** Every comment this fetch saw, to record for later runs. */
  seen: SeenComment[];
}

/** Everything earlier runs' fetches saw, or null when none fetched yet. */
export function seenByEarlierRuns(
  events: readonly DomainEvent[],
  runId: string,
): Map<string, string> | null {
  let seen: Map<string, string> | null = null;
  for (const e of events) {
    if (e.type !== "IssueFetched" || e.data.runId === runId) continue;
    seen ??= new Map();
    if (e.data.seen) {
      for (const c of e.data.seen) seen.set(c.id, c.updated);
    } else {
      // Recorded before `seen` existed: what it acted on is what it saw.
      for (const id of e.data.feedbackCommentIds) seen.set(id, "");
      for (const f of e.data.feedbackFrom ?? []) if (f.source === "github") seen.set(f.id, "");
    }
  }
  return seen;
}

/** Decides which comments are feedback for a run. */
export function selectFeedback(input: FeedbackInput): FeedbackSelection {
  const out: FeedbackSelection = { jira: [], pr: [], skipped: [], seen: [] };
  const before = input.seenBefore;
  /** Null when the comment is new; else why it is not. */
  const earlier = (id: string, updated: string): SkipReason | null => {
    if (before === null || !before.has(id)) return null;
    const was = before.get(id);
    return was === "" || was === updated ? "seen_before" : "edited_after_seen";
  };
  const ms = Date.parse;
  for (const c of input.jiraComments) {
    out.seen.push({ id: c.id, updated: c.updated });
    const author = c.author.displayName || c.author.accountId;
    const skip = (reason: SkipReason) =>
      out.skipped.push({ id: c.id, author, reason, source: "jira" });
    const old = earlier(c.id, c.updated);
    if (c.author.accountId === input.aiAccountId || hasRunMarker(c.bodyText)) skip("own");
    else if (old) skip(old);
    else if (!input.trustedJiraAccounts.has(c.author.accountId)) skip("untrusted");
    else if (ms(c.updated) > ms(c.created) && ms(c.updated) > ms(input.requestedAt)) {
      skip("edited_after_request");
    } else out.jira.push(c);
  }
  const github = (
    id: string,
    updated: string,
    login: string | null,
    body: string,
    item: () => PullRequestFeedback | SkipReason,
  ) => {
    const author = login ?? "unknown";
    const skip = (reason: SkipReason, detail?: string) =>
      out.skipped.push({ id, author, reason, source: "github", ...(detail ? { detail } : {}) });
    const verdict = item();
    // A pending review is not yet written: it counts once it is submitted.
    if (verdict === "pending") return skip("pending");
    out.seen.push({ id, updated });
    const old = earlier(id, updated);
    if (hasRunMarker(body)) return skip("own");
    if (old) return skip(old);
    if (typeof verdict === "string") return skip(verdict);
    const trust = input.githubTrust(login);
    if (trust !== true) return skip("untrusted", trust);
    out.pr.push(verdict);
  };
  for (const r of input.reviews) {
    github(`review:${r.id}`, r.submittedAt ?? "", r.author, r.body, () => {
      if (r.state === "pending" || r.submittedAt === null) return "pending";
      if (!r.body.trim() && r.state !== "changes_requested") return "empty";
      return {
        id: `review:${r.id}`,
        author: r.author ?? "unknown",
        kind: "review",
        state: r.state,
        body: r.body,
        at: r.submittedAt,
      };
    });
  }
  for (const c of input.reviewComments) {
    github(`review_comment:${c.id}`, c.updatedAt, c.author, c.body, () =>
      c.body.trim()
        ? {
          id: `review_comment:${c.id}`,
          author: c.author ?? "unknown",
          kind: "review_comment",
          path: c.path,
          line: c.line,
          body: c.body,
          at: c.createdAt,
        }
        : "empty");
  }
  out.pr.sort((a, b) => ms(a.at) - ms(b.at));
  return out;
}
