/**
 * Projection documents and checkpoints in SQLite: JSON text per document,
 * queried with `json_extract`, committed together with the checkpoint and
 * fenced on its old value.
 *
 * @module
 */
import type { SQLInputValue } from "node:sqlite";
import type {
  Checkpoint,
  CountOptions,
  DocQuery,
  FieldFilter,
} from "../../../domain/ports/read_models.ts";
import type { Connection } from "./connection.ts";

const SELECT_CHECKPOINT =
  "SELECT position, version FROM projection_checkpoints WHERE projection = ?";
const INSERT_CHECKPOINT = `
  INSERT INTO projection_checkpoints (projection, position, version, updated_at)
  VALUES (?, ?, ?, ?) ON CONFLICT (projection) DO NOTHING`;
const MOVE_CHECKPOINT = `
  UPDATE projection_checkpoints SET position = ?, version = ?, updated_at = ?
  WHERE projection = ? AND position = ? AND version = ?`;
const UPSERT_DOC = `
  INSERT INTO projection_docs (projection, id, doc) VALUES (?, ?, ?)
  ON CONFLICT (projection, id) DO UPDATE SET doc = excluded.doc`;
const DELETE_DOC = "DELETE FROM projection_docs WHERE projection = ? AND id = ?";
const SELECT_DOC = "SELECT doc FROM projection_docs WHERE projection = ? AND id = ?";
const SELECT_DOCS = `
  SELECT id, doc FROM projection_docs
  WHERE projection = ? AND id IN (SELECT value FROM json_each(?))`;
const DELETE_DOCS = "DELETE FROM projection_docs WHERE projection = ?";
const DELETE_CHECKPOINT = "DELETE FROM projection_checkpoints WHERE projection = ?";

/** Field names usable in queries: plain identifiers, so nothing can be injected. */
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The JSON path of a field as a SQL string literal (`'$.status'`). Literal,
 * not a bound parameter, so the expression matches the expression indexes of
 * migration 002; the field name is checked to be a plain identifier first.
 */
function jsonPath(field: string): string {
  if (typeof field !== "string" || !FIELD_NAME.test(field)) {
    throw new TypeError(`invalid document field name ${JSON.stringify(field)}`);
  }
  return `'$.${field}'`;
}

/** `json_extract(doc, '$.field')`. */
function extract(field: string): string {
  return `json_extract(doc, ${jsonPath(field)})`;
}

/** The SQL condition that a document field has the JSON type of `value`. */
function typeCondition(field: string, value: string | number | boolean): string {
  const type = `json_type(doc, ${jsonPath(field)})`;
  if (typeof value === "string") return `${type} = 'text'`;
  if (typeof value === "number") return `${type} IN ('integer', 'real')`;
  return `${type} IN ('true', 'false')`;
}

function checkBound(value: unknown): asserts value is string | number {
  if (typeof value === "string") return;
  if (typeof value === "number" && Number.isFinite(value)) return;
  throw new TypeError(`a bound must be a string or a finite number, got ${JSON.stringify(value)}`);
}

/**
 * Compiles filters to a SQL condition list and its parameters (strictly typed
 * equality). The indexed `json_extract` term comes first in each condition; a
 * JSON string is SQL text and never equals a number (SQLite compares a
 * function's result without type affinity), so string equality needs no type
 * check, and the other checks only filter the rows the index found.
 */
function compileWhere(
  where: readonly FieldFilter[] = [],
): { sql: string; params: SQLInputValue[] } {
  const parts: string[] = [];
  const params: SQLInputValue[] = [];
  for (const f of where) {
    const value = extract(f.field);
    if ("eq" in f) {
      const v = f.eq;
      if (v === null) {
        parts.push(`coalesce(json_type(doc, ${jsonPath(f.field)}), 'null') = 'null'`);
      } else if (typeof v === "boolean") {
        parts.push(`${value} = ? AND json_type(doc, ${jsonPath(f.field)}) = ?`);
        params.push(v ? 1 : 0, v ? "true" : "false");
      } else if (typeof v === "string") {
        parts.push(`${value} = ?`);
        params.push(v);
      } else {
        checkBound(v);
        parts.push(`${value} = ? AND ${typeCondition(f.field, v)}`);
        params.push(v);
      }
    } else if ("lte" in f) {
      checkBound(f.lte);
      parts.push(`${value} <= ? AND ${typeCondition(f.field, f.lte)}`);
      params.push(f.lte);
    } else if ("gte" in f) {
      checkBound(f.gte);
      parts.push(`${value} >= ? AND ${typeCondition(f.field, f.gte)}`);
      params.push(f.gte);
    } else if ("contains" in f) {
      if (typeof f.contains !== "string") throw new TypeError("contains takes a string");
      parts.push(`json_type(doc, ${jsonPath(f.field)}) = 'text' AND instr(lower(${value}), ?) > 0`);
      params.push(f.contains.toLowerCase());
    } else {
      throw new TypeError(`unsupported filter ${JSON.stringify(f)}`);
    }
  }
  return { sql: parts.map((p) => ` AND (${p})`).join(""), params };
}

