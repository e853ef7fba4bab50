/**
 * {@link GitWorkspaces} over the git CLI. One bare cache per repository
 * (`<cacheDir>/<repoId>.git`, made by `git clone --bare`, never `--mirror`),
 * fetched under a per-repo lock with the explicit refspec
 * `+refs/heads/*:refs/remotes/origin/*`; one worktree per run
 * (`<worktreeDir>/<repoId>/<runId>`, `git worktree add`), removed with
 * `git worktree remove --force` and `git worktree prune`.
 *
 * Pushes name an explicit refspec (`HEAD:refs/heads/<branch>`) without `+`, so
 * git refuses anything but a fast-forward. Tokens go through the environment only
 * (see `command.ts`).
 *
 * @module
 */
import type { GitProbe } from "../../domain/ports/probes.ts";
import { join, resolve } from "node:path";
import {
  type ChangedFile,
  type CommitRequest,
  type CommitResult,
  type DiffOptions,
  GitError,
  type GitWorkspaces,
  type PrepareWorkspace,
  type PushRequest,
  type RepoSource,
  type Snapshot,
  type Worktree,
} from "../../domain/ports/git.ts";
import type { Logger } from "../../domain/ports/logger.ts";
import { GitRunner, type GitRunnerOptions } from "./command.ts";
import { RepoLock } from "./lock.ts";
import { parseStatus, parseWorktreeList, type WorktreeEntry } from "./porcelain.ts";
import {
  checkBranch,
  checkId,
  checkIdentity,
  commitMessage,
  normalizeCloneUrl,
} from "./validate.ts";

/** Options of {@link GitCliWorkspaces}. */
export interface GitCliWorkspacesOptions extends GitRunnerOptions {
  /** Where bare caches live, e.g. `<DATA_DIR>/git`. */
  cacheDir: string;
  /** Where run worktrees live, e.g. `<DATA_DIR>/worktrees`. */
  worktreeDir: string;
  logger?: Logger;
}

/** What the adapter remembers about a worktree, in its admin dir (not in the tree). */
interface WorktreeMeta {
  runId: string;
  branch: string;
  baseBranch: string;
  startSha: string;
  continued: boolean;
  /** The routed clone URL the worktree was prepared from: where pushes go. */
  url?: string;
}

const META_FILE = "ai-runner.json";
/** Where finished worktrees wait for the next run (not a valid run id: ids start alphanumeric). */
const POOL_DIR = ".pool";
/** Most parked worktrees per repo. */
const POOL_SIZE = 4;
const FETCH_REFSPEC = "+refs/heads/*:refs/remotes/origin/*";

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

async function removeTree(path: string): Promise<void> {
  await Deno.remove(path, { recursive: true }).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
}

/** Git workspaces on the local disk, driven through the git CLI. */
export class GitCliWorkspaces implements GitWorkspaces, GitProbe {
  readonly #git: GitRunner;
  readonly #lock: RepoLock;
  readonly #cacheDir: string;
  readonly #worktreeDir: string;
  readonly #logger?: Logger;

  constructor(options: GitCliWorkspacesOptions) {
    this.#git = new GitRunner(options);
    this.#lock = new RepoLock({ logger: options.logger });
    // Absolute: git runs with the cache as its cwd, so a relative path would double up.
    this.#cacheDir = resolve(options.cacheDir);
    this.#worktreeDir = resolve(options.worktreeDir);
    this.#logger = options.logger;
  }

  /** The bare cache of a repository (an absolute path). */
  cachePath(repoId: string): string {
    return join(this.#cacheDir, `${checkId("repoId", repoId)}.git`);
  }

  #withRepoLock<T>(repoId: string, work: () => Promise<T>): Promise<T> {
    return this.#lock.withLock(join(this.#cacheDir, `${repoId}.lock`), work);
  }

