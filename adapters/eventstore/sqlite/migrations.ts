/**
 * Schema migrations for the SQLite engine: `migrations/sqlite/NNN_name.sql`,
 * applied in numeric order when the store opens, each in its own transaction and
 * recorded in `schema_migrations` with its checksum.
 *
 * @module
 */
import {
  type AppliedRow,
  checkApplied,
  loadMigrations as loadFrom,
  type Migration,
  MigrationError,
  type MigrationReport,
} from "../migration_files.ts";
import type { DatabaseSync } from "node:sqlite";

/** Where the SQLite migrations of this build live. */
export const SQLITE_MIGRATIONS_DIR = new URL("../../../migrations/sqlite/", import.meta.url);

export { checkApplied, MigrationError };
export type { AppliedRow, Migration, MigrationReport };

/** Reads the migration files (default: this build's SQLite migrations), sorted. */
export function loadMigrations(dir: URL = SQLITE_MIGRATIONS_DIR): Migration[] {
  return loadFrom(dir);
}

const CREATE_TABLE = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    checksum   TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`;
const SELECT_APPLIED = "SELECT version, name, checksum FROM schema_migrations ORDER BY version";
const SELECT_ONE = "SELECT 1 AS found FROM schema_migrations WHERE version = ?";
const INSERT_APPLIED =
  "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)";

/** The migrations recorded in the database, by version. */
export function appliedMigrations(db: DatabaseSync): AppliedRow[] {
  return db.prepare(SELECT_APPLIED).all() as unknown as AppliedRow[];
}

/**
 * Brings the database up to the newest migration. Each migration runs in its
 * own `BEGIN IMMEDIATE` transaction, re-checking that no other process applied
 * it in the meantime.
 */
export function applyMigrations(
  db: DatabaseSync,
  files: readonly Migration[] = loadMigrations(),
  now: () => Date = () => new Date(),
): MigrationReport {
  const latest = files.length ? files[files.length - 1].version : 0;
  db.exec(CREATE_TABLE);
  const applied = appliedMigrations(db);
  checkApplied(applied, files);
  const done = new Set(applied.map((r) => r.version));
  const report: MigrationReport = { applied: [], current: 0, latest };
  for (const m of files) {
    if (done.has(m.version)) continue;
    db.exec("BEGIN IMMEDIATE");
    try {
      if (db.prepare(SELECT_ONE).get(m.version) === undefined) {
        db.exec(m.sql);
        db.prepare(INSERT_APPLIED).run(m.version, m.name, m.checksum, now().toISOString());
        report.applied.push(m.version);
      }
      db.exec("COMMIT");
    } catch (error) {
      if (db.isTransaction) db.exec("ROLLBACK");
      if (error instanceof MigrationError) throw error;
      throw new MigrationError(
        `migration ${m.version} (${m.name}) failed: ${(error as Error).message}`,
      );
    }
  }
  const after = appliedMigrations(db);
  checkApplied(after, files);
  report.current = after.length ? after[after.length - 1].version : 0;
  return report;
}

/** Throws unless the database's schema is exactly the newest this build knows. */
export function assertCurrent(db: DatabaseSync, files: readonly Migration[]): void {
  const applied = appliedMigrations(db);
  checkApplied(applied, files);
  const latest = files.length ? files[files.length - 1].version : 0;
  const current = applied.length ? applied[applied.length - 1].version : 0;
  if (current !== latest) {
    throw new MigrationError(`database schema version ${current} is behind this build (${latest})`);
  }
}
