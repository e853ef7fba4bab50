/**
 * Appending to the SQLite log, group-committed: concurrent `append` calls are
 * queued and written many per `BEGIN IMMEDIATE … COMMIT`, so one fsync covers
 * the whole batch while each caller still gets its own outcome.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import { GENESIS_HASH } from "../../../domain/hash_chain.ts";
import { planBatch, type StreamHead } from "../plan_batch.ts";
import type { ValidEvent } from "../validate_append.ts";

export { validateAppend } from "../validate_append.ts";
export type { ValidEvent } from "../validate_append.ts";
import type { AppendResult, ExpectedVersion } from "../../../domain/ports/event_store.ts";
import type { Connection } from "./connection.ts";

/** One caller's append, waiting in the queue. */
interface Pending {
  stream: string;
  expected: ExpectedVersion;
  events: ValidEvent[];
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

const SELECT_LOG_HEAD = "SELECT position, hash FROM events ORDER BY position DESC LIMIT 1";
const SELECT_STREAM_HEAD =
  "SELECT version, position FROM events WHERE stream = ? ORDER BY version DESC LIMIT 1";
const INSERT_EVENT = `
  INSERT INTO events (position, stream, version, type, schema_version, data, metadata, recorded_at, hash)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/**
 * Writes a batch inside the caller's open write transaction and returns each
 * request's outcome. Streams touched earlier in the batch are tracked in
 * memory, so later appends to them see those versions.
 */
function writeBatch(conn: Connection, batch: readonly Pending[], recordedAt: string) {
  const head = conn.statement(SELECT_LOG_HEAD).get() as
    | { position: number; hash: string }
    | undefined;
  const streamHead = conn.statement(SELECT_STREAM_HEAD);
  const plan = planBatch(
    batch,
    head ?? { position: 0, hash: GENESIS_HASH },
    (stream) => streamHead.get(stream) as StreamHead | undefined,
    recordedAt,
  );
  const insert = conn.statement(INSERT_EVENT);
  for (const r of plan.rows) {
    insert.run(
      r.position,
      r.stream,
      r.version,
      r.type,
      r.schemaVersion,
      r.dataJson,
      r.metadataJson,
      r.recordedAt,
      r.hash,
    );
  }
  return plan.outcomes;
}

/** Options of {@link AppendWriter}. */
export interface AppendWriterOptions {
  /** Many appends per transaction (default true); false: one transaction per append. */
  groupCommit?: boolean;
  /** Most appends written in one transaction. Default 1000. */
  maxBatch?: number;
  /** The store's clock, for `recordedAt`. */
  clock?: () => Date;
  /** Called after each commit that wrote at least one event. */
  onCommit?: () => void;
}

/** Queues appends and writes them in batches, one transaction per batch. */
export class AppendWriter {
  readonly #conn: Connection;
  readonly #groupCommit: boolean;
  readonly #maxBatch: number;
  readonly #clock: () => Date;
  readonly #onCommit: () => void;
  #queue: Pending[] = [];
  #scheduled = false;

  constructor(conn: Connection, options: AppendWriterOptions = {}) {
    this.#conn = conn;
    this.#groupCommit = options.groupCommit ?? true;
    this.#maxBatch = options.maxBatch ?? 1000;
    if (!Number.isInteger(this.#maxBatch) || this.#maxBatch < 1) {
      throw new TypeError(`maxBatch must be a positive integer, got ${options.maxBatch}`);
    }
    this.#clock = options.clock ?? (() => new Date());
    this.#onCommit = options.onCommit ?? (() => {});
  }

  /** Appends already-validated events; resolves once they are committed (or conflicted). */
  submit(stream: string, expected: ExpectedVersion, events: ValidEvent[]): Promise<AppendResult> {
    return new Promise<AppendResult>((resolve, reject) => {
      const pending = { stream, expected, events, resolve, reject };
      if (!this.#groupCommit) {
        this.#commit([pending]);
        return;
      }
      this.#queue.push(pending);
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    // A macrotask, not a microtask: every append issued before the loop turns
    // (including those that arrived while the last commit blocked it) joins
    // the batch. setImmediate rather than setTimeout(0), which the runtime
    // clamps to milliseconds when nested.
    setImmediate(() => this.flush());
  }

  /** Writes one capped batch, and schedules the next if more are queued. */
  flush(): void {
    this.#scheduled = false;
    if (this.#queue.length === 0) return;
    this.#commit(this.#queue.splice(0, this.#maxBatch));
    if (this.#queue.length > 0) this.#schedule();
  }

  /** Writes every queued append now, without yielding (used by close). */
  drain(): void {
    while (this.#queue.length > 0) this.#commit(this.#queue.splice(0, this.#maxBatch));
  }

  #commit(batch: Pending[]): void {
    let outcomes: AppendResult[];
    try {
      const recordedAt = this.#clock().toISOString();
      outcomes = this.#conn.immediate(() => writeBatch(this.#conn, batch, recordedAt));
    } catch (error) {
      // Nothing of the batch was committed: every caller learns why.
      for (const p of batch) p.reject(error);
      return;
    }
    let wrote = false;
    for (let i = 0; i < batch.length; i++) {
      const outcome = outcomes[i];
      if (outcome.ok && outcome.events.length > 0) wrote = true;
      batch[i].resolve(outcome);
    }
    if (wrote) this.#onCommit();
  }
}
