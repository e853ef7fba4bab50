/**
 * The GitHub port: the pull-request side of a run. Adapter:
 * `adapters/github/` (octokit, with a personal access token or a GitHub App).
 *
 * Every method answers plain objects; every failure is a {@link GitHubError}
 * classified transient (retry later, maybe after `retryAfterMs`) or permanent.
 *
 * @module
 */
import type { ErrorKind } from "./errors.ts";

/** A repository as `owner/name`. */
export type RepoSlug = string;

/** A pull request, as much of it as the runner uses. */
export interface PullRequest {
  number: number;
  /** The page people open (`html_url`). */
  url: string;
  state: "open" | "closed";
  merged: boolean;
  draft: boolean;
  title: string;
  /** The description; empty when there is none. */
  body: string;
  /** The head branch, e.g. `ai/MWC-42`. */
  headRef: string;
  /** `owner:branch`. */
  headLabel: string;
  /** The head commit, when GitHub reported one. */
  headSha: string | null;
  /** The branch it merges into. */
  baseRef: string;
  /** Login of who opened it. */
  author: string | null;
  createdAt: string;
  updatedAt: string;
}

/** What {@link GitHubClient.createPullRequest} opens. */
export interface NewPullRequest {
  repo: RepoSlug;
  /** The head branch in the same repository, e.g. `ai/MWC-42`. */
  head: string;
  base: string;
  title: string;
  body: string;
  draft?: boolean;
}

/** The outcome of {@link GitHubClient.createPullRequest}. */
export interface OpenedPullRequest {
  pullRequest: PullRequest;
  /**
   * False when an open pull request for the branch already existed and is
   * returned instead (including our own create whose answer was lost, retried).
   */
  created: boolean;
  /**
   * True when a draft was asked for and GitHub refused drafts in this repository
   * (422 "Draft pull requests are not supported in this repository.": private
   * repositories of Free and Pro owners): the pull request was opened ready for
   * review instead, its title prefixed with {@link VALIDATION_FAILED_TITLE_PREFIX}
   * and its body starting with a warning. Say so wherever the draft would have.
   */
  draftRefused?: boolean;
}

/** What starts the title of a pull request that should have been a draft. */
export const VALIDATION_FAILED_TITLE_PREFIX = "[validation failed] ";

/** What {@link GitHubClient.updatePullRequest} changes; absent fields stay. */
export interface PullRequestUpdate {
  repo: RepoSlug;
  number: number;
  title?: string;
  body?: string;
}

/** A comment on a line of a pull request's diff. */
export interface ReviewComment {
  id: number;
  /** The review it belongs to, if any. */
  reviewId: number | null;
  /** The comment this one answers, if any. */
  inReplyToId: number | null;
  author: string | null;
  /** The author's account type (`User`, `Bot`, …), when GitHub said. */
  authorType?: string | null;
  body: string;
  path: string;
  /** The line in the diff's new side; null for outdated or file-level comments. */
  line: number | null;
  url: string;
  createdAt: string;
  updatedAt: string;
  /** The diff around the commented line(s), as GitHub shows it (`diff_hunk`). */
  diffHunk?: string;
  /** The line when the comment was written (stays when the code moved on). */
  originalLine?: number | null;
  /** First line of a multi-line comment, when it spans several. */
  startLine?: number | null;
  /** `RIGHT`: the new code; `LEFT`: the removed code. */
  side?: "LEFT" | "RIGHT" | null;
  /** The commit the comment was made on. */
  commitId?: string;
}

/** A check run's outcome (`GET /repos/{o}/{r}/commits/{ref}/check-runs`). */
export interface CheckRun {
  id: number;
  name: string;
  /** `queued`, `in_progress`, `completed` (and GitHub Actions' `waiting`, `requested`, `pending`). */
  status: string;
  /** Set once completed: `success`, `failure`, `neutral`, `cancelled`, `skipped`, `timed_out`, `action_required`, `stale`. */
  conclusion: string | null;
  /** `output.title`, `output.summary` and `output.text`, each cut to a bounded length. */
  title: string;
  summary: string;
  text: string;
  /** Where a person reads the details (`details_url`, else `html_url`). */
  url: string;
  headSha: string;
  /** The app that ran it (`github-actions`), when GitHub says. */
  app: string | null;
}

/** One commit status (`GET /repos/{o}/{r}/commits/{ref}/status`, `statuses[]`). */
export interface CommitStatus {
  /** The status's name (`ci/jenkins`). */
  context: string;
  /** `error`, `failure`, `pending` or `success`. */
  state: string;
  description: string;
  url: string | null;
}

