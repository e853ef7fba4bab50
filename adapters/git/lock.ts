/**
 * Serialises work on a shared git cache: an in-process mutex per key plus an
 * exclusive `flock` on a lock file, so two processes (several workers on one
 * host) never fetch, add worktrees or push into the same cache at once. The
 * kernel drops the file lock when a process dies, so a killed worker leaves no
 * stale lock behind.
 *
 * @module
 */
import type { Logger } from "../../domain/ports/logger.ts";

/** Options of {@link RepoLock}. */
export interface RepoLockOptions {
  /** Told when the lock is held by another process and the caller waits. */
  logger?: Logger;
  /** How long to wait before logging that the lock is busy; default 250 ms. */
  waitNoticeMs?: number;
}

/** Mutual exclusion per lock file, within and across processes. */
export class RepoLock {
  readonly #tails = new Map<string, Promise<void>>();
  readonly #logger?: Logger;
  readonly #waitNoticeMs: number;

  constructor(options: RepoLockOptions = {}) {
    this.#logger = options.logger;
    this.#waitNoticeMs = options.waitNoticeMs ?? 250;
  }

  /** Runs `work` while holding the lock at `lockPath` (created if missing). */
  async withLock<T>(lockPath: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(lockPath) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.#tails.set(lockPath, tail);
    try {
      await previous;
      const file = await Deno.open(lockPath, { create: true, write: true });
      try {
        await this.#lockFile(file, lockPath);
        return await work();
      } finally {
        file.close(); // closing the descriptor drops the flock
      }
    } finally {
      release();
      if (this.#tails.get(lockPath) === tail) this.#tails.delete(lockPath);
    }
  }

  async #lockFile(file: Deno.FsFile, lockPath: string): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const locked = file.lock(true);
    const notice = new Promise<"waiting">((resolve) => {
      timer = setTimeout(() => resolve("waiting"), this.#waitNoticeMs);
    });
    try {
      if (await Promise.race([locked.then(() => "locked" as const), notice]) === "waiting") {
        this.#logger?.info("waiting for the git cache lock held by another process", {
          lock: lockPath,
        });
        await locked;
      }
    } finally {
      clearTimeout(timer);
    }
  }
}
