/**
 * Subscriptions to the PostgreSQL log. A consumer reads batches after its
 * position and then waits to be woken: at once by commits of this process, by
 * a NOTIFY on the log's channel for other processes' commits (LISTEN on a
 * dedicated connection), and by a poll timer as the fallback when LISTEN is
 * down. After a lost connection (database restart, network) the LISTEN is
 * issued again, and every waiter is woken to catch up on what it missed.
 *
 * @module
 */
import type { RecordedEvent } from "../../../domain/events.ts";
import type { SubscribeOptions } from "../../../domain/ports/event_store.ts";
import { CommitNotifier } from "../commit_notifier.ts";
import { subscribeOptions } from "../subscribe_options.ts";

export { CommitNotifier };
import { createPool, isConnectionError, type Sql } from "./connection.ts";

const LISTEN = (channel: string) => `LISTEN "${channel.replaceAll('"', '""')}"`;

/** Waits between LISTEN attempts while the database is unreachable (ms), doubling to the last. */
const RELISTEN_BACKOFF_MS = [100, 200, 400, 800, 1600];

/**
 * LISTEN on the log's channel over one dedicated connection, kept in place
 * across connection losses: when the connection closes, LISTEN is retried
 * (with backoff) until it holds again, and every waiter is then woken so that
 * consumers read what was committed while nobody listened.
 */
export class LogListener {
  readonly #url: string;
  readonly #channel: string;
  readonly #notifier: CommitNotifier;
  #sql: Sql | null = null;
  #listening = false;
  #attempt: Promise<void> | null = null;
  #retry: ReturnType<typeof setTimeout> | null = null;
  #failures = 0;
  #closed = false;

  /** Listens on `channel` of the database at `url`, waking `notifier`'s waiters. */
  constructor(url: string, channel: string, notifier: CommitNotifier) {
    this.#url = url;
    this.#channel = channel;
    this.#notifier = notifier;
  }

  /** True while a LISTEN is in place (NOTIFYs arrive). */
  get listening(): boolean {
    return this.#listening;
  }

  /** Starts listening unless already listening or about to; never throws. */
  ensure(): void {
    if (this.#closed || this.#listening || this.#attempt || this.#retry) return;
    this.#sql ??= createPool(this.#url, {
      max: 1,
      applicationName: "ai-runner-listen",
      onnotify: (channel) => {
        if (channel === this.#channel) this.#notifier.notify();
      },
      onclose: () => {
        // NOTIFYs sent until the next LISTEN are lost: the wake after it makes
        // every consumer catch up, and polling covers the gap meanwhile.
        if (!this.#listening) return;
        this.#listening = false;
        this.#scheduleRetry();
      },
    });
    const sql = this.#sql;
    this.#attempt = sql.unsafe(LISTEN(this.#channel))
      .then(() => {
        if (this.#closed) return;
        this.#listening = true;
        this.#failures = 0;
        this.#notifier.notify();
      })
      .catch(() => {
        this.#failures++;
        this.#scheduleRetry();
      })
      .finally(() => {
        this.#attempt = null;
      });
  }

  #scheduleRetry(): void {
    if (this.#closed || this.#retry) return;
    const delay = RELISTEN_BACKOFF_MS[Math.min(this.#failures, RELISTEN_BACKOFF_MS.length - 1)];
    this.#retry = setTimeout(() => {
      this.#retry = null;
      this.ensure();
    }, delay);
  }

  /** Stops listening and closes the connection. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#listening = false;
    if (this.#retry) clearTimeout(this.#retry);
    this.#retry = null;
    await this.#attempt;
    await this.#sql?.end({ timeout: 1 });
    this.#sql = null;
  }
}

/** What a subscription needs from its store. */
export interface SubscriptionSource {
  /** Woken by commits, NOTIFYs and re-LISTENs. */
  notifier: CommitNotifier;
  /** Called on every round: keeps LISTEN in place. */
  listen(): void;
  /** True once the store is closed: subscriptions end. */
  closed(): boolean;
  /** The store's `readAll`. */
  readAll(afterPosition: number, limit: number): Promise<RecordedEvent[]>;
}

/** Shortest wait between reads while the database is unreachable. */
export const OUTAGE_RETRY_MS = 200;

/**
 * Batches of events after `fromPosition`, in order, until the signal aborts or
 * the store closes. A read that fails (the database is away) is retried on the
 * next round: a subscription outlives outages.
 */
export async function* subscribeToLog(
  source: SubscriptionSource,
  options: SubscribeOptions,
): AsyncGenerator<RecordedEvent[], void, undefined> {
  const { batchSize, pollIntervalMs, signal } = subscribeOptions(options);
  let position = options.fromPosition;
  while (!signal?.aborted && !source.closed()) {
    source.listen();
    const ticket = source.notifier.ticket();
    let batch: RecordedEvent[];
    try {
      batch = await source.readAll(position, batchSize);
    } catch (error) {
      if (source.closed()) return; // closed while reading: end quietly
      if (!isConnectionError(error)) throw error;
      // The database is away: wait a round (at least OUTAGE_RETRY_MS), then try again.
      await source.notifier.wait(ticket, Math.max(pollIntervalMs, OUTAGE_RETRY_MS), signal);
      continue;
    }
    if (batch.length > 0) {
      position = batch[batch.length - 1].position;
      yield batch;
      continue;
    }
    await source.notifier.wait(ticket, pollIntervalMs, signal);
  }
}
