/**
 * The git workspace port: a per-run working tree on branch `ai/<KEY>` of a routed
 * repository, and the few git operations a run needs (status, diff, commit, push).
 * Adapter: `adapters/git/` (the git CLI over a bare cache per repository).
 *
 * Tokens are passed per call and reach git only through its environment; they are
 * never written to a file, a remote URL, an argument list or an error message.
 *
 * @module
 */
import type { ErrorKind } from "./errors.ts";

/** Where a repository comes from. */
export interface RepoSource {
  /** The routing entry's id; names the cache (`<cacheDir>/<repoId>.git`). */
  repoId: string;
  /** An `https://` URL (never with credentials in it), a local path or a `file://` URL. */
  cloneUrl: string;
  /** A token for HTTPS remotes (a PAT or an installation token); unused for local remotes. */
  token?: string;
}

/** What {@link GitWorkspaces.prepare} needs. */
export interface PrepareWorkspace extends RepoSource {
  /** The branch pull requests go into, e.g. `main`. */
  baseBranch: string;
  /** The run's branch, e.g. `ai/MWC-42`; never the base branch. */
  branch: string;
  /** The run; names the worktree directory, so a resumed run finds its own. */
  runId: string;
}

/** A run's working tree. */
export interface Worktree {
  /** Absolute path of the working tree. */
  path: string;
  repoId: string;
  /** The branch checked out in it. */
  branch: string;
  baseBranch: string;
  /** The commit the run started from: the remote branch's head, or the base branch's. */
  startSha: string;
  /** True when the branch existed on the remote and the run continues it. */
  continued: boolean;
  /**
   * True when the run's worktree was left by an earlier attempt of the same run
   * (a killed worker) and is reused as it was, with its uncommitted edits and
   * unpushed commits.
   */
  reused: boolean;
}

/** How a file differs from the worktree's last commit. */
export type FileChange = "added" | "modified" | "deleted" | "type_changed";

/** One changed file, path relative to the worktree root. */
export interface ChangedFile {
  path: string;
  change: FileChange;
}

/** A commit author or committer. */
export interface GitIdentity {
  name: string;
  email: string;
}

/** What {@link GitWorkspaces.commit} records. */
export interface CommitRequest {
  /** The message, first line `<KEY>: <short summary>`; trailers are appended after a blank line. */
  message: string;
  author: GitIdentity;
  /** Default: the author. */
  committer?: GitIdentity;
  /** `Token: value` lines, e.g. `Co-authored-by: Name <email>`, `Jira-Issue: KEY`. */
  trailers?: string[];
  /** Author and committer date (ISO-8601); with the same tree and parent, the same commit id. */
  date?: string;
}

/** A commit that was made. */
export interface CommitResult {
  sha: string;
  /** Paths the commit touched, relative to the worktree root. */
  filesChanged: string[];
}

/** What {@link GitWorkspaces.push} needs. */
export interface PushRequest {
  /** The remote branch to update (`HEAD:refs/heads/<branch>`); never the base branch. */
  branch: string;
  token?: string;
  /**
   * Where to push: the routed clone URL. Default: the URL the worktree was
   * prepared from (recorded by the runner, never read back from repo config).
   */
  cloneUrl?: string;
}

/** A worktree's files frozen as a git tree, and what they change. */
export interface Snapshot {
  /** The tree object's id: exactly these contents are what {@link GitWorkspaces.commitTree} commits. */
  tree: string;
  /** A unified diff (`--binary`) from `startSha` (or `options.from`) to `tree`. */
  diff: string;
  /** Paths the tree changes relative to the worktree's HEAD, sorted. */
  filesChanged: string[];
}

/** Options of {@link GitWorkspaces.diff}. */
export interface DiffOptions {
  /** Diff from this commit; default the worktree's `startSha` (everything the run would push). */
  from?: string;
}

