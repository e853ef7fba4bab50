/**
 * Projection documents and checkpoints in PostgreSQL: a jsonb document per id,
 * filtered and ordered with jsonb operators, committed together with the
 * checkpoint and fenced on its old value. The fence is what makes concurrent
 * projectors in several processes safe: the checkpoint row is updated only
 * `WHERE position = <old> AND version = <old>`, and PostgreSQL re-checks that
 * condition after waiting for a concurrent writer of the row, so exactly one
 * of two racing commits moves it and the other writes nothing.
 *
 * jsonb cannot hold U+0000 or an unpaired surrogate. A document with one is
 * stored exactly in `doc_text`, with a copy in `doc` where those characters are
 * replaced by U+FFFD (used only for filtering and ordering).
 *
 * Ordering follows the SQLite engine's: missing/null first (ascending), then
 * numbers and booleans (as 1/0), then strings bytewise (`COLLATE "C"`), then
 * arrays and objects by their JSON text; ties by id (bytewise).
 *
 * @module
 */
import type {
  Checkpoint,
  CountOptions,
  DocQuery,
  FieldFilter,
} from "../../../domain/ports/read_models.ts";
import { PREPARED, type Sql } from "./connection.ts";

const SELECT_CHECKPOINT =
  "SELECT position, version FROM projection_checkpoints WHERE projection = $1";
const INSERT_CHECKPOINT = `
  INSERT INTO projection_checkpoints (projection, position, version, updated_at)
  VALUES ($1, $2, $3, $4) ON CONFLICT (projection) DO NOTHING`;
const MOVE_CHECKPOINT = `
  UPDATE projection_checkpoints SET position = $1, version = $2, updated_at = $3
  WHERE projection = $4 AND position = $5 AND version = $6`;
const UPSERT_DOCS = `
  INSERT INTO projection_docs (projection, id, doc, doc_text)
  SELECT $1, i, d::jsonb, t FROM unnest($2::text[], $3::text[], $4::text[]) AS u(i, d, t)
  ON CONFLICT (projection, id) DO UPDATE SET doc = excluded.doc, doc_text = excluded.doc_text`;
const DELETE_DOCS_BY_ID =
  "DELETE FROM projection_docs WHERE projection = $1 AND id = ANY($2::text[])";
const DOC_JSON = "coalesce(doc_text, doc::text) AS doc";
const SELECT_DOC = `SELECT ${DOC_JSON} FROM projection_docs WHERE projection = $1 AND id = $2`;
const SELECT_DOCS =
  `SELECT id, ${DOC_JSON} FROM projection_docs WHERE projection = $1 AND id = ANY($2::text[])`;
const DELETE_DOCS = "DELETE FROM projection_docs WHERE projection = $1";
const DELETE_CHECKPOINT = "DELETE FROM projection_checkpoints WHERE projection = $1";

/** Field names usable in queries: plain identifiers, as on every engine. */
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A `\u0000` or an unpaired-surrogate escape (JSON.stringify's output), not itself escaped. */
const JSONB_UNSAFE = /(?:^|[^\\])(?:\\\\)*\\u(?:0000|d[89a-f][0-9a-f]{2})/i;

function checkField(field: string): string {
  if (typeof field !== "string" || !FIELD_NAME.test(field)) {
    throw new TypeError(`invalid document field name ${JSON.stringify(field)}`);
  }
  return field;
}

function checkBound(value: unknown): asserts value is string | number {
  if (typeof value === "string") return;
  if (typeof value === "number" && Number.isFinite(value)) return;
  throw new TypeError(`a bound must be a string or a finite number, got ${JSON.stringify(value)}`);
}

function checkCount(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
    throw new TypeError(`${name} must be a non-negative integer, got ${value}`);
  }
}

function checkCheckpoint(to: Checkpoint): void {
  if (
    !Number.isSafeInteger(to.position) || to.position < 0 || !Number.isSafeInteger(to.version) ||
    Math.abs(to.version) > 2_147_483_647
  ) {
    throw new TypeError(`invalid checkpoint ${JSON.stringify(to)}`);
  }
}

/** Replaces what jsonb cannot hold (U+0000, unpaired surrogates) with U+FFFD, keys too. */
function jsonbSafe(value: unknown): unknown {
  if (typeof value === "string") return value.replaceAll("\0", "\uFFFD").toWellFormed();
  if (Array.isArray(value)) return value.map(jsonbSafe);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [jsonbSafe(k) as string, jsonbSafe(v)]),
    );
  }
  return value;
}

/** A document as stored: the jsonb text, and the exact JSON when jsonb cannot hold it. */
function encodeDoc(doc: unknown): { jsonb: string; exact: string | null } {
  const json = JSON.stringify(doc);
  if (json === undefined) throw new TypeError("a document must be JSON-serialisable");
  if (!JSONB_UNSAFE.test(json)) return { jsonb: json, exact: null };
  return { jsonb: JSON.stringify(jsonbSafe(JSON.parse(json))), exact: json };
}

