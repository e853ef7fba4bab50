/**
 * Opens the store named by `DATABASE_URL`: SQLite (`sqlite:…`, the default) or
 * PostgreSQL (`postgres://…`). The only place that knows both engines.
 *
 * @module
 */
import type { ArtifactStore, EventStore } from "../../domain/ports/event_store.ts";
import type { ReadModelStore } from "../../domain/ports/read_models.ts";
import type { OpenMode } from "./errors.ts";
import { isPostgresUrl, openPostgresStore } from "./postgres/mod.ts";
import { openSqliteStore, sqlitePathFromUrl } from "./sqlite/mod.ts";

export { type OpenMode, StoreMissingError } from "./errors.ts";

/** One engine's event log, read models and artifacts. */
export type Store = EventStore & ReadModelStore & ArtifactStore;

/**
 * Opens the store at `databaseUrl`. `create` (default) creates and migrates it;
 * `existing` refuses a missing one; `read-only` refuses a missing one and
 * never writes (SQLite opened read-only, PostgreSQL sessions read-only, no DDL).
 */
export function openStore(databaseUrl: string, mode: OpenMode = "create"): Promise<Store> {
  if (databaseUrl.startsWith("sqlite:")) {
    try {
      return Promise.resolve(openSqliteStore(sqlitePathFromUrl(databaseUrl), { mode }));
    } catch (error) {
      return Promise.reject(error);
    }
  }
  if (isPostgresUrl(databaseUrl)) return openPostgresStore(databaseUrl, { mode });
  return Promise.reject(
    new Error(
      `DATABASE_URL ${databaseUrl.split(":")[0]}:… is not supported: use sqlite:<path> or ` +
        "postgres://user@host/db",
    ),
  );
}
