/**
 * The default event store: one SQLite file (WAL, `synchronous=FULL`) through
 * Deno's built-in `node:sqlite`, holding the hash-chained event log, the
 * projections' read models and the content-addressed artifacts.
 *
 * ```ts
 * const store = openSqliteStore(sqlitePathFromUrl("sqlite:data/runner.db"));
 * ```
 *
 * @module
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
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
import { AppendWriter, validateAppend } from "./append.ts";
import { ArtifactTable } from "./artifacts.ts";
import { Connection, type PragmaValues } from "./connection.ts";
import {
  applyMigrations,
  assertCurrent,
  loadMigrations,
  type Migration,
  type MigrationReport,
  SQLITE_MIGRATIONS_DIR,
} from "./migrations.ts";
import * as log from "./read.ts";
import { ReadModelTables } from "./read_models.ts";
import { CommitNotifier, subscribeToLog } from "./subscribe.ts";

export { MigrationError, type MigrationReport } from "./migrations.ts";
export type { PragmaValues } from "./connection.ts";
export { sqlitePathFromUrl } from "./url.ts";

/** Options of {@link openSqliteStore}. */
export interface SqliteStoreOptions {
  /** How long to wait for another process's write lock. Default 5000 ms. */
  busyTimeoutMs?: number;
  /**
   * Write concurrent appends many per transaction (default true). False writes
   * one transaction per append: the baseline the benchmark compares against.
   */
  groupCommit?: boolean;
  /** Most appends in one group commit. Default 1000. */
  maxBatch?: number;
  /** The store's clock (`recordedAt`, `updated_at`, `created_at`). */
  clock?: () => Date;
  /** Event schemas and upcasters. Default: the product's own. */
  registry?: EventRegistry;
  /** Directory of `NNN_name.sql` files. Default: `migrations/sqlite/` of this build. */
  migrationsDir?: URL;
  /**
   * `create` (default): create the file and apply migrations; `existing`: the
   * file must exist (it may be migrated); `read-only`: the file must exist and
   * be migrated, and is opened without write access.
   */
  mode?: OpenMode;
}

/** Raised by every operation on a closed store. */
export class StoreClosedError extends Error {
  constructor() {
    super("the SQLite event store is closed");
    this.name = "StoreClosedError";
  }
}

/** Runs a synchronous operation as a promise: a throw becomes a rejection. */
function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Event log, read models and artifacts over one SQLite connection. */
export class SqliteStore implements EventStore, ReadModelStore, ArtifactStore {
  /** Always `sqlite`. */
  readonly engine = "sqlite";
  /** The database file (or `:memory:`). */
  readonly path: string;
  /** What opening the store did to the schema. */
  readonly migrations: MigrationReport;

  readonly #conn: Connection;
  readonly #files: Migration[];
  readonly #registry: EventRegistry;
  readonly #writer: AppendWriter;
  readonly #readModels: ReadModelTables;
  readonly #artifacts: ArtifactTable;
  readonly #notifier = new CommitNotifier();
  #closed = false;

  /** Opens (and migrates) the database; prefer {@link openSqliteStore}. */
  constructor(path: string, options: SqliteStoreOptions = {}) {
    const clock = options.clock ?? (() => new Date());
    this.path = path;
    this.#registry = options.registry ?? defaultRegistry;
    this.#files = loadMigrations(options.migrationsDir ?? SQLITE_MIGRATIONS_DIR);
    const readOnly = options.mode === "read-only";
    this.#conn = new Connection(path, { busyTimeoutMs: options.busyTimeoutMs, readOnly });
    try {
      if (readOnly) {
        assertCurrent(this.#conn.db, this.#files);
        const latest = this.#files.length ? this.#files[this.#files.length - 1].version : 0;
        this.migrations = { applied: [], current: latest, latest };
      } else {
        this.migrations = applyMigrations(this.#conn.db, this.#files, clock);
      }
    } catch (error) {
      this.#conn.close();
      throw error;
    }
    this.#writer = new AppendWriter(this.#conn, {
      groupCommit: options.groupCommit,
      maxBatch: options.maxBatch,
      clock,
      onCommit: () => this.#notifier.notify(),
    });
    this.#readModels = new ReadModelTables(this.#conn, clock);
    this.#artifacts = new ArtifactTable(this.#conn, clock);
  }