/** Numbered parameters for a query being built. */
class Params {
  readonly values: unknown[] = [];
  /** Adds a value and returns its placeholder (`$n`). */
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/**
 * A field name as a SQL string literal (`'status'`). Literal rather than a
 * bound parameter so that the expressions match those of the expression
 * indexes (migration 002); the name is checked to be a plain identifier first.
 */
function fieldLiteral(field: string): string {
  return `'${checkField(field)}'`;
}

/** The three ORDER BY expressions of a field (rank by JSON type, number, text), ascending. */
export function orderExpressions(field: string): [string, string, string] {
  const name = fieldLiteral(field);
  const v = `(doc -> ${name})`;
  const type = `jsonb_typeof(${v})`;
  const rank = `(CASE ${type} WHEN 'number' THEN 1 WHEN 'boolean' THEN 1 ` +
    `WHEN 'string' THEN 2 WHEN 'array' THEN 3 WHEN 'object' THEN 3 ELSE 0 END)`;
  const number = `(CASE ${type} WHEN 'number' THEN (doc ->> ${name})::numeric ` +
    `WHEN 'boolean' THEN CASE WHEN ${v} = 'true'::jsonb THEN 1 ELSE 0 END END)`;
  const text = `((CASE ${type} WHEN 'string' THEN doc ->> ${name} ` +
    `WHEN 'array' THEN ${v}::text WHEN 'object' THEN ${v}::text END) COLLATE "C")`;
  return [rank, number, text];
}

/** Compiles filters to SQL conditions (strictly typed, as on every engine). */
function compileWhere(where: readonly FieldFilter[] = [], params: Params): string {
  const parts: string[] = [];
  for (const f of where) {
    const name = fieldLiteral(f.field);
    const field = `(doc -> ${name})`;
    if ("eq" in f) {
      const v = f.eq;
      if (v === null) {
        // Matches a JSON null and a missing field alike.
        parts.push(`coalesce(jsonb_typeof(${field}), 'null') = 'null'`);
      } else if (typeof v === "boolean") {
        parts.push(`${field} = to_jsonb(${params.add(v)}::boolean)`);
      } else {
        checkBound(v);
        const cast = typeof v === "string" ? "text" : "numeric";
        parts.push(`${field} = to_jsonb(${params.add(String(v))}::${cast})`);
      }
    } else if ("lte" in f || "gte" in f) {
      const [op, bound] = "lte" in f ? ["<=", f.lte] : [">=", f.gte];
      checkBound(bound);
      const b = params.add(String(bound));
      const [rank, number, text] = orderExpressions(f.field);
      // Written with the order expressions (rank 2 is a string, 1 a number), so the
      // range is an index condition of the expression indexes.
      parts.push(
        typeof bound === "string"
          ? `${rank} = 2 AND ${number} IS NULL AND ${text} ${op} ${b}::text`
          : `CASE WHEN jsonb_typeof(${field}) = 'number' ` +
            `THEN (doc ->> ${name})::numeric ${op} ${b}::numeric ELSE false END`,
      );
    } else if ("contains" in f) {
      if (typeof f.contains !== "string") throw new TypeError("contains takes a string");
      const needle = params.add(f.contains.toLowerCase());
      // lower() of ASCII only, as SQLite's: the same documents match on both engines.
      parts.push(
        `CASE WHEN jsonb_typeof(${field}) = 'string' THEN strpos(` +
          `translate(doc ->> ${name}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'), ` +
          `${needle}::text) > 0 ELSE false END`,
      );
    } else {
      throw new TypeError(`unsupported filter ${JSON.stringify(f)}`);
    }
  }
  return parts.map((p) => ` AND (${p})`).join("");
}

/** ORDER BY terms for a field, ordered as on the SQLite engine (see the module doc). */
function orderTerms(field: string, direction: "ASC" | "DESC"): string {
  return orderExpressions(field).map((t) => `${t} ${direction}`).join(", ");
}

/**
 * The read-model tables: the operations of
 * {@link import("../../../domain/ports/read_models.ts").ReadModelStore}.
 */
export class ReadModelTables {
  readonly #sql: Sql;
  readonly #clock: () => Date;

  /** The tables in the database of `sql`; `clock` stamps `updated_at`. */
  constructor(sql: Sql, clock: () => Date = () => new Date()) {
    this.#sql = sql;
    this.#clock = clock;
  }

