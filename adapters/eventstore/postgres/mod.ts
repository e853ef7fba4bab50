/**
 * The scale-out event store: PostgreSQL through `npm:postgres`, shared by
 * several server and worker processes on several hosts. It holds the
 * hash-chained event log, the projections' read models and the
 * content-addressed artifacts, like the SQLite engine, and passes the same
 * contract suite.
 *
 * ```ts
 * const store = await openPostgresStore(Deno.env.get("DATABASE_URL")!);
 * ```
 *
 * Appends from every process are serialised by a transaction-level advisory
 * lock (positions gap-free and visible in order, one linear hash chain); the
 * appends of one process are group-committed. Subscribers are woken by
 * LISTEN/NOTIFY, with polling as the fallback, and survive database restarts.
 *
 * @module
 */
import { defaultRegistry, type EventRegistry, type RecordedEvent } from "../../../domain/events.ts";
import type {
  AppendResult,
  ArtifactStore,
  EventStore,
  ExpectedVersion,
  NewEvent,
  RawEvent,
  SubscribeOptions,
} from "../../../domain/ports/event_store.ts";
import type {
  Checkpoint,
  CountOptions,
  DocQuery,
  FieldFilter,
  ReadModelStore,
} from "../../../domain/ports/read_models.ts";
import { type OpenMode, StoreMissingError } from "../errors.ts";
import { AppendLane, validateAppend } from "./append.ts";
import { ArtifactTable } from "./artifacts.ts";
import { createPool, redactUrl, retryOnConnectionError, type Sql } from "./connection.ts";
import {
  appliedMigrations,
  applyMigrations,
  assertCurrent,
  loadMigrations,
  type Migration,
  type MigrationReport,
  POSTGRES_MIGRATIONS_DIR,
} from "./migrations.ts";
import * as log from "./read.ts";
import { ReadModelTables } from "./read_models.ts";
import { CommitNotifier, LogListener, subscribeToLog } from "./subscribe.ts";

export { isConnectionError, isPostgresUrl, redactUrl } from "./connection.ts";
export { MigrationError, type MigrationReport } from "./migrations.ts";

/** The NOTIFY channel that carries the log's head position after each commit. */
export const DEFAULT_CHANNEL = "ai_runner_events";

/** Options of {@link openPostgresStore}. */
export interface PostgresStoreOptions {
  /** Most connections in the pool. Default 10. */
  maxConnections?: number;
  /** Give up connecting after this many seconds: an outage fails, never hangs. Default 10. */
  connectTimeoutSeconds?: number;
  /** Named prepared statements (default true); false behind a transaction-mode pooler. */
  prepare?: boolean;
  /**
   * Write concurrent appends many per transaction (default true). False writes
   * one transaction per append: the baseline the benchmark compares against.
   */
  groupCommit?: boolean;
  /** Most appends in one group commit. Default 1000. */
  maxBatch?: number;
  /** LISTEN for other processes' commits (default true); false: polling only. */
  listen?: boolean;
  /** The NOTIFY channel. Default {@link DEFAULT_CHANNEL}. */
  channel?: string;
  /** `application_name` of the connections. Default `ai-runner`. */
  applicationName?: string;
  /** Longest wait for the append lock before an append fails (`55P03`). Default 30 000 ms. */
  lockTimeoutMs?: number;
  /** The store's clock (`recordedAt`, `updated_at`, `created_at`). */
  clock?: () => Date;
  /** Event schemas and upcasters. Default: the product's own. */
  registry?: EventRegistry;
  /** Directory of `NNN_name.sql` files. Default: `migrations/postgres/` of this build. */
  migrationsDir?: URL;
  /**
   * `create` (default) and `existing`: apply the migrations the database
   * lacks; `read-only`: no DDL at all (sessions are `default_transaction_read_only`),
   * and a database without this build's schema is refused with
   * {@link StoreMissingError}.
   */
  mode?: OpenMode;
}

/** Raised by every operation on a closed store. */
export class StoreClosedError extends Error {
  /** The store was closed before the operation. */
  constructor() {
    super("the PostgreSQL event store is closed");
    this.name = "StoreClosedError";
  }
}

