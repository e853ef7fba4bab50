/**
 * The advisory locks this engine takes, in PostgreSQL's two-key form
 * (`pg_advisory_xact_lock(namespace, key)`), whose key space never overlaps the
 * one-key form other software tends to use. Advisory locks are per database.
 *
 * @module
 */

/** The first key of every AI Runner advisory lock: `AIRN` in ASCII. */
export const LOCK_NAMESPACE = 0x4149524e;

/** Held (transaction-level) by every append: serialises the log's writers. */
export const APPEND_LOCK = 1;

/** Held (transaction-level) while migrations are checked and applied. */
export const MIGRATION_LOCK = 2;
