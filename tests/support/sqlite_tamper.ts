/**
 * Tampering helpers for SQLite event logs in tests: the one forgery the chain
 * must still catch, a row whose hash is right for its own content.
 *
 * @module
 */
import type { DatabaseSync } from "node:sqlite";
import { eventHash, GENESIS_HASH } from "../../domain/hash_chain.ts";

/** Replaces a row's data and gives it the hash that is right for its own content. */
export function rewriteWithValidHash(db: DatabaseSync, position: number, data: unknown): void {
  const prev = db.prepare("SELECT hash FROM events WHERE position = ?").get(position - 1) as
    | { hash: string }
    | undefined;
  const r = db.prepare(
    "SELECT stream, version, type, schema_version, metadata, recorded_at FROM events WHERE position = ?",
  ).get(position) as Record<string, string | number>;
  const hash = eventHash(prev?.hash ?? GENESIS_HASH, {
    position,
    stream: r.stream as string,
    version: r.version as number,
    type: r.type as string,
    schemaVersion: r.schema_version as number,
    data,
    metadata: JSON.parse(r.metadata as string),
    recordedAt: r.recorded_at as string,
  });
  db.prepare("UPDATE events SET data = ?, hash = ? WHERE position = ?")
    .run(JSON.stringify(data), hash, position);
}