/** Event log, read models and artifacts in one PostgreSQL database. */
export class PostgresStore implements EventStore, ReadModelStore, ArtifactStore {
  /** Always `postgres`. */
  readonly engine = "postgres";
  /** What opening the store did to the schema. */
  readonly migrations: MigrationReport;

  readonly #sql: Sql;
  readonly #files: Migration[];
  readonly #registry: EventRegistry;
  readonly #lane: AppendLane;
  readonly #readModels: ReadModelTables;
  readonly #artifacts: ArtifactTable;
  readonly #notifier = new CommitNotifier();
  readonly #listener: LogListener | null;
  #closing = false;
  #closed = false;

  /** Use {@link openPostgresStore}, which migrates the database first. */
  constructor(
    url: string,
    sql: Sql,
    files: Migration[],
    migrations: MigrationReport,
    options: PostgresStoreOptions = {},
  ) {
    const clock = options.clock ?? (() => new Date());
    const channel = options.channel ?? DEFAULT_CHANNEL;
    this.#sql = sql;
    this.#files = files;
    this.migrations = migrations;
    this.#registry = options.registry ?? defaultRegistry;
    this.#lane = new AppendLane(sql, {
      groupCommit: options.groupCommit,
      maxBatch: options.maxBatch,
      clock,
      channel,
      onCommit: () => this.#notifier.notify(),
    });
    this.#readModels = new ReadModelTables(sql, clock);
    this.#artifacts = new ArtifactTable(sql, clock);
    this.#listener = options.listen === false
      ? null
      : new LogListener(url, channel, this.#notifier);
  }

  #check(): void {
    if (this.#closing) throw new StoreClosedError();
  }

  /**
   * Runs an operation of the store. Every one routed here is idempotent (reads,
   * fenced read-model commits, content-addressed puts), so it is retried once
   * after a lost connection; appends are not (see `AppendLane`).
   */
  async #open<T>(fn: () => Promise<T>): Promise<T> {
    this.#check();
    return await retryOnConnectionError(fn);
  }

  // ---- EventStore -------------------------------------------------------

  /** See `EventStore.append`: validated now, written with the next group commit. */
  append(stream: string, expected: ExpectedVersion, events: NewEvent[]): Promise<AppendResult> {
    try {
      this.#check();
      const valid = validateAppend(stream, expected, events, this.#registry);
      return this.#lane.submit(stream, expected, valid);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** See `EventStore.readStream`. */
  readStream(stream: string, fromVersion = 1): Promise<RecordedEvent[]> {
    return this.#open(() => log.readStream(this.#sql, this.#registry, stream, fromVersion));
  }

  /** See `EventStore.readAll`. */
  readAll(afterPosition: number, limit: number): Promise<RecordedEvent[]> {
    return this.#open(() => log.readAll(this.#sql, this.#registry, afterPosition, limit));
  }

  /** See `EventStore.readAllRaw`. */
  readAllRaw(afterPosition: number, limit: number): Promise<RawEvent[]> {
    return this.#open(() => log.readAllRaw(this.#sql, afterPosition, limit));
  }

  /** See `EventStore.headPosition`. */
  headPosition(): Promise<number> {
    return this.#open(() => log.headPosition(this.#sql));
  }

  /**
   * See `EventStore.subscribe`; ends when the signal aborts or the store
   * closes. Outages are waited out (reads retried each round), not thrown.
   */
  subscribe(options: SubscribeOptions): AsyncIterable<RecordedEvent[]> {
    return subscribeToLog({
      notifier: this.#notifier,
      listen: () => this.#listener?.ensure(),
      closed: () => this.#closing,
      readAll: (after, limit) => this.readAll(after, limit),
    }, options);
  }

  /** True while LISTEN is in place (false before the first subscription, and during outages). */
  get listening(): boolean {
    return this.#listener?.listening ?? false;
  }

  /** See `EventStore.ping`: the database answers and its schema is this build's. */
  ping(): Promise<void> {
    return this.#open(() => assertCurrent(this.#sql, this.#files));
  }

  /** Writes the appends still queued, ends subscriptions, and closes the connections. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    await this.#lane.drain();
    this.#closed = true;
    this.#notifier.notify();
    await this.#listener?.close();
    await this.#sql.end({ timeout: 5 });
  }

  /** True once {@link close} has finished. */
  get closed(): boolean {
    return this.#closed;
  }

  // ---- ReadModelStore ---------------------------------------------------

  /** See `ReadModelStore.checkpoint`. */
  checkpoint(projection: string): Promise<Checkpoint | null> {
    return this.#open(() => this.#readModels.checkpoint(projection));
  }

  /** See `ReadModelStore.load`. */
  load(projection: string, ids: readonly string[]): Promise<Map<string, unknown>> {
    return this.#open(() => this.#readModels.load(projection, ids));
  }

  /** See `ReadModelStore.commit`. */
  commit(
    projection: string,
    from: Checkpoint | null,
    to: Checkpoint,
    changes: ReadonlyMap<string, unknown | null>,
  ): Promise<boolean> {
    return this.#open(() => this.#readModels.commit(projection, from, to, changes));
  }

  /** See `ReadModelStore.reset`. */
  reset(projection: string): Promise<void> {
    return this.#open(() => this.#readModels.reset(projection));
  }

  /** See `ReadModelStore.get`. */
  get(projection: string, id: string): Promise<unknown | null> {
    return this.#open(() => this.#readModels.get(projection, id));
  }

  /** See `ReadModelStore.query`. */
  query(projection: string, query?: DocQuery): Promise<unknown[]> {
    return this.#open(() => this.#readModels.query(projection, query));
  }

  /** See `ReadModelStore.count`. */
  count(projection: string, where?: FieldFilter[], options?: CountOptions): Promise<number> {
    return this.#open(() => this.#readModels.count(projection, where, options));
  }

  // ---- ArtifactStore ----------------------------------------------------

  /** See `ArtifactStore.putArtifact`. */
  putArtifact(content: Uint8Array, mediaType: string): Promise<{ sha256: string; size: number }> {
    return this.#open(() => this.#artifacts.put(content, mediaType));
  }

  /** See `ArtifactStore.getArtifact`. */
  getArtifact(sha256: string): Promise<{ content: Uint8Array; mediaType: string } | null> {
    return this.#open(() => this.#artifacts.get(sha256));
  }
}

/**
 * Connects to the database at `url` (`postgres://…` or `postgresql://…`),
 * applies the migrations it lacks (safely when several processes start at
 * once), and returns the store. Throws {@link MigrationError} for a database
 * this build cannot use, and the connection error when it cannot be reached.
 */
export async function openPostgresStore(
  url: string,
  options: PostgresStoreOptions = {},
): Promise<PostgresStore> {
  const files = loadMigrations(options.migrationsDir ?? POSTGRES_MIGRATIONS_DIR);
  const readOnly = options.mode === "read-only";
  const sql = createPool(url, {
    max: options.maxConnections,
    connectTimeoutSeconds: options.connectTimeoutSeconds,
    prepare: options.prepare,
    applicationName: options.applicationName,
    lockTimeoutMs: options.lockTimeoutMs,
    readOnly,
  });
  let report: MigrationReport;
  try {
    if (readOnly) {
      const applied = await appliedMigrations(sql);
      if (applied.length === 0) {
        throw new StoreMissingError(
          `${redactUrl(url)} holds no AI Runner schema: check DATABASE_URL; this command never ` +
            "creates one",
        );
      }
      await assertCurrent(sql, files);
      const latest = files.length ? files[files.length - 1].version : 0;
      report = { applied: [], current: latest, latest };
    } else {
      report = await applyMigrations(sql, files, options.clock);
    }
  } catch (error) {
    await sql.end({ timeout: 1 }).catch(() => {});
    throw error;
  }
  return new PostgresStore(
    url,
    sql,
    files,
    report,
    readOnly ? { ...options, listen: false } : options,
  );
}
