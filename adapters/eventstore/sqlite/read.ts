/**
 * Reading the SQLite log: by stream, by global position (upcast and validated),
 * and raw for the hash-chain audit.
 *
 * @module
 */
import {
  type EventRegistry,
  type RecordedEvent,
  upcastAndValidate,
  validateMetadata,
} from "../../../domain/events.ts";
import type { RawEvent } from "../../../domain/ports/event_store.ts";
import type { Connection } from "./connection.ts";

const COLUMNS =
  "position, stream, version, type, schema_version, data, metadata, recorded_at, hash";
const SELECT_STREAM =
  `SELECT ${COLUMNS} FROM events WHERE stream = ? AND version >= ? ORDER BY version`;
const SELECT_AFTER = `SELECT ${COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`;
const SELECT_HEAD = "SELECT coalesce(max(position), 0) AS head FROM events";

/** A row of {@link COLUMNS} as an array (statements here return arrays: fewer allocations). */
type Row = [number, string, number, string, number, string, string, string, string];

// Rows are read by index, not destructured: this is the hot path of readAll.
function decode(row: Row, registry: EventRegistry): RecordedEvent {
  const type = row[3];
  const current = upcastAndValidate(type, row[4], JSON.parse(row[5]), registry);
  return {
    position: row[0],
    stream: row[1],
    version: row[2],
    type,
    schemaVersion: current.schemaVersion,
    data: current.data,
    metadata: validateMetadata(type, JSON.parse(row[6])),
    recordedAt: row[7],
    hash: row[8],
  } as RecordedEvent;
}

function decodeRaw(row: Row): RawEvent {
  return {
    position: row[0],
    stream: row[1],
    version: row[2],
    type: row[3],
    schemaVersion: row[4],
    data: JSON.parse(row[5]),
    metadata: JSON.parse(row[6]),
    recordedAt: row[7],
    hash: row[8],
  };
}

function checkPosition(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`${name} must be a non-negative integer, got ${value}`);
  }
}

/** A stream's events from `fromVersion` on, upcast and validated. */
export function readStream(
  conn: Connection,
  registry: EventRegistry,
  stream: string,
  fromVersion = 1,
): RecordedEvent[] {
  checkPosition("fromVersion", fromVersion);
  const rows = conn.arrayStatement(SELECT_STREAM).all(stream, fromVersion) as unknown as Row[];
  return rows.map((r) => decode(r, registry));
}

/** Up to `limit` events after `afterPosition`, upcast and validated. */
export function readAll(
  conn: Connection,
  registry: EventRegistry,
  afterPosition: number,
  limit: number,
): RecordedEvent[] {
  checkPosition("afterPosition", afterPosition);
  checkPosition("limit", limit);
  if (limit === 0) return [];
  const rows = conn.arrayStatement(SELECT_AFTER).all(afterPosition, limit) as unknown as Row[];
  const out = new Array<RecordedEvent>(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = decode(rows[i], registry);
  return out;
}

/** Up to `limit` events after `afterPosition`, exactly as stored. */
export function readAllRaw(conn: Connection, afterPosition: number, limit: number): RawEvent[] {
  checkPosition("afterPosition", afterPosition);
  checkPosition("limit", limit);
  if (limit === 0) return [];
  const rows = conn.arrayStatement(SELECT_AFTER).all(afterPosition, limit) as unknown as Row[];
  return rows.map(decodeRaw);
}

/** The position of the last event (0 when the log is empty). */
export function headPosition(conn: Connection): number {
  return (conn.statement(SELECT_HEAD).get() as { head: number }).head;
}