  /** See `ReadModelStore.checkpoint`. */
  async checkpoint(projection: string): Promise<Checkpoint | null> {
    const [row] = await this.#sql.unsafe<{ position: string; version: number }[]>(
      SELECT_CHECKPOINT,
      [projection],
      PREPARED,
    );
    return row ? { position: Number(row.position), version: row.version } : null;
  }

  /** See `ReadModelStore.load`. */
  async load(projection: string, ids: readonly string[]): Promise<Map<string, unknown>> {
    const found = new Map<string, unknown>();
    if (ids.length === 0) return found;
    const rows = await this.#sql.unsafe<{ id: string; doc: string }[]>(SELECT_DOCS, [
      projection,
      [...ids],
    ], PREPARED);
    for (const row of rows) found.set(row.id, JSON.parse(row.doc));
    return found;
  }

  /** See `ReadModelStore.commit`. A `null` (or `undefined`) document deletes. */
  async commit(
    projection: string,
    from: Checkpoint | null,
    to: Checkpoint,
    changes: ReadonlyMap<string, unknown | null>,
  ): Promise<boolean> {
    checkCheckpoint(to);
    // Serialise before the transaction: a bad document must not leave it open.
    const deleted: string[] = [];
    const ids: string[] = [];
    const docs: string[] = [];
    const exact: (string | null)[] = [];
    for (const [id, doc] of changes) {
      if (doc == null) {
        deleted.push(id);
        continue;
      }
      const encoded = encodeDoc(doc);
      ids.push(id);
      docs.push(encoded.jsonb);
      exact.push(encoded.exact);
    }
    const now = this.#clock().toISOString();
    return await this.#sql.begin(async (tx) => {
      const moved = from === null
        ? await tx.unsafe(INSERT_CHECKPOINT, [projection, to.position, to.version, now], PREPARED)
        : await tx.unsafe(MOVE_CHECKPOINT, [
          to.position,
          to.version,
          now,
          projection,
          from.position,
          from.version,
        ], PREPARED);
      if (moved.count === 0) return false; // another process moved it: write nothing
      await Promise.all([
        deleted.length ? tx.unsafe(DELETE_DOCS_BY_ID, [projection, deleted], PREPARED) : null,
        ids.length ? tx.unsafe(UPSERT_DOCS, [projection, ids, docs, exact], PREPARED) : null,
      ]);
      return true;
    });
  }

  /** See `ReadModelStore.reset`. */
  async reset(projection: string): Promise<void> {
    await this.#sql.begin(async (tx) => {
      await tx.unsafe(DELETE_DOCS, [projection], PREPARED);
      await tx.unsafe(DELETE_CHECKPOINT, [projection], PREPARED);
    });
  }

  /** See `ReadModelStore.get`. */
  async get(projection: string, id: string): Promise<unknown | null> {
    const [row] = await this.#sql.unsafe<{ doc: string }[]>(SELECT_DOC, [projection, id], PREPARED);
    return row ? JSON.parse(row.doc) : null;
  }

  /** See `ReadModelStore.query`. */
  async query(projection: string, query: DocQuery = {}): Promise<unknown[]> {
    checkCount("limit", query.limit);
    checkCount("offset", query.offset);
    const params = new Params();
    const p = params.add(projection);
    const where = compileWhere(query.where, params);
    let order = "id ASC";
    if (query.orderBy) {
      const direction = query.orderBy.direction;
      if (direction !== "asc" && direction !== "desc") {
        throw new TypeError(`invalid order direction ${JSON.stringify(direction)}`);
      }
      order = `${orderTerms(query.orderBy.field, direction === "asc" ? "ASC" : "DESC")}, id ASC`;
    }
    const limit = params.add(query.limit ?? null);
    const offset = params.add(query.offset ?? 0);
    const sql = `SELECT ${DOC_JSON} FROM projection_docs WHERE projection = ${p}${where} ` +
      `ORDER BY ${order} LIMIT ${limit} OFFSET ${offset}`;
    const rows = await this.#sql.unsafe<{ doc: string }[]>(sql, params.values as never[], PREPARED);
    return rows.map((r) => JSON.parse(r.doc));
  }

  /** See `ReadModelStore.count`. */
  async count(
    projection: string,
    where?: FieldFilter[],
    options: CountOptions = {},
  ): Promise<number> {
    checkCount("max", options.max);
    const params = new Params();
    const p = params.add(projection);
    const compiled = compileWhere(where, params);
    const rows = `SELECT 1 FROM projection_docs WHERE projection = ${p}${compiled}`;
    const sql = options.max === undefined
      ? `SELECT count(*) AS n FROM (${rows}) AS matching`
      : `SELECT count(*) AS n FROM (${rows} LIMIT ${params.add(options.max)}) AS matching`;
    const [row] = await this.#sql.unsafe<{ n: string }[]>(sql, params.values as never[], PREPARED);
    return Number(row.n);
  }
}
