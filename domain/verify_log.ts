/**
 * The audit of the whole log through the {@link EventStore} port: the hash
 * chain link by link (edits, deletions, reordering, re-hashed rows), the tail
 * against the store's head, and every event against its schema.
 *
 * @module
 */
import { upcastAndValidate, validateMetadata } from "./events.ts";
import { type ChainBreak, GENESIS_HASH, verifyChainSlice } from "./hash_chain.ts";
import type { EventStore } from "./ports/event_store.ts";

/** Options of {@link verifyLog}. */
export interface VerifyLogOptions {
  /** Events read per page. Default 2000. */
  pageSize?: number;
  /** Called after each page with the events checked so far and the head. */
  onProgress?(checked: number, head: number): void;
}

/** The first stored event that does not match its schema. */
export interface SchemaErrorReport {
  /** Position of the first failing event. */
  position: number;
  message: string;
  /** How many events failed their schema in the part of the log checked. */
  count: number;
}

/** The outcome of {@link verifyLog}. */
export interface VerifyLogResult {
  /** Events whose link in the chain was verified. */
  checked: number;
  /** The store's head position when the audit started. */
  head: number;
  /** The first break of the chain (or a missing tail), or null when every link holds. */
  broken: ChainBreak | null;
  /** Events that fail their schema (data or metadata), or null when all pass. */
  schemaErrors: SchemaErrorReport | null;
}

/**
 * Reads the log from the start, page by page, exactly as stored, and checks
 * it. Stops at the first chain break (later links cannot be trusted).
 */
export async function verifyLog(
  store: EventStore,
  options: VerifyLogOptions = {},
): Promise<VerifyLogResult> {
  const pageSize = options.pageSize ?? 2000;
  if (!Number.isInteger(pageSize) || pageSize < 1) {
    throw new TypeError(`pageSize must be a positive integer, got ${pageSize}`);
  }
  const head = await store.headPosition();
  let previous = { hash: GENESIS_HASH, position: 0 };
  let checked = 0;
  let schemaErrors: SchemaErrorReport | null = null;

  for (;;) {
    const page = await store.readAllRaw(previous.position, pageSize);
    if (page.length === 0) break;
    const slice = verifyChainSlice(previous, page);
    // The events before the break (all of them when the page holds).
    const verified = slice.broken ? page.filter((e) => e.position <= slice.last.position) : page;
    for (const e of verified) {
      const problem = schemaProblem(e.type, e.schemaVersion, e.data, e.metadata);
      if (problem === null) continue;
      if (schemaErrors) schemaErrors.count++;
      else schemaErrors = { position: e.position, message: problem, count: 1 };
    }
    checked += verified.length;
    previous = slice.last;
    options.onProgress?.(checked, head);
    if (slice.broken) return { checked, head, broken: slice.broken, schemaErrors };
  }

  // Events appended during the audit may take the log past `head`; fewer may not.
  const broken: ChainBreak | null = previous.position < head
    ? {
      position: previous.position + 1,
      reason: `the log ends at position ${previous.position} but the store's head is ${head} ` +
        "(missing tail)",
    }
    : null;
  return { checked, head, broken, schemaErrors };
}

function schemaProblem(
  type: string,
  schemaVersion: number,
  data: unknown,
  metadata: unknown,
): string | null {
  try {
    upcastAndValidate(type, schemaVersion, data);
    validateMetadata(type, metadata);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
