/**
 * GitHub REST objects to the port's plain objects. The input types name only the
 * fields read, so octokit's response types and the fake's JSON both fit.
 *
 * @module
 */
import type {
  CheckRun,
  CollaboratorPermission,
  CommitStatus,
  PullRequest,
  Review,
  ReviewComment,
  ReviewState,
} from "../../domain/ports/github.ts";
import { shortenMiddle } from "../../domain/shorten.ts";

/** The fields of a REST pull request the runner reads (list items lack `merged`). */
export interface RestPullRequest {
  number: number;
  html_url: string;
  state: string;
  draft?: boolean;
  merged?: boolean;
  merged_at: string | null;
  title: string;
  body: string | null;
  head: { ref: string; label: string; sha: string };
  base: { ref: string };
  user: { login: string } | null;
  created_at: string;
  updated_at: string;
}

/** The fields of a REST review the runner reads. */
export interface RestReview {
  id: number;
  user: { login: string; type?: string } | null;
  state: string;
  body: string | null;
  html_url: string;
  submitted_at?: string | null;
  commit_id: string | null;
}

/** The fields of a REST review comment the runner reads. */
export interface RestReviewComment {
  id: number;
  pull_request_review_id: number | null;
  in_reply_to_id?: number;
  user: { login: string; type?: string } | null;
  body: string;
  path: string;
  line?: number | null;
  original_line?: number | null;
  start_line?: number | null;
  side?: string | null;
  diff_hunk?: string;
  commit_id?: string;
  html_url: string;
  created_at: string;
  updated_at: string;
}

/** The fields of a REST check run the runner reads. */
export interface RestCheckRun {
  id: number;
  name: string;
  head_sha: string;
  status: string;
  conclusion: string | null;
  details_url: string | null;
  html_url: string | null;
  output: { title: string | null; summary: string | null; text: string | null };
  app: { slug?: string } | null;
}

/** The fields of a REST commit status the runner reads. */
export interface RestCommitStatus {
  context: string;
  state: string;
  description: string | null;
  target_url: string | null;
}

/** Longest check-run title kept, in characters. */
export const CHECK_TITLE_CHARS = 300;
/** Longest check-run summary kept. */
export const CHECK_SUMMARY_CHARS = 2000;
/** Longest check-run text kept. */
export const CHECK_TEXT_CHARS = 4000;
/** Longest diff hunk kept on a review comment. */
export const DIFF_HUNK_CHARS = 4000;

/** A REST pull request as the port's {@link PullRequest}. */
export function toPullRequest(pr: RestPullRequest): PullRequest {
  return {
    number: pr.number,
    url: pr.html_url,
    state: pr.state === "closed" ? "closed" : "open",
    merged: pr.merged ?? pr.merged_at !== null,
    draft: pr.draft ?? false,
    title: pr.title,
    body: pr.body ?? "",
    headRef: pr.head.ref,
    headLabel: pr.head.label,
    headSha: pr.head.sha || null,
    baseRef: pr.base.ref,
    author: pr.user?.login ?? null,
    createdAt: pr.created_at,
    updatedAt: pr.updated_at,
  };
}

const REVIEW_STATES: Record<string, ReviewState> = {
  APPROVED: "approved",
  CHANGES_REQUESTED: "changes_requested",
  COMMENTED: "commented",
  DISMISSED: "dismissed",
  PENDING: "pending",
};

/** A REST review as the port's {@link Review}. */
export function toReview(review: RestReview): Review {
  return {
    id: review.id,
    author: review.user?.login ?? null,
    authorType: review.user?.type ?? null,
    state: REVIEW_STATES[review.state.toUpperCase()] ?? "commented",
    body: review.body ?? "",
    url: review.html_url,
    submittedAt: review.submitted_at ?? null,
    commitId: review.commit_id,
  };
}

/** A REST review comment as the port's {@link ReviewComment}. */
export function toReviewComment(comment: RestReviewComment): ReviewComment {
  return {
    id: comment.id,
    reviewId: comment.pull_request_review_id,
    inReplyToId: comment.in_reply_to_id ?? null,
    author: comment.user?.login ?? null,
    authorType: comment.user?.type ?? null,
    body: comment.body,
    path: comment.path,
    line: comment.line ?? null,
    url: comment.html_url,
    createdAt: comment.created_at,
    updatedAt: comment.updated_at,
    diffHunk: tailOf(comment.diff_hunk ?? "", DIFF_HUNK_CHARS),
    originalLine: comment.original_line ?? null,
    startLine: comment.start_line ?? null,
    side: comment.side === "LEFT" || comment.side === "RIGHT" ? comment.side : null,
    ...(comment.commit_id ? { commitId: comment.commit_id } : {}),
  };
}

/** The end of a hunk: the commented line is its last line, so keep the tail. */
function tailOf(text: string, max: number): string {
  if (text.length <= max) return text;
  const tail = text.slice(text.length - max);
  return `…\n${tail.slice(tail.indexOf("\n") + 1)}`;
}

/** A REST check run as the port's {@link CheckRun}, its texts bounded. */
export function toCheckRun(run: RestCheckRun): CheckRun {
  return {
    id: run.id,
    name: run.name,
    status: run.status,
    conclusion: run.conclusion ?? null,
    title: shortenMiddle(run.output?.title ?? "", CHECK_TITLE_CHARS),
    summary: shortenMiddle(run.output?.summary ?? "", CHECK_SUMMARY_CHARS),
    text: shortenMiddle(run.output?.text ?? "", CHECK_TEXT_CHARS),
    url: run.details_url || run.html_url || "",
    headSha: run.head_sha,
    app: run.app?.slug ?? null,
  };
}

/** A REST commit status as the port's {@link CommitStatus}. */
export function toCommitStatus(status: RestCommitStatus): CommitStatus {
  return {
    context: status.context,
    state: status.state,
    description: shortenMiddle(status.description ?? "", CHECK_TITLE_CHARS),
    url: status.target_url || null,
  };
}

const BASE_PERMISSIONS = new Set(["admin", "write", "read", "none"]);

/**
 * GitHub's collaborator permission answer as the port's
 * {@link CollaboratorPermission}; an unknown `permission` reads `none`.
 */
export function toCollaboratorPermission(
  data: { permission: string; role_name?: string | null },
): CollaboratorPermission {
  const permission = BASE_PERMISSIONS.has(data.permission)
    ? data.permission as CollaboratorPermission["permission"]
    : "none";
  return { permission, roleName: data.role_name ?? null };
}
