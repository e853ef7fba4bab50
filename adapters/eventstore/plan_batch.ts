/**
 * The heart of every append, shared by the engines: given the log's head and
 * each stream's version (read inside the write transaction), decide each
 * request of a batch (a version conflict, or its events) and lay out the rows
 * to insert: gap-free positions, stream versions and the hash chain.
 * Streams touched earlier in the batch are tracked, so later appends to them
 * see those versions.
 *
 * @module
 */
import type { RecordedEvent } from "../../domain/events.ts";
import { eventHash } from "../../domain/hash_chain.ts";
import type { AppendResult, ExpectedVersion } from "../../domain/ports/event_store.ts";
import { expectationHolds, type ValidEvent } from "./validate_append.ts";

/** One caller's append, validated. */
export interface AppendRequest {
  stream: string;
  expected: ExpectedVersion;
  events: ValidEvent[];
}

/** Where a stream stands. */
export interface StreamHead {
  version: number;
  position: number;
}

/** A row to insert, exactly as it is hashed and stored. */
export interface PlannedRow {
  position: number;
  stream: string;
  version: number;
  type: string;
  schemaVersion: number;
  dataJson: string;
  metadataJson: string;
  recordedAt: string;
  hash: string;
}

/** Decides a batch; `streamHead` answers a stream's stored head (absent: version 0). */
export function planBatch(
  batch: readonly AppendRequest[],
  logHead: { position: number; hash: string },
  streamHead: (stream: string) => StreamHead | undefined,
  recordedAt: string,
): { outcomes: AppendResult[]; rows: PlannedRow[]; head: number } {
  let position = logHead.position;
  let previousHash = logHead.hash;
  const touched = new Map<string, StreamHead>();
  const rows: PlannedRow[] = [];
  const outcomes = batch.map((req): AppendResult => {
    let current = touched.get(req.stream) ?? streamHead(req.stream) ??
      { version: 0, position: 0 };
    if (!expectationHolds(req.expected, current.version)) {
      return {
        ok: false,
        conflict: {
          kind: "version_conflict",
          stream: req.stream,
          expected: req.expected,
          actual: current.version,
        },
      };
    }
    const recorded: RecordedEvent[] = [];
    let version = current.version;
    for (const e of req.events) {
      position++;
      version++;
      const fields = {
        position,
        stream: req.stream,
        version,
        type: e.type,
        schemaVersion: e.schemaVersion,
        data: e.data,
        metadata: e.metadata,
        recordedAt,
      };
      const hash = eventHash(previousHash, fields);
      rows.push({
        position,
        stream: req.stream,
        version,
        type: e.type,
        schemaVersion: e.schemaVersion,
        dataJson: e.dataJson,
        metadataJson: e.metadataJson,
        recordedAt,
        hash,
      });
      previousHash = hash;
      recorded.push({ ...fields, hash } as RecordedEvent);
    }
    if (recorded.length > 0) {
      current = { version, position };
      touched.set(req.stream, current);
    }
    return {
      ok: true,
      nextVersion: current.version,
      lastPosition: current.position,
      events: recorded,
    };
  });
  return { outcomes, rows, head: position };
}