  async prepare(request: PrepareWorkspace): Promise<Worktree> {
    const repoId = checkId("repoId", request.repoId);
    const runId = checkId("runId", request.runId);
    const branch = checkBranch(request.branch);
    const baseBranch = checkBranch(request.baseBranch);
    if (branch === baseBranch) {
      throw new GitError("permanent", "invalid_input", `the run branch must not be ${baseBranch}`);
    }
    const url = normalizeCloneUrl(request.cloneUrl);
    await Deno.mkdir(this.#cacheDir, { recursive: true });
    await Deno.mkdir(join(this.#worktreeDir, repoId), { recursive: true });
    const path = join(await Deno.realPath(join(this.#worktreeDir, repoId)), runId);
    const token = request.token;

    return await this.#withRepoLock(repoId, async () => {
      const cache = await this.#ensureCache(repoId, url, token);
      await this.#git.run({
        action: "fetch",
        args: ["fetch", "--prune", "--no-tags", "origin", FETCH_REFSPEC],
        cwd: cache,
        token,
        remoteUrl: url,
      });
      const entries = await this.#worktrees(cache);
      const reused = await this.#reuse(entries, path, branch, runId);
      if (reused) {
        const { url: _, ...kept } = reused;
        if (reused.url !== url) await this.#writeMeta(path, { runId, ...kept, url });
        return { path, repoId, ...kept, reused: true };
      }

      for (const entry of entries) {
        const holdsBranch = entry.branch === `refs/heads/${branch}`;
        if (!entry.bare && (entry.path === path || holdsBranch)) {
          this.#logger?.warn("removing a leftover worktree", { path: entry.path, branch });
          await this.#removeAt(cache, entry.path);
        }
      }
      if (await exists(path)) await removeTree(path); // a directory git never registered
      await this.#git.run({ action: "worktree prune", args: ["worktree", "prune"], cwd: cache });

      const remoteBranch = `refs/remotes/origin/${branch}`;
      const continued = await this.#hasCommit(cache, remoteBranch);
      const start = continued ? remoteBranch : `refs/remotes/origin/${baseBranch}`;
      if (!continued && !(await this.#hasCommit(cache, start))) {
        throw new GitError(
          "permanent",
          "not_found",
          `base branch ${baseBranch} not found on the remote of ${repoId}`,
        );
      }
      if (!(await this.#takeFromPool(cache, repoId, path, branch, start))) {
        await this.#git.run({
          action: "worktree add",
          args: ["worktree", "add", "--no-track", "-B", branch, path, start],
          cwd: cache,
        });
      }
      const startSha = await this.#revParse(path, "HEAD");
      await this.#writeMeta(path, { runId, branch, baseBranch, startSha, continued, url });
      return { path, repoId, branch, baseBranch, startSha, continued, reused: false };
    });
  }

  async status(worktree: Worktree): Promise<ChangedFile[]> {
    const { stdout } = await this.#git.run({
      action: "status",
      args: ["status", "--porcelain=v1", "-z", "--no-renames", "--untracked-files=all"],
      cwd: worktree.path,
    });
    return parseStatus(stdout);
  }

  async diff(worktree: Worktree, options: DiffOptions = {}): Promise<string> {
    return (await this.snapshot(worktree, options)).diff;
  }

