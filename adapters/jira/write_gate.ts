/**
 * Jira Cloud limits writes per issue (`RateLimit-Reason: jira-per-issue-on-write`),
 * so writes to one issue (comment, transition, assign) go one at a time and
 * start at least a set spacing after the previous one finished. Writes to
 * different issues do not wait for each other.
 *
 * @module
 */

/** Serializes and spaces the writes to each issue. */
export class PerIssueWriteGate {
  readonly #spacingMs: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #tails = new Map<string, Promise<unknown>>();
  readonly #lastWriteEnd = new Map<string, number>();

  /** `spacingMs` between writes to one issue; `now` and `sleep` are injectable for tests. */
  constructor(spacingMs: number, now: () => number, sleep: (ms: number) => Promise<void>) {
    this.#spacingMs = Math.max(0, spacingMs);
    this.#now = now;
    this.#sleep = sleep;
  }

  /** Runs `write` for `issueKey` after earlier writes to it, spaced. */
  run<T>(issueKey: string, write: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(issueKey) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(async () => {
      const last = this.#lastWriteEnd.get(issueKey);
      if (last !== undefined) {
        const wait = last + this.#spacingMs - this.#now();
        if (wait > 0) await this.#sleep(wait);
      }
      try {
        return await write();
      } finally {
        this.#lastWriteEnd.set(issueKey, this.#now());
        this.#forgetOld();
      }
    });
    this.#tails.set(issueKey, next);
    const clear = () => {
      if (this.#tails.get(issueKey) === next) this.#tails.delete(issueKey);
    };
    next.then(clear, clear);
    return next;
  }

  #forgetOld(): void {
    if (this.#lastWriteEnd.size < 256) return;
    const horizon = this.#now() - this.#spacingMs;
    for (const [key, at] of this.#lastWriteEnd) {
      if (at < horizon) this.#lastWriteEnd.delete(key);
    }
  }
}
