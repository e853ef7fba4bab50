/**
 * The read-model port: JSON documents per projection, keyed by id, with the
 * projection's checkpoint (the last log position folded in). Documents and the
 * checkpoint move together in one transaction, fenced on the old checkpoint, so
 * two processes projecting at once can never both advance it.
 *
 * Adapters live beside the event store of the same engine (same database).
 *
 * @module
 */

/** Where a projection stands. */
export interface Checkpoint {
  /** Last log position folded into the documents (0 = nothing yet). */
  position: number;
  /** The projection's code version that built the documents. */
  version: number;
}

/**
 * A filter on top-level document fields: equality, a bound on a string/number,
 * or (`contains`) a string field holding the text, ignoring ASCII case.
 */
export type FieldFilter =
  | { field: string; eq: string | number | boolean | null }
  | { field: string; lte: string | number }
  | { field: string; gte: string | number }
  | { field: string; contains: string };

/** A query over one projection's documents. */
export interface DocQuery {
  where?: FieldFilter[];
  /** Order by a top-level field; ties broken by id. Default: id ascending. */
  orderBy?: { field: string; direction: "asc" | "desc" };
  limit?: number;
  offset?: number;
}

/** Options of `ReadModelStore.count`. */
export interface CountOptions {
  /** Stop counting at this many (a positive integer). */
  max?: number;
}

/** Storage of projection documents and checkpoints. */
export interface ReadModelStore {
  /** The checkpoint of a projection, or null if it has never run. */
  checkpoint(projection: string): Promise<Checkpoint | null>;

  /** Documents by id (missing ids are absent from the map). */
  load(projection: string, ids: readonly string[]): Promise<Map<string, unknown>>;

  /**
   * Writes documents (null deletes) and moves the checkpoint from `from` to `to`
   * atomically. Returns false, writing nothing, when the stored checkpoint is no
   * longer `from` (another process moved it).
   */
  commit(
    projection: string,
    from: Checkpoint | null,
    to: Checkpoint,
    changes: ReadonlyMap<string, unknown | null>,
  ): Promise<boolean>;

  /** Deletes every document and the checkpoint of a projection. */
  reset(projection: string): Promise<void>;

  /** One document. */
  get(projection: string, id: string): Promise<unknown | null>;

  /** Documents matching a query. */
  query(projection: string, query?: DocQuery): Promise<unknown[]>;

  /**
   * How many documents match the filters; with `max`, counting stops there (a
   * bounded cost on large collections: the answer is then at most `max`).
   */
  count(projection: string, where?: FieldFilter[], options?: CountOptions): Promise<number>;
}
