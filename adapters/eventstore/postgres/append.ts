/**
 * Appending to the PostgreSQL log, group-committed: concurrent `append` calls
 * of this process are queued and written many per transaction, while each
 * caller still gets its own outcome (its events, or a version conflict).
 *
 * Every transaction first takes the append advisory lock, then reads the log's
 * head and the touched streams' versions, so positions are head + 1, …
 * (gap-free), the hash chain stays linear, and positions become visible in
 * order across every process writing to the database. The NOTIFY on the log's
 * channel is sent inside the transaction, so PostgreSQL delivers it at commit.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import { GENESIS_HASH } from "../../../domain/hash_chain.ts";
import { planBatch, type PlannedRow, type StreamHead } from "../plan_batch.ts";
import type { ValidEvent } from "../validate_append.ts";

export { validateAppend } from "../validate_append.ts";
export type { ValidEvent } from "../validate_append.ts";
import type { AppendResult, ExpectedVersion } from "../../../domain/ports/event_store.ts";
import { isConnectionError, PREPARED, retryOnConnectionError, type Sql } from "./connection.ts";
import { APPEND_LOCK, LOCK_NAMESPACE } from "./locks.ts";

const TAKE_LOCK = "SELECT pg_advisory_xact_lock($1, $2)";
const SELECT_LOG_HEAD = "SELECT position, hash FROM events ORDER BY position DESC LIMIT 1";
const SELECT_STREAM_HEADS = `
  SELECT s.stream, h.version, h.position
  FROM unnest($1::text[]) AS s(stream)
  CROSS JOIN LATERAL (
    SELECT version, position FROM events e
    WHERE e.stream = s.stream ORDER BY version DESC LIMIT 1
  ) AS h`;
const INSERT_EVENTS = `
  INSERT INTO events (position, stream, version, type, schema_version, data, metadata, recorded_at, hash)
  SELECT p, s, v, t, sv, d, m, $8, h
  FROM unnest($1::int8[], $2::text[], $3::int4[], $4::text[], $5::int4[], $6::text[], $7::text[], $9::text[])
    AS u(p, s, v, t, sv, d, m, h)`;
const NOTIFY = "SELECT pg_notify($1, $2)";
const BEGIN = "BEGIN";
const COMMIT = "COMMIT";
const ROLLBACK = "ROLLBACK";

/** One caller's append, waiting in the queue. */
interface Pending {
  stream: string;
  expected: ExpectedVersion;
  events: ValidEvent[];
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

/** The rows of a plan, column by column (as `INSERT_EVENTS` takes them). */
function columns(rows: readonly PlannedRow[]) {
  return [
    rows.map((r) => r.position),
    rows.map((r) => r.stream),
    rows.map((r) => r.version),
    rows.map((r) => r.type),
    rows.map((r) => r.schemaVersion),
    rows.map((r) => r.dataJson),
    rows.map((r) => r.metadataJson),
  ];
}

/** Options of {@link AppendLane}. */
export interface AppendLaneOptions {
  /** Many appends per transaction (default true); false: one transaction per append. */
  groupCommit?: boolean;
  /** Most appends written in one transaction. Default 1000. */
  maxBatch?: number;
  /** The store's clock, for `recordedAt`. */
  clock?: () => Date;
  /** The NOTIFY channel told the new head position after each commit that wrote events. */
  channel: string;
  /** Called after each commit that wrote events, with the new head position. */
  onCommit?: (head: number) => void;
}

/**
 * Queues this process's appends and writes them one batch (one transaction)
 * at a time; appends that arrive while a batch commits form the next one.
 */
export class AppendLane {
  readonly #sql: Sql;
  readonly #groupCommit: boolean;
  readonly #maxBatch: number;
  readonly #clock: () => Date;
  readonly #channel: string;
  readonly #onCommit: (head: number) => void;
  #queue: Pending[] = [];
  #running: Promise<void> | null = null;
  readonly #solo = new Set<Promise<void>>();