  #open<T>(fn: () => T): Promise<T> {
    if (this.#closed) return Promise.reject(new StoreClosedError());
    return settle(fn);
  }

  // ---- EventStore -------------------------------------------------------

  /** See `EventStore.append`: validated now, written with the next group commit. */
  append(stream: string, expected: ExpectedVersion, events: NewEvent[]): Promise<AppendResult> {
    if (this.#closed) return Promise.reject(new StoreClosedError());
    let valid;
    try {
      valid = validateAppend(stream, expected, events, this.#registry);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.#writer.submit(stream, expected, valid);
  }

  /** See `EventStore.readStream`. */
  readStream(stream: string, fromVersion = 1): Promise<RecordedEvent[]> {
    return this.#open(() => log.readStream(this.#conn, this.#registry, stream, fromVersion));
  }

  /** See `EventStore.readAll`. */
  readAll(afterPosition: number, limit: number): Promise<RecordedEvent[]> {
    return this.#open(() => log.readAll(this.#conn, this.#registry, afterPosition, limit));
  }

  /** See `EventStore.readAllRaw`. */
  readAllRaw(afterPosition: number, limit: number): Promise<RawEvent[]> {
    return this.#open(() => log.readAllRaw(this.#conn, afterPosition, limit));
  }

  /** See `EventStore.headPosition`. */
  headPosition(): Promise<number> {
    return this.#open(() => log.headPosition(this.#conn));
  }

  /** See `EventStore.subscribe`; ends when the signal aborts or the store closes. */
  subscribe(options: SubscribeOptions): AsyncIterable<RecordedEvent[]> {
    return subscribeToLog({
      notifier: this.#notifier,
      closed: () => this.#closed,
      readAll: (after, limit) => this.readAll(after, limit),
    }, options);
  }

  /** See `EventStore.ping`: the database answers and its schema is this build's. */
  ping(): Promise<void> {
    return this.#open(() => {
      this.#conn.statement("SELECT 1").get();
      assertCurrent(this.#conn.db, this.#files);
    });
  }

  /** Writes the appends still queued, ends subscriptions, and closes the database. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#writer.drain();
    this.#closed = true;
    this.#notifier.notify();
    this.#conn.close();
    return Promise.resolve();
  }

  /** The PRAGMA values of the connection (journal mode, synchronous, …). */
  pragmas(): PragmaValues {
    if (this.#closed) throw new StoreClosedError();
    return this.#conn.pragmas();
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
 * Opens the SQLite store at `path`: with mode `create` (the default) its
 * directory, the file and the schema are created as needed; with `existing`
 * and `read-only` a missing file is refused with {@link StoreMissingError}
 * (nothing is created). Throws {@link MigrationError} for a database this
 * build cannot use.
 */
export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): SqliteStore {
  const mode = options.mode ?? "create";
  const memory = path === ":memory:" || path === "";
  if (mode !== "create" && !memory && !existsSync(path)) {
    throw new StoreMissingError(
      `no database at ${path}: check DATABASE_URL (and DATA_DIR, which the default ` +
        `sqlite:$DATA_DIR/runner.db follows) and the working directory; this command ` +
        "never creates one",
    );
  }
  if (!memory && mode === "create") mkdirSync(dirname(path), { recursive: true });
  try {
    return new SqliteStore(path, options);
  } catch (error) {
    // A file that is not an AI Runner database (no schema_migrations) under read-only.
    if (mode === "read-only" && /no such table/i.test((error as Error).message)) {
      throw new StoreMissingError(`${path} is not an AI Runner database (no schema found)`);
    }
    throw error;
  }
}
