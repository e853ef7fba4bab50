/**
 * Content-addressed artifacts in SQLite: bytes stored once per sha256.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { Connection } from "./connection.ts";

const INSERT_ARTIFACT = `
  INSERT OR IGNORE INTO artifacts (sha256, media_type, size, content, created_at)
  VALUES (?, ?, ?, ?, ?)`;
const SELECT_ARTIFACT = "SELECT media_type, content FROM artifacts WHERE sha256 = ?";

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * The artifact table, synchronously (the store wraps each call in a promise):
 * the operations of {@link import("../../../domain/ports/event_store.ts").ArtifactStore}.
 */
export class ArtifactTable {
  readonly #conn: Connection;
  readonly #clock: () => Date;

  constructor(conn: Connection, clock: () => Date = () => new Date()) {
    this.#conn = conn;
    this.#clock = clock;
  }

  /** Stores the bytes unless the same content is already there; returns its address. */
  put(content: Uint8Array, mediaType: string): { sha256: string; size: number } {
    if (!(content instanceof Uint8Array)) throw new TypeError("content must be a Uint8Array");
    if (typeof mediaType !== "string" || mediaType.length === 0 || mediaType.length > 100) {
      throw new TypeError("mediaType must be a non-empty string of at most 100 characters");
    }
    const sha256 = createHash("sha256").update(content).digest("hex");
    this.#conn.statement(INSERT_ARTIFACT).run(
      sha256,
      mediaType,
      content.byteLength,
      content,
      this.#clock().toISOString(),
    );
    return { sha256, size: content.byteLength };
  }

  /** The bytes stored under a sha256 (hex), or null. */
  get(sha256: string): { content: Uint8Array; mediaType: string } | null {
    if (typeof sha256 !== "string" || !SHA256_HEX.test(sha256)) return null;
    const row = this.#conn.statement(SELECT_ARTIFACT).get(sha256) as
      | { media_type: string; content: Uint8Array }
      | undefined;
    return row ? { content: row.content, mediaType: row.media_type } : null;
  }
}