  async snapshot(worktree: Worktree, options: DiffOptions = {}): Promise<Snapshot> {
    const from = options.from ?? worktree.startSha;
    if (!/^[0-9a-f]{4,64}$/i.test(from)) {
      throw new GitError("permanent", "invalid_input", `diff base ${from} is not a commit id`);
    }
    // A copy of the index takes the untracked files, so the worktree's own stays as it is.
    const { stdout: indexPath } = await this.#git.run({
      action: "rev-parse",
      args: ["rev-parse", "--path-format=absolute", "--git-path", "index"],
      cwd: worktree.path,
    });
    const scratch = await Deno.makeTempDir({ prefix: "ai-runner-diff-" });
    try {
      const index = join(scratch, "index");
      try {
        // The copy keeps the index's mtime: git tells a racily clean entry (a file
        // edited in the same second the index recorded it, same size) by comparing
        // with the index file's own mtime; a copy stamped "now" hides such an edit.
        const { mtime } = await Deno.stat(indexPath.trim());
        await Deno.copyFile(indexPath.trim(), index);
        if (mtime) await Deno.utime(index, mtime, mtime);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
      const env = { GIT_INDEX_FILE: index };
      const cwd = worktree.path;
      await this.#git.run({ action: "add", args: ["add", "-A"], cwd, env });
      const { stdout: tree } = await this.#git.run({
        action: "write-tree",
        args: ["write-tree"],
        cwd,
        env,
      });
      const treeId = tree.trim();
      const diffArgs = ["--no-color", "--no-ext-diff", "--no-textconv", "--ignore-submodules=none"];
      const { stdout: diff } = await this.#git.run({
        action: "diff",
        args: ["diff", "--binary", ...diffArgs, from, treeId],
        cwd,
      });
      const { stdout: names } = await this.#git.run({
        action: "diff",
        args: ["diff", "--name-only", "-z", "--no-renames", ...diffArgs, "HEAD", treeId],
        cwd,
      });
      return { tree: treeId, diff, filesChanged: names.split("\0").filter(Boolean).sort() };
    } finally {
      await removeTree(scratch);
    }
  }

  async commitTree(
    worktree: Worktree,
    tree: string,
    request: CommitRequest,
  ): Promise<CommitResult | null> {
    if (!/^[0-9a-f]{40,64}$/i.test(tree)) {
      throw new GitError("permanent", "invalid_input", `${tree} is not a tree id`);
    }
    const author = checkIdentity("author", request.author);
    const committer = checkIdentity("committer", request.committer ?? request.author);
    const message = commitMessage(request.message, request.trailers);
    const cwd = worktree.path;
    const head = await this.#revParse(cwd, "HEAD");
    const headTree = await this.#revParse(cwd, "HEAD^{tree}");
    if (headTree === tree) return null;
    const { stdout: names } = await this.#git.run({
      action: "diff-tree",
      args: ["diff-tree", "-r", "--name-only", "-z", "--no-renames", headTree, tree],
      cwd,
    });
    const { stdout: sha } = await this.#git.run({
      action: "commit-tree",
      args: ["commit-tree", tree, "-p", head, "-F", "-"],
      cwd,
      stdin: message,
      env: {
        GIT_AUTHOR_NAME: author.name,
        GIT_AUTHOR_EMAIL: author.email,
        GIT_COMMITTER_NAME: committer.name,
        GIT_COMMITTER_EMAIL: committer.email,
        // A given date makes the commit reproducible: same tree, parent, message, date.
        ...(request.date
          ? { GIT_AUTHOR_DATE: request.date, GIT_COMMITTER_DATE: request.date }
          : {}),
      },
    });
    const commit = sha.trim();
    // Compare-and-swap on the old head: nothing else moved the branch meanwhile.
    await this.#git.run({
      action: "update-ref",
      args: ["update-ref", "-m", "ai-runner: commit", "HEAD", commit, head],
      cwd,
    });
    // The index follows the commit; the files on disk are left as they are.
    await this.#git.run({ action: "read-tree", args: ["read-tree", commit], cwd });
    return { sha: commit, filesChanged: names.split("\0").filter(Boolean).sort() };
  }

  /** The merge base of the base branch (as last fetched) and HEAD. */
  async mergeBase(worktree: Worktree): Promise<string> {
    const base = `refs/remotes/origin/${checkBranch(worktree.baseBranch)}`;
    const { stdout } = await this.#git.run({
      action: "merge-base",
      args: ["merge-base", base, "HEAD"],
      cwd: worktree.path,
    });
    const sha = stdout.trim();
    if (!/^[0-9a-f]{40,64}$/.test(sha)) {
      throw new GitError(
        "permanent",
        "not_found",
        `no merge base of ${worktree.baseBranch} and HEAD`,
      );
    }
    return sha;
  }

  async applyPatch(worktree: Worktree, patch: string): Promise<void> {
    if (!patch.trim()) return;
    try {
      await this.#git.run({
        action: "apply",
        args: ["apply", "--3way", "--whitespace=nowarn", "-"],
        cwd: worktree.path,
        stdin: patch.endsWith("\n") ? patch : `${patch}\n`,
      });
    } catch (error) {
      if (!(error instanceof GitError) || error.kind === "transient") throw error;
      throw new GitError("permanent", "conflict", error.message);
    }
  }

  head(worktree: Worktree): Promise<string> {
    return this.#revParse(worktree.path, "HEAD");
  }

  async reset(worktree: Worktree, sha: string, mode: "hard" | "soft"): Promise<void> {
    if (!/^[0-9a-f]{7,64}$/i.test(sha)) {
      throw new GitError("permanent", "invalid_input", `reset target ${sha} is not a commit id`);
    }
    const cwd = worktree.path;
    await this.#git.run({ action: "reset", args: ["reset", "--quiet", `--${mode}`, sha], cwd });
    if (mode === "hard") {
      await this.#git.run({ action: "clean", args: ["clean", "-d", "--force", "--quiet"], cwd });
    }
  }

  async commit(worktree: Worktree, request: CommitRequest): Promise<CommitResult | null> {
    const author = checkIdentity("author", request.author);
    const committer = checkIdentity("committer", request.committer ?? request.author);
    const message = commitMessage(request.message, request.trailers);
    const cwd = worktree.path;
    await this.#git.run({ action: "add", args: ["add", "-A"], cwd });
    const { stdout } = await this.#git.run({
      action: "diff",
      args: ["diff", "--cached", "--name-only", "-z", "--no-renames"],
      cwd,
    });
    const filesChanged = stdout.split("\0").filter(Boolean);
    if (filesChanged.length === 0) return null;
    await this.#git.run({
      action: "commit",
      args: ["commit", "--no-verify", "--cleanup=whitespace", "--file=-"],
      cwd,
      stdin: message,
      env: {
        GIT_AUTHOR_NAME: author.name,
        GIT_AUTHOR_EMAIL: author.email,
        GIT_COMMITTER_NAME: committer.name,
        GIT_COMMITTER_EMAIL: committer.email,
        ...(request.date
          ? { GIT_AUTHOR_DATE: request.date, GIT_COMMITTER_DATE: request.date }
          : {}),
      },
    });
    return { sha: await this.#revParse(cwd, "HEAD"), filesChanged };
  }

  async push(worktree: Worktree, request: PushRequest): Promise<{ sha: string }> {
    const branch = checkBranch(request.branch);
    if (branch === worktree.baseBranch) {
      throw new GitError(
        "permanent",
        "invalid_input",
        `refusing to push to the base branch ${branch}`,
      );
    }
    const cwd = worktree.path;
    // The routed URL, never one read back from the repository's config: sandboxed
    // code (or an older runner) may have pointed origin somewhere else.
    const url = request.cloneUrl
      ? normalizeCloneUrl(request.cloneUrl)
      : (await this.#readMeta(cwd))?.url;
    if (!url) {
      throw new GitError(
        "permanent",
        "invalid_input",
        "push needs the routed clone URL (this worktree was prepared without one)",
      );
    }
    // insteadOf/pushInsteadOf in the cache's config would still rewrite the URL: the
    // config is reset to the runner's own first.
    const repoId = checkId("repoId", worktree.repoId);
    await this.#withRepoLock(repoId, () => this.#resetCacheConfig(this.cachePath(repoId), url));
    // Pushing to a URL (not a remote name) updates no remote-tracking ref in the cache.
    await this.#git.run({
      action: "push",
      args: ["push", "--porcelain", "--no-verify", url, `HEAD:refs/heads/${branch}`],
      cwd,
      token: request.token,
      remoteUrl: url,
    });
    return { sha: await this.#revParse(cwd, "HEAD") };
  }

  async remove(worktree: Worktree): Promise<void> {
    const repoId = checkId("repoId", worktree.repoId);
    const cache = this.cachePath(repoId);
    if (!(await exists(cache))) return await removeTree(worktree.path);
    await this.#withRepoLock(repoId, async () => {
      if (!(await this.#returnToPool(cache, repoId, worktree.path))) {
        await this.#removeAt(cache, worktree.path);
      }
    });
  }

  /**
   * Parks a finished run's worktree (detached, its branch released) for the next
   * run of the repo: checking out a nearby commit rewrites only the files that
   * differ, where a new worktree writes every file of the repository.
   */
  async #returnToPool(cache: string, repoId: string, path: string): Promise<boolean> {
    const pool = join(this.#worktreeDir, repoId, POOL_DIR);
    try {
      if (!(await exists(join(path, ".git")))) return false;
      await Deno.mkdir(pool, { recursive: true });
      let parked = 0;
      for await (const _ of Deno.readDir(pool)) parked++;
      if (parked >= POOL_SIZE) return false;
      await this.#git.run({ action: "checkout", args: ["checkout", "-q", "--detach"], cwd: path });
      await removeTree(join(await this.#gitDir(path), META_FILE));
      const target = join(await Deno.realPath(pool), crypto.randomUUID());
      await this.#git.run({
        action: "worktree move",
        args: ["worktree", "move", path, target],
        cwd: cache,
      });
      return true;
    } catch (error) {
      this.#logger?.warn("could not park the worktree; removing it", { path, error });
      return false;
    }
  }

  /** Moves a parked worktree to `path` and checks out `branch` at `start`, clean. */
  async #takeFromPool(
    cache: string,
    repoId: string,
    path: string,
    branch: string,
    start: string,
  ): Promise<boolean> {
    const pool = join(this.#worktreeDir, repoId, POOL_DIR);
    let parked: string | null = null;
    try {
      for await (const e of Deno.readDir(pool)) {
        if (e.isDirectory) {
          parked = join(await Deno.realPath(pool), e.name);
          break;
        }
      }
    } catch {
      return false;
    }
    if (!parked) return false;
    try {
      await this.#git.run({
        action: "worktree move",
        args: ["worktree", "move", parked, path],
        cwd: cache,
      });
      await this.#git.run({
        action: "checkout",
        args: ["checkout", "-q", "-f", "--no-track", "-B", branch, start],
        cwd: path,
      });
      await this.#git.run({ action: "clean", args: ["clean", "-q", "-ffdx"], cwd: path });
      return true;
    } catch (error) {
      this.#logger?.warn("a parked worktree could not be reused; creating a new one", { error });
      await this.#removeAt(cache, (await exists(path)) ? path : parked);
      return false;
    }
  }

  async remoteHead(repo: RepoSource, branch: string): Promise<string | null> {
    const ref = `refs/heads/${checkBranch(branch)}`;
    const url = normalizeCloneUrl(repo.cloneUrl);
    await Deno.mkdir(this.#cacheDir, { recursive: true });
    const { stdout } = await this.#git.run({
      action: "ls-remote",
      args: ["ls-remote", "--heads", url, ref],
      cwd: this.#cacheDir,
      token: repo.token,
      remoteUrl: url,
    });
    for (const line of stdout.split("\n")) {
      const [sha, name] = line.split("\t");
      if (name === ref) return sha;
    }
    return null;
  }

  /** Clones the bare cache if it is missing or broken; points `origin` at `url`. */
  async #ensureCache(repoId: string, url: string, token?: string): Promise<string> {
    const cache = this.cachePath(repoId);
    if (await this.#isBareRepo(cache)) {
      await this.#resetCacheConfig(cache, url);
      return cache;
    }
    await removeTree(cache);
    for await (const entry of Deno.readDir(this.#cacheDir)) {
      if (entry.name.startsWith(`${repoId}.git.tmp-`)) {
        await removeTree(join(this.#cacheDir, entry.name));
      }
    }
    // Clone beside the cache and rename: a killed clone never looks like a cache.
    const tmp = `${cache}.tmp-${crypto.randomUUID()}`;
    await this.#git.run({
      action: "clone",
      args: ["clone", "--bare", "--no-tags", "--", url, tmp],
      cwd: this.#cacheDir,
      token,
      remoteUrl: url,
    });
    await Deno.rename(tmp, cache);
    await this.#resetCacheConfig(cache, url);
    return cache;
  }

  /**
   * Rewrites the cache's config to what the runner needs and nothing else
   * (format, bare, origin's URL): whatever an older runner let sandboxed code
   * plant there (fsmonitor, hooksPath, filters, includes, insteadOf,
   * worktreeConfig, a redirected remote) is gone before the cache is used.
   */
  async #resetCacheConfig(cache: string, url: string): Promise<void> {
    const get = async (key: string) =>
      (await this.#git.run({
        action: "config",
        args: ["config", "--file", join(cache, "config"), "--get", key],
        cwd: cache,
        okCodes: [1],
      })).stdout.trim();
    const objectFormat = await get("extensions.objectformat");
    const fresh = join(cache, `config.ai-runner-${crypto.randomUUID()}`);
    const set = (key: string, value: string) =>
      this.#git.run({
        action: "config",
        args: ["config", "--file", fresh, key, value],
        cwd: cache,
      });
    try {
      await set("core.repositoryformatversion", objectFormat ? "1" : "0");
      await set("core.filemode", "true");
      await set("core.bare", "true");
      if (objectFormat) await set("extensions.objectformat", objectFormat);
      await set("remote.origin.url", url);
      await Deno.rename(fresh, join(cache, "config"));
    } finally {
      await removeTree(fresh);
    }
  }

  async #isBareRepo(cache: string): Promise<boolean> {
    if (!(await exists(join(cache, "HEAD")))) return false;
    try {
      const { stdout } = await this.#git.run({
        action: "rev-parse",
        args: ["rev-parse", "--is-bare-repository"],
        cwd: cache,
      });
      return stdout.trim() === "true";
    } catch {
      return false;
    }
  }

  /** The run's own worktree left by a killed attempt, if it is whole and on the branch. */
  async #reuse(
    entries: WorktreeEntry[],
    path: string,
    branch: string,
    runId: string,
  ): Promise<Omit<WorktreeMeta, "runId"> | null> {
    const entry = entries.find((e) => e.path === path);
    if (!entry || entry.prunable || entry.branch !== `refs/heads/${branch}`) return null;
    if (!(await exists(path))) return null;
    let gitDir: string;
    let meta: WorktreeMeta;
    try {
      gitDir = await this.#gitDir(path);
      meta = JSON.parse(await Deno.readTextFile(join(gitDir, META_FILE)));
    } catch {
      return null; // the add never finished
    }
    if (meta.runId !== runId || meta.branch !== branch) return null;
    // A git command killed with the worker leaves its index lock behind.
    await removeTree(join(gitDir, "index.lock"));
    this.#logger?.warn("reusing the worktree of an earlier attempt of the run", { path, runId });
    const { runId: _, ...rest } = meta;
    return rest;
  }

  async #removeAt(cache: string, path: string): Promise<void> {
    await this.#git.run({
      action: "worktree remove",
      args: ["worktree", "remove", "--force", "--force", path],
      cwd: cache,
    }).catch((error) => {
      if (!(error instanceof GitError)) throw error; // not registered any more: fine
    });
    await removeTree(path);
    await this.#git.run({ action: "worktree prune", args: ["worktree", "prune"], cwd: cache });
  }

  async #worktrees(cache: string): Promise<WorktreeEntry[]> {
    const { stdout } = await this.#git.run({
      action: "worktree list",
      args: ["worktree", "list", "--porcelain", "-z"],
      cwd: cache,
    });
    return parseWorktreeList(stdout);
  }

  async #hasCommit(cwd: string, ref: string): Promise<boolean> {
    const { code } = await this.#git.run({
      action: "rev-parse",
      args: ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`],
      cwd,
      okCodes: [1],
    });
    return code === 0;
  }

  async #revParse(cwd: string, rev: string): Promise<string> {
    const { stdout } = await this.#git.run({
      action: "rev-parse",
      args: ["rev-parse", "--verify", rev],
      cwd,
    });
    return stdout.trim();
  }

  async #writeMeta(path: string, meta: WorktreeMeta): Promise<void> {
    await Deno.writeTextFile(join(await this.#gitDir(path), META_FILE), JSON.stringify(meta));
  }

  async #readMeta(path: string): Promise<WorktreeMeta | null> {
    try {
      return JSON.parse(await Deno.readTextFile(join(await this.#gitDir(path), META_FILE)));
    } catch {
      return null;
    }
  }

  async #gitDir(worktreePath: string): Promise<string> {
    const { stdout } = await this.#git.run({
      action: "rev-parse",
      args: ["rev-parse", "--absolute-git-dir"],
      cwd: worktreePath,
    });
    return stdout.trim();
  }
}