function checkCount(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
    throw new TypeError(`${name} must be a non-negative integer, got ${value}`);
  }
}

function checkCheckpoint(to: Checkpoint): void {
  if (!Number.isSafeInteger(to.position) || to.position < 0 || !Number.isSafeInteger(to.version)) {
    throw new TypeError(`invalid checkpoint ${JSON.stringify(to)}`);
  }
}

function toJson(doc: unknown): string {
  const json = JSON.stringify(doc);
  if (json === undefined) throw new TypeError("a document must be JSON-serialisable");
  return json;
}

/**
 * The read-model tables, synchronously (the store wraps each call in a promise):
 * the operations of {@link import("../../../domain/ports/read_models.ts").ReadModelStore}.
 */
export class ReadModelTables {
  readonly #conn: Connection;
  readonly #clock: () => Date;

  constructor(conn: Connection, clock: () => Date = () => new Date()) {
    this.#conn = conn;
    this.#clock = clock;
  }

  /** See `ReadModelStore.checkpoint`. */
  checkpoint(projection: string): Checkpoint | null {
    const row = this.#conn.statement(SELECT_CHECKPOINT).get(projection) as
      | { position: number; version: number }
      | undefined;
    return row ? { position: row.position, version: row.version } : null;
  }

  /** See `ReadModelStore.load`. */
  load(projection: string, ids: readonly string[]): Map<string, unknown> {
    const found = new Map<string, unknown>();
    if (ids.length === 0) return found;
    const rows = this.#conn.statement(SELECT_DOCS).all(projection, JSON.stringify(ids)) as {
      id: string;
      doc: string;
    }[];
    for (const row of rows) found.set(row.id, JSON.parse(row.doc));
    return found;
  }

  /**
   * See `ReadModelStore.commit`.
   * A `null` (or `undefined`) document deletes.
   */
  commit(
    projection: string,
    from: Checkpoint | null,
    to: Checkpoint,
    changes: ReadonlyMap<string, unknown | null>,
  ): boolean {
    checkCheckpoint(to);
    // Serialise before the transaction: a bad document must not leave it open.
    const writes = [...changes].map(([id, doc]) => [id, doc == null ? null : toJson(doc)] as const);
    const conn = this.#conn;
    const now = this.#clock().toISOString();
    return conn.immediateUnless(() => {
      const moved = from === null
        ? conn.statement(INSERT_CHECKPOINT).run(projection, to.position, to.version, now)
        : conn.statement(MOVE_CHECKPOINT).run(
          to.position,
          to.version,
          now,
          projection,
          from.position,
          from.version,
        );
      if (moved.changes === 0) return false; // another process moved it: write nothing
      for (const [id, json] of writes) {
        if (json === null) conn.statement(DELETE_DOC).run(projection, id);
        else conn.statement(UPSERT_DOC).run(projection, id, json);
      }
      return true;
    });
  }

  /** See `ReadModelStore.reset`. */
  reset(projection: string): void {
    this.#conn.immediate(() => {
      this.#conn.statement(DELETE_DOCS).run(projection);
      this.#conn.statement(DELETE_CHECKPOINT).run(projection);
    });
  }

  /** See `ReadModelStore.get`. */
  get(projection: string, id: string): unknown | null {
    const row = this.#conn.statement(SELECT_DOC).get(projection, id) as { doc: string } | undefined;
    return row ? JSON.parse(row.doc) : null;
  }

  /** See `ReadModelStore.query`. */
  query(projection: string, query: DocQuery = {}): unknown[] {
    checkCount("limit", query.limit);
    checkCount("offset", query.offset);
    const where = compileWhere(query.where);
    const params: SQLInputValue[] = [projection, ...where.params];
    let order = "id ASC";
    if (query.orderBy) {
      const direction = query.orderBy.direction;
      if (direction !== "asc" && direction !== "desc") {
        throw new TypeError(`invalid order direction ${JSON.stringify(direction)}`);
      }
      order = `${extract(query.orderBy.field)} ${direction.toUpperCase()}, id ASC`;
    }
    params.push(query.limit ?? -1, query.offset ?? 0);
    const sql = `SELECT doc FROM projection_docs WHERE projection = ?${where.sql} ` +
      `ORDER BY ${order} LIMIT ? OFFSET ?`;
    const rows = this.#conn.statement(sql).all(...params) as { doc: string }[];
    return rows.map((r) => JSON.parse(r.doc));
  }

  /** See `ReadModelStore.count`. */
  count(projection: string, where?: FieldFilter[], options: CountOptions = {}): number {
    checkCount("max", options.max);
    const compiled = compileWhere(where);
    const rows = `SELECT 1 FROM projection_docs WHERE projection = ?${compiled.sql}`;
    const sql = options.max === undefined
      ? `SELECT count(*) AS n FROM (${rows})`
      : `SELECT count(*) AS n FROM (${rows} LIMIT ?)`;
    const params = options.max === undefined
      ? [projection, ...compiled.params]
      : [projection, ...compiled.params, options.max];
    const row = this.#conn.statement(sql).get(...params) as { n: number };
    return row.n;
  }
}
