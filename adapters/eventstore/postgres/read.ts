/**
 * Reading the PostgreSQL log: by stream, by global position (upcast and
 * validated), and raw for the hash-chain audit.
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
import { PREPARED, type Sql } from "./connection.ts";

const COLUMNS =
  "position, stream, version, type, schema_version, data, metadata, recorded_at, hash";
const SELECT_STREAM =
  `SELECT ${COLUMNS} FROM events WHERE stream = $1 AND version >= $2 ORDER BY version`;
const SELECT_AFTER = `SELECT ${COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2`;
const SELECT_HEAD = "SELECT coalesce(max(position), 0) AS head FROM events";

/** A row of {@link COLUMNS}; `position` is a bigint, which arrives as a string. */
interface Row {
  position: string;
  stream: string;
  version: number;
  type: string;
  schema_version: number;
  data: string;
  metadata: string;
  recorded_at: string;
  hash: string;
}

function decode(row: Row, registry: EventRegistry): RecordedEvent {
  const current = upcastAndValidate(row.type, row.schema_version, JSON.parse(row.data), registry);
  return {
    position: Number(row.position),
    stream: row.stream,
    version: row.version,
    type: row.type,
    schemaVersion: current.schemaVersion,
    data: current.data,
    metadata: validateMetadata(row.type, JSON.parse(row.metadata)),
    recordedAt: row.recorded_at,
    hash: row.hash,
  } as RecordedEvent;
}

function decodeRaw(row: Row): RawEvent {
  return {
    position: Number(row.position),
    stream: row.stream,
    version: row.version,
    type: row.type,
    schemaVersion: row.schema_version,
    data: JSON.parse(row.data),
    metadata: JSON.parse(row.metadata),
    recordedAt: row.recorded_at,
    hash: row.hash,
  };
}

function checkPosition(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`${name} must be a non-negative integer, got ${value}`);
  }
}

/** A stream's events from `fromVersion` on, upcast and validated. */
export async function readStream(
  sql: Sql,
  registry: EventRegistry,
  stream: string,
  fromVersion = 1,
): Promise<RecordedEvent[]> {
  checkPosition("fromVersion", fromVersion);
  if (fromVersion > 2_147_483_647) return [];
  const rows = await sql.unsafe<Row[]>(SELECT_STREAM, [stream, fromVersion], PREPARED);
  return rows.map((r) => decode(r, registry));
}

async function rowsAfter(sql: Sql, afterPosition: number, limit: number): Promise<Row[]> {
  checkPosition("afterPosition", afterPosition);
  checkPosition("limit", limit);
  if (limit === 0) return [];
  return await sql.unsafe<Row[]>(SELECT_AFTER, [afterPosition, limit], PREPARED);
}

/** Up to `limit` events after `afterPosition`, upcast and validated. */
export async function readAll(
  sql: Sql,
  registry: EventRegistry,
  afterPosition: number,
  limit: number,
): Promise<RecordedEvent[]> {
  const rows = await rowsAfter(sql, afterPosition, limit);
  return rows.map((r) => decode(r, registry));
}

/** Up to `limit` events after `afterPosition`, exactly as stored. */
export async function readAllRaw(
  sql: Sql,
  afterPosition: number,
  limit: number,
): Promise<RawEvent[]> {
  return (await rowsAfter(sql, afterPosition, limit)).map(decodeRaw);
}

/** The position of the last event (0 when the log is empty). */
export async function headPosition(sql: Sql): Promise<number> {
  const [row] = await sql.unsafe<{ head: string }[]>(SELECT_HEAD);
  return Number(row.head);
}
