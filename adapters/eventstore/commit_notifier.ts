/**
 * The wake-up of subscriptions in this process: commits (and, on PostgreSQL,
 * NOTIFYs) bump a generation; waiters holding an older ticket wake at once.
 *
 * @module
 */

/**
 * Wakes waiters after each commit. A waiter takes a ticket before it reads, and
 * waits on that ticket, so a commit between its read and its wait is not missed.
 */
export class CommitNotifier {
  #generation = 0;
  readonly #waiters = new Set<() => void>();

  /** The current generation; pass it to {@link wait}. */
  ticket(): number {
    return this.#generation;
  }

  /** Wakes every waiter (after a commit, a NOTIFY, a re-LISTEN, and on close). */
  notify(): void {
    this.#generation++;
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }

  /**
   * Resolves when a commit happened after `ticket` was taken, after
   * `timeoutMs`, or when `signal` aborts, whichever comes first.
   */
  wait(ticket: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (ticket !== this.#generation || signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal?.addEventListener("abort", done, { once: true });
      this.#waiters.add(done);
    });
  }
}