  /** A lane writing through the pool `sql`. */
  constructor(sql: Sql, options: AppendLaneOptions) {
    this.#sql = sql;
    this.#groupCommit = options.groupCommit ?? true;
    this.#maxBatch = options.maxBatch ?? 1000;
    if (!Number.isInteger(this.#maxBatch) || this.#maxBatch < 1) {
      throw new TypeError(`maxBatch must be a positive integer, got ${options.maxBatch}`);
    }
    this.#clock = options.clock ?? (() => new Date());
    this.#channel = options.channel;
    this.#onCommit = options.onCommit ?? (() => {});
  }

  /** Appends already-validated events; resolves once they are committed (or conflicted). */
  submit(stream: string, expected: ExpectedVersion, events: ValidEvent[]): Promise<AppendResult> {
    return new Promise<AppendResult>((resolve, reject) => {
      const pending = { stream, expected, events, resolve, reject };
      if (!this.#groupCommit) {
        const done = this.#commit([pending]);
        this.#solo.add(done);
        done.finally(() => this.#solo.delete(done));
        return;
      }
      this.#queue.push(pending);
      this.#kick();
    });
  }

  /** Appends waiting to be written (not counting the batch being committed). */
  get pending(): number {
    return this.#queue.length;
  }

  /** Resolves once every append submitted so far has its outcome. */
  async drain(): Promise<void> {
    while (this.#running || this.#solo.size > 0) {
      await this.#running;
      await Promise.all(this.#solo);
    }
  }

  #kick(): void {
    if (this.#running) return;
    this.#running = this.#run().finally(() => {
      this.#running = null;
      if (this.#queue.length > 0) this.#kick();
    });
  }

  async #run(): Promise<void> {
    // A macrotask first: every append issued in this turn of the loop joins the batch.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.#queue.length > 0) {
      await this.#commit(this.#queue.splice(0, this.#maxBatch));
    }
  }

  async #commit(batch: Pending[]): Promise<void> {
    let plan: ReturnType<typeof planBatch>;
    try {
      plan = await this.#transaction(batch);
    } catch (error) {
      // Nothing of the batch was committed (or, if the connection broke during
      // COMMIT, its fate is unknown): every caller learns why.
      for (const p of batch) p.reject(error);
      return;
    }
    for (let i = 0; i < batch.length; i++) batch[i].resolve(plan.outcomes[i]);
    if (plan.rows.length > 0) this.#onCommit(plan.head);
  }

  /**
   * One batch in one transaction, in two round trips: BEGIN, the lock and the
   * reads pipelined; then the INSERT, the NOTIFY and COMMIT pipelined. The
   * statements run in order on one connection, so the reads run after the
   * lock is granted and see every transaction that held it before; an INSERT
   * that fails aborts the transaction and its COMMIT only rolls back.
   */
  async #transaction(batch: Pending[]): Promise<ReturnType<typeof planBatch>> {
    const streams = [...new Set(batch.map((p) => p.stream))];
    // Nothing is sent before the connection is reserved: safe to try twice.
    const conn = await retryOnConnectionError(() => this.#sql.reserve());
    let release = true;
    try {
      const [, , headRows, streamRows] = await Promise.all([
        conn.unsafe(BEGIN),
        conn.unsafe(TAKE_LOCK, [LOCK_NAMESPACE, APPEND_LOCK], PREPARED),
        conn.unsafe<{ position: string; hash: string }[]>(SELECT_LOG_HEAD),
        conn.unsafe<{ stream: string; version: number; position: string }[]>(
          SELECT_STREAM_HEADS,
          [streams],
          PREPARED,
        ),
      ]);
      const logHead = headRows.length
        ? { position: Number(headRows[0].position), hash: headRows[0].hash }
        : { position: 0, hash: GENESIS_HASH };
      const heads = new Map<string, StreamHead>();
      for (const r of streamRows) {
        heads.set(r.stream, { version: r.version, position: Number(r.position) });
      }
      const recordedAt = this.#clock().toISOString();
      const plan = planBatch(batch, logHead, (s) => heads.get(s), recordedAt);
      const rows = plan.rows;
      if (rows.length === 0) {
        await conn.unsafe(ROLLBACK); // conflicts or empty appends only: nothing to write
        return plan;
      }
      const [, , commit] = await Promise.all([
        conn.unsafe(INSERT_EVENTS, [
          ...columns(rows),
          recordedAt,
          rows.map((r) => r.hash),
        ], PREPARED),
        conn.unsafe(NOTIFY, [this.#channel, String(plan.head)], PREPARED),
        conn.unsafe(COMMIT),
      ]);
      if (commit.command !== "COMMIT") {
        throw new Error(`the append transaction ended with ${commit.command}, not COMMIT`);
      }
      return plan;
    } catch (error) {
      if (isConnectionError(error)) {
        // The connection is gone, and postgres.js has already put it back in the
        // pool's closed set, to be reconnected: releasing it too would hand a
        // dead connection to the next query.
        release = false;
      } else {
        await conn.unsafe(ROLLBACK).catch(() => {});
      }
      throw error;
    } finally {
      if (release) conn.release();
    }
  }
}
