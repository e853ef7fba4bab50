/**
 * Migration files and the rules every engine applies to them: numbered
 * `NNN_name.sql` files in order, each recorded with its checksum; a database
 * newer than this build, or an applied file that changed, is refused with a
 * clear message. Engines run the SQL; these rules are shared.
 *
 * @module
 */
import { createHash } from "node:crypto";

/** One migration file. */
export interface Migration {
  /** The number the file name starts with. */
  version: number;
  /** The rest of the file name, without `.sql`. */
  name: string;
  /** The file's text. */
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
  /** An error saying what is wrong and what to do. */
  constructor(message: string) {
    super(message);
    this.name = "MigrationError";
  }
}

const FILE_NAME = /^(\d{3,})_([A-Za-z0-9_-]+)\.sql$/;

/** Reads the migration files of a directory, sorted by version. */
export function loadMigrations(dir: URL): Migration[] {
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

/** A row of `schema_migrations`. */
export interface AppliedRow {
  /** The migration's version. */
  version: number;
  /** The migration's name when it was applied. */
  name: string;
  /** sha256 (hex) of the file when it was applied. */
  checksum: string;
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