/** The checks on a commit: check runs and the combined commit status. */
export interface CommitChecks {
  /** The commit the ref pointed at (from the combined status). */
  sha: string;
  checkRuns: CheckRun[];
  /** The combined state of the commit statuses: `failure`, `pending` or `success` (also with none). */
  combinedState: string;
  statuses: CommitStatus[];
}

/** A review's verdict. */
export type ReviewState = "approved" | "changes_requested" | "commented" | "dismissed" | "pending";

/** A pull request review. */
export interface Review {
  id: number;
  author: string | null;
  /** The author's account type (`User`, `Bot`, …), when GitHub said. */
  authorType?: string | null;
  state: ReviewState;
  body: string;
  url: string;
  /** Null while the review is pending. */
  submittedAt: string | null;
  commitId: string | null;
}

/** What the runner's credentials may do on a repository. */
export interface RepoAccess {
  pull: boolean;
  push: boolean;
  /**
   * Where the answer came from: the repository's `permissions` (token users) or
   * the installation token's granted permissions (GitHub Apps).
   */
  source: "repository" | "installation";
}

/**
 * A user's permission on a repository (GitHub's collaborator permission):
 * `permission` is the base role (`admin`, `write`, `read`, `none`; `maintain`
 * reads `write`, `triage` reads `read`), `roleName` the role itself.
 */
export interface CollaboratorPermission {
  permission: "admin" | "write" | "read" | "none";
  roleName: string | null;
}

/** Why a call failed, for programs. */
export type GitHubErrorReason =
  /** 401: the token or the app's key is wrong, revoked or expired. */
  | "unauthorized"
  /** 403 that is not a rate limit: the credentials lack a permission. */
  | "forbidden"
  /** 404: no such repository or pull request, or it is invisible to the credentials. */
  | "not_found"
  /** 422 and other refusals of the request itself. */
  | "validation"
  /** Primary or secondary rate limit; see `retryAfterMs`. */
  | "rate_limited"
  /** 5xx. */
  | "server"
  /** No answer: connection refused, reset, timed out. */
  | "network"
  /** An answer the client did not expect, or a configuration problem. */
  | "unexpected";

/** A failed GitHub call; the message never holds a secret. */
export class GitHubError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly reason: GitHubErrorReason,
    /** The HTTP status; 0 when there was no answer. */
    readonly status: number,
    message: string,
    /** How long GitHub asked to wait before trying again, when it said. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = "GitHubError";
  }
}

/** Pull requests and repository access on GitHub (or GHES, or a fake). */
export interface GitHubClient {
  /** The open pull request whose head is `branch` in `repo`, or null. */
  findOpenPullRequest(repo: RepoSlug, branch: string): Promise<PullRequest | null>;
  /**
   * Opens a pull request unless one is already open for the head branch: looks
   * before creating, and answers the existing one when GitHub reports a duplicate.
   * A body over GitHub's limit is shortened in the middle; a refused draft is
   * opened as a marked ready pull request (see `OpenedPullRequest.draftRefused`).
   */
  createPullRequest(request: NewPullRequest): Promise<OpenedPullRequest>;
  /** Changes a pull request's title and/or body (shortened in the middle when over GitHub's limit). */
  updatePullRequest(request: PullRequestUpdate): Promise<PullRequest>;
  /** Review comments, oldest first; with `since` (ISO-8601) only those updated since then. */
  listReviewComments(repo: RepoSlug, number: number, since?: string): Promise<ReviewComment[]>;
  /** Reviews, oldest first. */
  listReviews(repo: RepoSlug, number: number): Promise<Review[]>;
  /**
   * A user's permission on the repository
   * (`GET /repos/{owner}/{repo}/collaborators/{username}/permission`). A user
   * who is no collaborator (GitHub answers 404) has `none`. Needs push access
   * (a GitHub App: the Metadata permission).
   */
  getCollaboratorPermission(repo: RepoSlug, login: string): Promise<CollaboratorPermission>;
  /**
   * The login the runner acts as (`GET /user` for a token); null for a GitHub
   * App, whose `<slug>[bot]` account is a bot anyway. Its reviews are never feedback.
   */
  ownLogin(): Promise<string | null>;
  /**
   * The checks on a commit or branch head (`ref`: a sha or a branch name): the
   * latest check run of each name (at most 300) and the combined commit status.
   * Texts are cut to a bounded length; they are written by CI, so untrusted.
   */
  getCommitChecks(repo: RepoSlug, ref: string): Promise<CommitChecks>;
  /**
   * A token git can use over HTTPS (`x-access-token:<token>`): the personal access
   * token, or a current installation token with minutes of life left.
   */
  tokenForGit(): Promise<string>;
}
