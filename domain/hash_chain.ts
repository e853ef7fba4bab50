/**
 * The tamper-evident chain over the global log: each event's hash is the sha256
 * of the previous event's hash and the event's canonical JSON. Editing, deleting,
 * reordering or re-hashing a stored event breaks the chain at that position.
 *
 * @module
 */
import { createHash } from "node:crypto";

/** The "previous hash" of the first event in the log. */
export const GENESIS_HASH = "0".repeat(64);

/**
 * JSON with object keys sorted at every depth and no whitespace, so the same
 * value always serialises to the same bytes whichever engine stored it.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    if (value === undefined) return "null";
    if (typeof value === "number" && !Number.isFinite(value)) {
      throw new TypeError("canonicalJson: non-finite number");
    }
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map((v) => (v === undefined ? "null" : canonicalJson(v))).join(",")}]`;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(",")}}`;
}

/** The fields of an event that its hash covers (everything but the hash). */
export interface HashedFields {
  position: number;
  stream: string;
  version: number;
  type: string;
  schemaVersion: number;
  data: unknown;
  metadata: unknown;
  recordedAt: string;
}

/** The hash of an event given the previous event's hash. */
export function eventHash(previousHash: string, e: HashedFields): string {
  const body = canonicalJson({
    position: e.position,
    stream: e.stream,
    version: e.version,
    type: e.type,
    schemaVersion: e.schemaVersion,
    data: e.data,
    metadata: e.metadata,
    recordedAt: e.recordedAt,
  });
  return createHash("sha256").update(previousHash).update("\n").update(body).digest("hex");
}

/** The first break found in a chain, or null when every link holds. */
export interface ChainBreak {
  position: number;
  reason: string;
}

/**
 * Checks a contiguous slice of the log. `previous` is the hash and position of
 * the event before the slice (genesis and 0 at the start of the log).
 * Returns the first break, plus the state to continue with on the next slice.
 */
export function verifyChainSlice(
  previous: { hash: string; position: number },
  events: readonly (HashedFields & { hash: string })[],
): { broken: ChainBreak | null; last: { hash: string; position: number } } {
  let prev = previous;
  for (const e of events) {
    if (e.position !== prev.position + 1) {
      return {
        broken: {
          position: e.position,
          reason: `expected position ${
            prev.position + 1
          }, found ${e.position} (deleted or reordered)`,
        },
        last: prev,
      };
    }
    const expected = eventHash(prev.hash, e);
    if (expected !== e.hash) {
      return {
        broken: { position: e.position, reason: "hash does not match its content and predecessor" },
        last: prev,
      };
    }
    prev = { hash: e.hash, position: e.position };
  }
  return { broken: null, last: prev };
}