/** What went wrong, for programs. */
export type GitErrorCode =
  /** The remote branch has commits the run lacks; nothing was forced. */
  | "non_fast_forward"
  /** The remote refused the update (protected branch, hook). */
  | "remote_rejected"
  /** Credentials missing or refused. */
  | "auth"
  /** Repository or branch not found. */
  | "not_found"
  /** Network trouble, a 5xx, a dropped connection. */
  | "network"
  /** A git command ran longer than allowed. */
  | "timeout"
  /** A lock (index, ref) is held by someone else. */
  | "busy"
  /** A patch does not apply to the worktree. */
  | "conflict"
  /** A bad argument: branch name, clone URL with credentials, trailer shape. */
  | "invalid_input"
  /** Any other git failure. */
  | "git_failed";

/** A git failure; the message holds redacted git output and never a secret. */
export class GitError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: GitErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "GitError";
  }
}

/** Per-run working trees of routed repositories. */
export interface GitWorkspaces {
  /**
   * Brings the repository's cache up to date and gives the run its worktree on
   * `branch`: continued from the remote branch when it exists (keeping commits
   * people pushed), else created from the remote base branch. A worktree left by
   * a killed attempt of the same run is reused; any other leftover holding the
   * branch is removed first.
   */
  prepare(request: PrepareWorkspace): Promise<Worktree>;
  /** Uncommitted changes (tracked and untracked), relative to the worktree's HEAD. */
  status(worktree: Worktree): Promise<ChangedFile[]>;
  /**
   * A unified diff (`--binary`, so it applies whole) from `startSha` (or
   * `options.from`) to the files as they are now, untracked files included: what
   * a push would publish. Does not touch the worktree's index.
   */
  diff(worktree: Worktree, options?: DiffOptions): Promise<string>;
  /**
   * Applies a patch made by {@link GitWorkspaces.diff} (binary-safe), falling back
   * to a three-way merge; a patch that does not fit is a {@link GitError} with code
   * `conflict`. An empty patch changes nothing.
   */
  applyPatch(worktree: Worktree, patch: string): Promise<void>;
  /**
   * Freezes the worktree's files (tracked and untracked, ignoring what
   * .gitignore ignores) into a tree object, without touching the worktree's
   * index, and gives the diff of exactly that tree: scan the diff, then commit
   * the tree with {@link GitWorkspaces.commitTree}, so what was scanned is what
   * is committed even if the files change in between.
   */
  snapshot(worktree: Worktree, options?: DiffOptions): Promise<Snapshot>;
  /**
   * Commits exactly `tree` (from {@link GitWorkspaces.snapshot}) on top of HEAD
   * and moves the branch to it; null when the tree is HEAD's own (no empty
   * commit). Files changed since the snapshot stay uncommitted.
   */
  commitTree(
    worktree: Worktree,
    tree: string,
    request: CommitRequest,
  ): Promise<CommitResult | null>;
  /** The worktree's HEAD commit. */
  head(worktree: Worktree): Promise<string>;
  /**
   * Where the run's branch left the base branch: the merge base of the
   * remote base branch (as last fetched) and HEAD. `diff(worktree, {from})`
   * from it is the branch's whole change against the base: the work so far.
   */
  mergeBase(worktree: Worktree): Promise<string>;
  /**
   * Moves the worktree's branch back to `sha`: `hard` also puts every tracked
   * file back and removes untracked ones (ignored files, such as installed
   * dependencies, stay); `soft` keeps the files as they are.
   */
  reset(worktree: Worktree, sha: string, mode: "hard" | "soft"): Promise<void>;
  /** Commits every change; null when nothing changed (never an empty commit). */
  commit(worktree: Worktree, request: CommitRequest): Promise<CommitResult | null>;
  /**
   * Pushes HEAD to `refs/heads/<branch>` of the routed URL (never a URL read
   * back from the repository's config), fast-forward only. A remote branch that
   * moved on is a {@link GitError} with code `non_fast_forward`; nothing is forced.
   */
  push(worktree: Worktree, request: PushRequest): Promise<{ sha: string }>;
  /** Removes the worktree (idempotent). */
  remove(worktree: Worktree): Promise<void>;
}
