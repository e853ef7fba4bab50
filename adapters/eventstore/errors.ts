/**
 * Errors of opening a store that both engines raise.
 *
 * @module
 */

/**
 * A command that only reads (audit, verify, export, transcript) or that works
 * on an existing log (rebuild) was pointed at a store that does not exist. It
 * never creates one: an empty new database would answer "no events" or
 * "verified" about the wrong place.
 */
export class StoreMissingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StoreMissingError";
  }
}

/** How a command opens the store. */
export type OpenMode =
  /** Create the database and apply migrations as needed (server, worker, demo). */
  | "create"
  /** The database must exist; it may be written (rebuild, cancel, retry). */
  | "existing"
  /** The database must exist; nothing is written, no DDL (audit and its flags). */
  | "read-only";
