/**
 * Content-addressed artifacts in PostgreSQL: bytes (bytea) stored once per sha256.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { PREPARED, type Sql } from "./connection.ts";

const INSERT_ARTIFACT = `
  INSERT INTO artifacts (sha256, media_type, size, content, created_at)
  VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) DO NOTHING`;
const SELECT_ARTIFACT = "SELECT media_type, content FROM artifacts WHERE sha256 = $1";

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * The artifact table: the operations of
 * {@link import("../../../domain/ports/event_store.ts").ArtifactStore}.
 */
export class ArtifactTable {
  readonly #sql: Sql;
  readonly #clock: () => Date;

  /** The table in the database of `sql`; `clock` stamps `created_at`. */
  constructor(sql: Sql, clock: () => Date = () => new Date()) {
    this.#sql = sql;
    this.#clock = clock;
  }

  /** Stores the bytes unless the same content is already there; returns its address. */
  async put(content: Uint8Array, mediaType: string): Promise<{ sha256: string; size: number }> {
    if (!(content instanceof Uint8Array)) throw new TypeError("content must be a Uint8Array");
    if (typeof mediaType !== "string" || mediaType.length === 0 || mediaType.length > 100) {
      throw new TypeError("mediaType must be a non-empty string of at most 100 characters");
    }
    const sha256 = createHash("sha256").update(content).digest("hex");
    await this.#sql.unsafe(INSERT_ARTIFACT, [
      sha256,
      mediaType,
      content.byteLength,
      content,
      this.#clock().toISOString(),
    ] as never[], PREPARED);
    return { sha256, size: content.byteLength };
  }

  /** The bytes stored under a sha256 (hex), or null. */
  async get(sha256: string): Promise<{ content: Uint8Array; mediaType: string } | null> {
    if (typeof sha256 !== "string" || !SHA256_HEX.test(sha256)) return null;
    const [row] = await this.#sql.unsafe<{ media_type: string; content: Uint8Array }[]>(
      SELECT_ARTIFACT,
      [sha256],
      PREPARED,
    );
    // A plain Uint8Array (postgres.js hands out a Node Buffer), as on every engine.
    return row ? { content: Uint8Array.from(row.content), mediaType: row.media_type } : null;
  }
}
