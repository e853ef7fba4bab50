/**
 * Cleaning up what runs leave behind: worktrees of runs that are no longer
 * active (no change, failed, cancelled, or a worker killed mid-run), and the
 * `ai-runner-diff-*` / `ai-runner-validate-*` scratch directories of processes
 * that died before removing them. Run at worker start and after each run ends.
 *
 * @module
 */
import { join } from "node:path";
import { tmpdir } from "node:os";
import type { Logger } from "../../domain/ports/logger.ts";

/** A run worktree on disk: `<worktreeDir>/<repoId>/<runId>`. */
export interface WorktreeOnDisk {
  repoId: string;
  runId: string;
  path: string;
}

/** Options of {@link sweepWorktrees}. */
export interface SweepWorktreesOptions {
  /** `<DATA_DIR>/worktrees`. */
  worktreeDir: string;
  /**
   * True for a run whose worktree must stay: queued, claimed or waiting to
   * retry (a resumed run continues in its worktree). Typically the `runs`
   * read model's status, or the decider's state.
   */
  isActive(runId: string): Promise<boolean>;
  /** Removes one worktree (the git adapter's `remove`: it parks or deletes it). */
  remove(worktree: WorktreeOnDisk): Promise<void>;
  logger?: Logger;
}

/** Directory names under a repo's worktree folder that are not run worktrees. */
const NOT_A_RUN = /^\./; // `.pool` (parked worktrees) and other adapter state

/** Removes the worktrees of runs that are not active; returns what it removed. */
export async function sweepWorktrees(options: SweepWorktreesOptions): Promise<WorktreeOnDisk[]> {
  const removed: WorktreeOnDisk[] = [];
  for (const repo of await dirs(options.worktreeDir)) {
    for (const run of await dirs(join(options.worktreeDir, repo))) {
      if (NOT_A_RUN.test(run)) continue;
      const worktree = { repoId: repo, runId: run, path: join(options.worktreeDir, repo, run) };
      try {
        if (await options.isActive(run)) continue;
        await options.remove(worktree);
        removed.push(worktree);
      } catch (error) {
        options.logger?.warn("could not remove a leftover worktree", { ...worktree, error });
      }
    }
  }
  if (removed.length) {
    options.logger?.info("removed leftover worktrees", {
      count: removed.length,
      runIds: removed.map((w) => w.runId).slice(0, 20),
    });
  }
  return removed;
}

/** Prefixes of the scratch directories the git and workspace adapters make. */
export const SCRATCH_PREFIXES: readonly string[] = ["ai-runner-diff-", "ai-runner-validate-"];

/** Options of {@link sweepScratchDirs}. */
export interface SweepScratchOptions {
  /** Where they are made (default the OS temp dir, `$TMPDIR` or `/tmp`). */
  tmpDir?: string;
  prefixes?: readonly string[];
  /**
   * A directory younger than this is left alone whatever else is known (it may
   * belong to a process that is just starting). Default 10 minutes.
   */
  minAgeMs?: number;
  /**
   * True when a live process still uses `path`. Default {@link inUseByLiveProcess}
   * (Linux `/proc`); where that cannot tell, a directory counts as in use until
   * it is `maxAgeMs` old.
   */
  inUse?: (path: string) => Promise<boolean | null>;
  /** Where `inUse` cannot tell: removed once older than this. Default 6 hours. */
  maxAgeMs?: number;
  now?: () => Date;
  logger?: Logger;
}

/** Removes scratch directories of dead processes; returns the paths removed. */
export async function sweepScratchDirs(options: SweepScratchOptions = {}): Promise<string[]> {
  const base = options.tmpDir ?? tmpdir();
  const prefixes = options.prefixes ?? SCRATCH_PREFIXES;
  const minAge = options.minAgeMs ?? 10 * 60_000;
  const maxAge = options.maxAgeMs ?? 6 * 60 * 60_000;
  const now = (options.now ?? (() => new Date()))().getTime();
  const inUse = options.inUse ?? inUseByLiveProcess;
  const removed: string[] = [];
  for (const name of await dirs(base)) {
    if (!prefixes.some((p) => name.startsWith(p))) continue;
    const path = join(base, name);
    try {
      const info = await Deno.lstat(path);
      if (!info.isDirectory) continue;
      const age = now - (info.mtime?.getTime() ?? now);
      if (age < minAge) continue;
      const used = await inUse(path);
      if (used === true || (used === null && age < maxAge)) continue;
      await Deno.remove(path, { recursive: true });
      removed.push(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) {
        options.logger?.warn("could not remove a scratch directory", { path, error });
      }
    }
  }
  if (removed.length) {
    options.logger?.info("removed scratch directories of dead processes", {
      count: removed.length,
    });
  }
  return removed;
}

/**
 * Whether a live process uses `path`, from Linux `/proc`: its working
 * directory or an open file is inside it, or its environment names it (a
 * validation's `HOME`). Null where `/proc` cannot be read.
 */
export async function inUseByLiveProcess(path: string): Promise<boolean | null> {
  let pids: string[];
  try {
    pids = (await dirs("/proc")).filter((n) => /^\d+$/.test(n));
  } catch {
    return null;
  }
  if (pids.length === 0) return null;
  const inside = (target: string) => target === path || target.startsWith(`${path}/`);
  const encoder = new TextEncoder();
  const needle = encoder.encode(path);
  for (const pid of pids) {
    try {
      if (inside(await Deno.readLink(`/proc/${pid}/cwd`))) return true;
    } catch { /* gone, or not ours */ }
    try {
      for await (const fd of Deno.readDir(`/proc/${pid}/fd`)) {
        try {
          if (inside(await Deno.readLink(`/proc/${pid}/fd/${fd.name}`))) return true;
        } catch { /* closed meanwhile */ }
      }
    } catch { /* gone, or not ours */ }
    try {
      const env = await Deno.readFile(`/proc/${pid}/environ`);
      if (contains(env, needle)) return true;
    } catch { /* gone, or not ours */ }
  }
  return false;
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

async function dirs(path: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(path)) if (e.isDirectory) out.push(e.name);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  return out.sort();
}
