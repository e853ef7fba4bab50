/**
 * Schema migrations for the SQLite engine: `migrations/sqlite/NNN_name.sql`,
 * applied in numeric order when the store opens, each in its own transaction and
 * recorded in `schema_migrations` with its checksum.
 *
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import { createHash } from "node:crypto";

/** Where the SQLite migrations of this build live. */
export const SQLITE_MIGRATIONS_DIR = new URL("../../../migrations/sqlite/", import.meta.url);

/** One migration file. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** sha256 (hex) of the file's text. */
  checksum: string;
}

/** What {@link applyMigrations} did. */
export interface MigrationReport {
  /** Versions applied by this call, in order (empty when the schema was current). */
  applied: number[];
  /** The schema version of the database now. */
  current: number;
  /** The newest version this build knows. */
  latest: number;
}

/** The database cannot be used by this build (too new, or an applied file changed). */
export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MigrationError";
  }
}

const FILE_NAME = /^(\d{3,})_([A-Za-z0-9_-]+)\.sql$/;

/** Reads the migration files of a directory, sorted by version. */
export function loadMigrations(dir: URL = SQLITE_MIGRATIONS_DIR): Migration[] {
  const found: Migration[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    if (!entry.isFile || !entry.name.endsWith(".sql")) continue;
    const match = FILE_NAME.exec(entry.name);
    if (!match) {
      throw new MigrationError(`migration file ${entry.name} is not named NNN_name.sql`);
    }
    const sql = Deno.readTextFileSync(new URL(entry.name, dir));
    found.push({
      version: Number(match[1]),
      name: match[2],
      sql,
      checksum: createHash("sha256").update(sql).digest("hex"),
    });
  }
  found.sort((a, b) => a.version - b.version);
  for (let i = 1; i < found.length; i++) {
    if (found[i].version === found[i - 1].version) {
      throw new MigrationError(`two migration files have version ${found[i].version}`);
    }
  }
  return found;
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

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

/** The migrations recorded in the database, by version. */
export function appliedMigrations(db: DatabaseSync): AppliedRow[] {
  return db.prepare(SELECT_APPLIED).all() as unknown as AppliedRow[];
}

/**
 * Checks the recorded migrations against the files: refuses a database newer
 * than this build, or one whose applied migration no longer matches its file.
 */
export function checkApplied(applied: readonly AppliedRow[], files: readonly Migration[]): void {
  const latest = files.length ? files[files.length - 1].version : 0;
  const current = applied.length ? applied[applied.length - 1].version : 0;
  if (current > latest) {
    throw new MigrationError(
      `database schema version ${current} is newer than this AI Runner supports (${latest}): ` +
        "upgrade AI Runner or point DATABASE_URL at another database",
    );
  }
  const byVersion = new Map(files.map((m) => [m.version, m]));
  for (const row of applied) {
    const file = byVersion.get(row.version);
    if (!file) {
      throw new MigrationError(
        `database records migration ${row.version} (${row.name}) that this AI Runner does not have`,
      );
    }
    if (file.checksum !== row.checksum) {
      throw new MigrationError(
        `migration ${row.version} (${row.name}) was changed after it was applied ` +
          `(checksum ${row.checksum.slice(0, 12)}… recorded, file has ${
            file.checksum.slice(0, 12)
          }…): restore the original file and add a new migration instead`,
      );
    }
  }
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
