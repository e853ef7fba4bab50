/**
 * Opens the store named by `DATABASE_URL`: SQLite (`sqlite:…`, the default) or
 * PostgreSQL (`postgres://…`). The only place that knows both engines.
 *
 * @module
 */
import type { ArtifactStore, EventStore } from "../../domain/ports/event_store.ts";
import type { ReadModelStore } from "../../domain/ports/read_models.ts";
import { isPostgresUrl, openPostgresStore } from "./postgres/mod.ts";
import { openSqliteStore, sqlitePathFromUrl } from "./sqlite/mod.ts";

/** One engine's event log, read models and artifacts. */
export type Store = EventStore & ReadModelStore & ArtifactStore;

/** Opens (and migrates) the store at `databaseUrl`. */
export function openStore(databaseUrl: string): Promise<Store> {
  if (databaseUrl.startsWith("sqlite:")) {
    return Promise.resolve(openSqliteStore(sqlitePathFromUrl(databaseUrl)));
  }
  if (isPostgresUrl(databaseUrl)) return openPostgresStore(databaseUrl);
  throw new Error(
    `DATABASE_URL ${databaseUrl.split(":")[0]}:… is not supported: use sqlite:<path> or ` +
      "postgres://user@host/db",
  );
}
