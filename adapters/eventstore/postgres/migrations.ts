/**
 * Schema migrations for the PostgreSQL engine: `migrations/postgres/NNN_name.sql`,
 * applied in numeric order when the store opens and recorded in
 * `schema_migrations` with their checksums.
 *
 * Several processes may start at once: the check and every migration run in one
 * transaction holding an advisory lock, so exactly one of them applies what is
 * missing and the others then find the schema current. PostgreSQL's DDL is
 * transactional, so a failing migration leaves the database as it was.
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
import type { Sql } from "./connection.ts";
import { LOCK_NAMESPACE, MIGRATION_LOCK } from "./locks.ts";

/** Where the PostgreSQL migrations of this build live. */
export const POSTGRES_MIGRATIONS_DIR = new URL("../../../migrations/postgres/", import.meta.url);

export { checkApplied, MigrationError };
export type { AppliedRow, Migration, MigrationReport };

/** Reads the migration files (default: this build's PostgreSQL migrations), sorted. */
export function loadMigrations(dir: URL = POSTGRES_MIGRATIONS_DIR): Migration[] {
  return loadFrom(dir);
}

const NO_LOCK_TIMEOUT = "SET LOCAL lock_timeout = 0";
const TAKE_LOCK = "SELECT pg_advisory_xact_lock($1, $2)";
const TABLE_EXISTS = "SELECT to_regclass('schema_migrations') IS NOT NULL AS found";
const CREATE_TABLE = `
  CREATE TABLE schema_migrations (
    version    integer PRIMARY KEY,
    name       text    NOT NULL,
    checksum   text    NOT NULL,
    applied_at text    NOT NULL
  )`;
const SELECT_APPLIED = "SELECT version, name, checksum FROM schema_migrations ORDER BY version";
const INSERT_APPLIED =
  "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)";

/** The migrations recorded in the database (none when the table is missing). */
export async function appliedMigrations(sql: Sql): Promise<AppliedRow[]> {
  const [{ found }] = await sql.unsafe<{ found: boolean }[]>(TABLE_EXISTS);
  if (!found) return [];
  return await sql.unsafe<AppliedRow[]>(SELECT_APPLIED);
}

/**
 * Brings the database up to the newest migration, in one transaction under the
 * migration advisory lock. Throws {@link MigrationError} for a database this
 * build cannot use, or when a migration fails (nothing of it is kept).
 */
export async function applyMigrations(
  sql: Sql,
  files: readonly Migration[] = loadMigrations(),
  now: () => Date = () => new Date(),
): Promise<MigrationReport> {
  const latest = files.length ? files[files.length - 1].version : 0;
  return await sql.begin(async (tx) => {
    // Another process may be migrating (for as long as that takes): wait for it.
    await tx.unsafe(NO_LOCK_TIMEOUT);
    await tx.unsafe(TAKE_LOCK, [LOCK_NAMESPACE, MIGRATION_LOCK]);
    const [{ found }] = await tx.unsafe<{ found: boolean }[]>(TABLE_EXISTS);
    if (!found) await tx.unsafe(CREATE_TABLE);
    const applied = await tx.unsafe<AppliedRow[]>(SELECT_APPLIED);
    checkApplied(applied, files);
    const done = new Set(applied.map((r) => r.version));
    const report: MigrationReport = { applied: [], current: 0, latest };
    for (const m of files) {
      if (done.has(m.version)) continue;
      try {
        await tx.unsafe(m.sql);
      } catch (error) {
        throw new MigrationError(
          `migration ${m.version} (${m.name}) failed: ${(error as Error).message}`,
        );
      }
      await tx.unsafe(INSERT_APPLIED, [m.version, m.name, m.checksum, now().toISOString()]);
      report.applied.push(m.version);
    }
    const after = await tx.unsafe<AppliedRow[]>(SELECT_APPLIED);
    report.current = after.length ? after[after.length - 1].version : 0;
    return report;
  });
}

/** Throws unless the database's schema is exactly the newest this build knows. */
export async function assertCurrent(sql: Sql, files: readonly Migration[]): Promise<void> {
  const applied = await appliedMigrations(sql);
  checkApplied(applied, files);
  const latest = files.length ? files[files.length - 1].version : 0;
  const current = applied.length ? applied[applied.length - 1].version : 0;
  if (current !== latest) {
    throw new MigrationError(`database schema version ${current} is behind this build (${latest})`);
  }
}
