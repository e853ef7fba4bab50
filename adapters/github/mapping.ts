/**
 * GitHub REST objects to the port's plain objects. The input types name only the
 * fields read, so octokit's response types and the fake's JSON both fit.
 *
 * @module
 */
import type {
  CollaboratorPermission,
  PullRequest,
  Review,
  ReviewComment,
  ReviewState,
} from "../../domain/ports/github.ts";

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
  html_url: string;
  created_at: string;
  updated_at: string;
}

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
