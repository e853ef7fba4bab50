/**
 * Which comments a run acts on. Later runs of an issue get the comments that
 * arrived since the previous run fetched the issue, from trusted people only,
 * never the runner's own, and never a comment edited after the request arrived
 * (editing an old comment is a known way to slip instructions in).
 *
 * @module
 */
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

/** The rules of feedback selection for one run. */
export interface FeedbackRules {
  /** The runner's own Jira account: its comments are never feedback. */
  aiAccountId: string;
  /** Accounts whose comments count: by default the reviewer and the requester. */
  trustedAccountIds: ReadonlySet<string>;
  /** When the previous run fetched the issue (ISO); null on the first run. */
  since: string | null;
  /** When this run was requested (ISO): comments edited after it are ignored. */
  requestedAt: string;
}

/** A comment left out, and why (recorded so auditors can see it was seen). */
export interface SkippedComment {
  id: string;
  author: string;
  reason: "own" | "untrusted" | "edited_after_request" | "before_previous_run";
}

/** Splits Jira comments into feedback and skipped ones. */
export function selectJiraFeedback(
  comments: readonly JiraComment[],
  rules: FeedbackRules,
): { feedback: JiraComment[]; skipped: SkippedComment[] } {
  const feedback: JiraComment[] = [];
  const skipped: SkippedComment[] = [];
  const ms = Date.parse;
  for (const c of comments) {
    const skip = (reason: SkippedComment["reason"]) =>
      skipped.push({ id: c.id, author: c.author.displayName || c.author.accountId, reason });
    if (c.author.accountId === rules.aiAccountId || hasRunMarker(c.bodyText)) skip("own");
    else if (rules.since !== null && ms(c.created) <= ms(rules.since)) skip("before_previous_run");
    else if (!rules.trustedAccountIds.has(c.author.accountId)) skip("untrusted");
    else if (ms(c.updated) > ms(c.created) && ms(c.updated) > ms(rules.requestedAt)) {
      skip("edited_after_request");
    } else feedback.push(c);
  }
  return { feedback, skipped };
}

/** Pull-request feedback: review comments and reviews with a body, since `since`. */
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

/**
 * Review comments and reviews submitted since the previous run, not written by
 * the runner and not already acted on (`seen` ids). GitHub's times have whole
 * seconds, so "since" is compared at that precision.
 */
export function selectPullRequestFeedback(
  comments: readonly ReviewComment[],
  reviews: readonly Review[],
  since: string | null,
  seen: ReadonlySet<string> = new Set(),
): PullRequestFeedback[] {
  const sinceSecond = since === null ? null : Math.floor(Date.parse(since) / 1000) * 1000;
  const after = (at: string | null) =>
    at !== null && (sinceSecond === null || Date.parse(at) >= sinceSecond);
  const out: PullRequestFeedback[] = [];
  for (const r of reviews) {
    if (seen.has(`review:${r.id}`)) continue;
    if (!after(r.submittedAt) || hasRunMarker(r.body) || r.state === "pending") continue;
    if (!r.body.trim() && r.state !== "changes_requested") continue;
    out.push({
      id: `review:${r.id}`,
      author: r.author ?? "unknown",
      kind: "review",
      state: r.state,
      body: r.body,
      at: r.submittedAt!,
    });
  }
  for (const c of comments) {
    if (seen.has(`review_comment:${c.id}`)) continue;
    if (!after(c.createdAt) || hasRunMarker(c.body)) continue;
    out.push({
      id: `review_comment:${c.id}`,
      author: c.author ?? "unknown",
      kind: "review_comment",
      path: c.path,
      line: c.line,
      body: c.body,
      at: c.createdAt,
    });
  }
  return out.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}
