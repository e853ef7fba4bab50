/**
 * The one `node:sqlite` connection a store works through: durable PRAGMAs,
 * a cache of prepared statements, and `BEGIN IMMEDIATE` transactions.
 *
 * `node:sqlite` is synchronous, so a transaction opened here always finishes
 * (commit or rollback) before control returns to the event loop: two
 * operations of the same store never interleave inside one transaction.
 *
 * @module
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";

/** Options of {@link Connection}. */
export interface ConnectionOptions {
  /** How long a writer waits for another process's lock. Default 5000 ms. */
  busyTimeoutMs?: number;
  /**
   * Open without write access (`SQLITE_OPEN_READONLY`): nothing is created or
   * changed, the journal mode is left as it is.
   */
  readOnly?: boolean;
}

/** The PRAGMA values a connection runs with, for diagnostics and tests. */
export interface PragmaValues {
  journalMode: string;
  /** 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA. */
  synchronous: number;
  busyTimeoutMs: number;
  foreignKeys: boolean;
}

/** A SQLite connection with durable settings and cached statements. */
export class Connection {
  /** The underlying database handle. */
  readonly db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  readonly #arrayStatements = new Map<string, StatementSync>();

  constructor(path: string, options: ConnectionOptions = {}) {
    const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
    if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
      throw new TypeError(`busyTimeoutMs must be a non-negative integer, got ${busyTimeoutMs}`);
    }
    this.db = new DatabaseSync(path, { readOnly: options.readOnly ?? false });
    try {
      if (options.readOnly) {
        this.db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
        return;
      }
      // busy_timeout first: switching to WAL needs a lock another process may hold.
      this.db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
      this.db.exec("PRAGMA journal_mode = WAL");
      // FULL: every commit is fsynced, so an acknowledged append survives power loss.
      this.db.exec("PRAGMA synchronous = FULL");
      this.db.exec("PRAGMA foreign_keys = ON");
    } catch (error) {
      this.db.close();
      throw error;
    }
  }

  /** A prepared statement for `sql`, prepared once per connection. */
  statement(sql: string): StatementSync {
    let stmt = this.#statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }

  /** Like {@link statement}, returning rows as arrays (cheaper on hot read paths). */
  arrayStatement(sql: string): StatementSync {
    let stmt = this.#arrayStatements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      // Present at run time, missing from the bundled node:sqlite types.
      (stmt as StatementSync & { setReturnArrays(on: boolean): void }).setReturnArrays(true);
      this.#arrayStatements.set(sql, stmt);
    }
    return stmt;
  }

  /**
   * Runs `fn` inside `BEGIN IMMEDIATE … COMMIT` (the write lock is taken at
   * once, so reads inside see the latest committed state of every process).
   * Rolls back and rethrows if `fn` or the commit throws.
   */
  immediate<T>(fn: () => T): T {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const result = fn();
      this.db.exec("COMMIT");
      return result;
    } catch (error) {
      if (this.db.isTransaction) this.db.exec("ROLLBACK");
      throw error;
    }
  }

  /** Like {@link immediate}, but rolls back (returning false) when `fn` returns false. */
  immediateUnless(fn: () => boolean): boolean {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      if (!fn()) {
        this.db.exec("ROLLBACK");
        return false;
      }
      this.db.exec("COMMIT");
      return true;
    } catch (error) {
      if (this.db.isTransaction) this.db.exec("ROLLBACK");
      throw error;
    }
  }

  /** The PRAGMA values in force on this connection. */
  pragmas(): PragmaValues {
    const one = (name: string) => {
      const row = this.db.prepare(`PRAGMA ${name}`).get() as Record<string, unknown>;
      return Object.values(row)[0];
    };
    return {
      journalMode: String(one("journal_mode")),
      synchronous: Number(one("synchronous")),
      busyTimeoutMs: Number(one("busy_timeout")),
      foreignKeys: Number(one("foreign_keys")) === 1,
    };
  }

  /** Closes the handle (statements die with it). */
  close(): void {
    this.#statements.clear();
    this.#arrayStatements.clear();
    if (this.db.isOpen) this.db.close();
  }
}
