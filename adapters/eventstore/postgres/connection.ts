/**
 * Connections to PostgreSQL through `npm:postgres` (porsager/postgres): the
 * `DATABASE_URL` forms this engine takes, and the client pool with the
 * settings the store relies on.
 *
 * @module
 */
import postgres from "postgres";

/** A postgres.js client (a pool of connections). */
export type Sql = postgres.Sql;

/**
 * Query options for the store's own statements: named prepared statements,
 * parsed and planned once per connection. (postgres.js does not prepare
 * `unsafe` text by default, and then asks the server for parameter types
 * first: an extra round trip that also stops pipelining.) A pool opened with
 * `prepare: false` overrides this.
 */
export const PREPARED = { prepare: true } as const;

/** True for the URLs this engine serves: `postgres://…` and `postgresql://…`. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/** The URL with any password masked, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable URL)";
  }
}

/** Settings of the client pool. */
export interface PoolOptions {
  /** Most connections in the pool (reads, read models, the append lane). Default 10. */
  max?: number;
  /** Give up connecting after this many seconds (an outage fails, never hangs). Default 10. */
  connectTimeoutSeconds?: number;
  /** Named prepared statements (default true); false behind a transaction-mode pooler. */
  prepare?: boolean;
  /** `application_name` shown in `pg_stat_activity`. Default `ai-runner`. */
  applicationName?: string;
  /**
   * Longest wait for a lock (the append lock above all): a stuck holder makes
   * appends fail with `55P03` instead of waiting forever. Default 30 000 ms.
   */
  lockTimeoutMs?: number;
  /**
   * The server ends a session idle inside a transaction this long (a stuck
   * process cannot hold the append lock forever). Default 60 000 ms.
   */
  idleInTransactionTimeoutMs?: number;
  /** Sessions refuse every write and DDL (`default_transaction_read_only`). */
  readOnly?: boolean;
  /** Called when a connection closes (for LISTEN bookkeeping). */
  onclose?: (connectionId: number) => void;
  /** Called for each NOTIFY on a channel this client listens to. */
  onnotify?: (channel: string, payload: string) => void;
}

let closedSocketWriteGuarded = false;

/**
 * True for postgres.js 3.4.9's write to a closed connection: it buffers small
 * writes and flushes them from a `setImmediate` (`nextWrite`); when the server
 * closes the connection first (a restart, `pg_terminate_backend`), `closed()`
 * nulls the socket and the flush throws `TypeError: Cannot read properties of
 * null (reading 'write')` from the immediate, where no caller can catch it
 * (porsager/postgres#1154, #1208; denoland/deno#34667).
 */
function isClosedSocketWrite(error: unknown): boolean {
  return error instanceof TypeError &&
    error.message.includes("(reading 'write')") &&
    /\bnextWrite\b[^\n]*\/postgres\//.test(error.stack ?? "");
}

/**
 * Keeps that one uncatchable error from ending the process (a server or worker
 * would die with every database restart). The query the write belonged to was
 * already rejected with CONNECTION_CLOSED when the connection closed, and is
 * retried like any lost connection; the pool reconnects. Nothing else is caught.
 */
function guardClosedSocketWrite(): void {
  if (closedSocketWriteGuarded || typeof globalThis.addEventListener !== "function") return;
  closedSocketWriteGuarded = true;
  globalThis.addEventListener("error", (event) => {
    if (isClosedSocketWrite((event as ErrorEvent).error)) event.preventDefault();
  });
}

/** Opens a client pool (connections are made lazily, on first use). */
export function createPool(url: string, options: PoolOptions = {}): Sql {
  if (!isPostgresUrl(url)) {
    throw new TypeError(`not a postgres:// URL: ${JSON.stringify(redactUrl(url))}`);
  }
  guardClosedSocketWrite();
  return postgres(url, {
    max: options.max ?? 10,
    connect_timeout: options.connectTimeoutSeconds ?? 10,
    prepare: options.prepare ?? true,
    // Idle connections go away; a LISTEN connection (max: 1) is kept by the caller's traffic.
    idle_timeout: options.onnotify ? null : 60,
    max_lifetime: options.onnotify ? null : 60 * 30,
    // "relation … already exists, skipping" and the like are not worth a log line.
    onnotice: () => {},
    onclose: options.onclose,
    onnotify: options.onnotify,
    connection: {
      application_name: options.applicationName ?? "ai-runner",
      lock_timeout: options.lockTimeoutMs ?? 30_000,
      idle_in_transaction_session_timeout: options.idleInTransactionTimeoutMs ?? 60_000,
      ...(options.readOnly ? { default_transaction_read_only: "on" } : {}),
    },
  } as postgres.Options<Record<string, never>>);
}

/** Errors that mean "the database could not be reached", not "the request was wrong". */
export function isConnectionError(error: unknown): boolean {
  const e = error as { code?: unknown; errno?: unknown } | null;
  const code = typeof e?.code === "string" ? e.code : "";
  if (
    [
      "CONNECTION_CLOSED",
      "CONNECTION_ENDED",
      "CONNECTION_DESTROYED",
      "CONNECT_TIMEOUT",
      "ECONNREFUSED",
      "ECONNRESET",
      "EPIPE",
      "ETIMEDOUT",
      "ENOTFOUND",
      "EHOSTUNREACH",
      "ENETUNREACH",
    ].includes(code)
  ) return true;
  // Server going away: admin shutdown, crash shutdown, cannot connect now, starting up.
  return ["57P01", "57P02", "57P03"].includes(code) || code.startsWith("08");
}

/**
 * Runs an idempotent operation, once more if it fails for want of a
 * connection. A pooled connection that the server closed (restart,
 * `pg_terminate_backend`) is reconnected by postgres.js on next use; and
 * postgres.js 3.4.9 hands the FATAL error that closed it (57P01) to the first
 * query on the reconnected connection. One retry absorbs both; during a real
 * outage the second attempt fails as fast as the first.
 */
export async function retryOnConnectionError<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (!isConnectionError(error)) throw error;
    return await operation();
  }
}
