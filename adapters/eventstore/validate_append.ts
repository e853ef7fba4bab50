/**
 * What every event store checks before it writes: the append's arguments, each
 * event against its schema, and what an expected version means. Engines import
 * this so the rules cannot drift apart.
 *
 * @module
 */
import {
  type EventMetadata,
  type EventRegistry,
  validateEventData,
  validateMetadata,
} from "../../domain/events.ts";
import type { ExpectedVersion, NewEvent } from "../../domain/ports/event_store.ts";

/** An event that passed its schema, ready to be written. */
export interface ValidEvent {
  /** The event type. */
  type: string;
  /** The type's current schema version (the data's shape). */
  schemaVersion: number;
  /** The validated data exactly as it will read back (parsed from `dataJson`). */
  data: unknown;
  /** The data as stored: exactly the JSON that was validated. */
  dataJson: string;
  /** The validated metadata (parsed from `metadataJson`). */
  metadata: EventMetadata;
  /** The metadata as stored. */
  metadataJson: string;
}

/**
 * Validates an append's arguments and every event's data and metadata.
 * Throws (`TypeError`, `EventSchemaError`) before anything is queued.
 */
export function validateAppend(
  stream: string,
  expected: ExpectedVersion,
  events: readonly NewEvent[],
  registry: EventRegistry,
): ValidEvent[] {
  if (typeof stream !== "string" || stream.length === 0 || stream.length > 500) {
    throw new TypeError("stream must be a non-empty string of at most 500 characters");
  }
  if (
    typeof expected === "number"
      ? !Number.isSafeInteger(expected) || expected < 0
      : !["no_stream", "stream_exists", "any"].includes(expected)
  ) {
    throw new TypeError(`invalid expected version ${JSON.stringify(expected)}`);
  }
  if (!Array.isArray(events)) throw new TypeError("events must be an array");
  return events.map((e) => {
    const dataJson = JSON.stringify(validateEventData(e.type, e.data, registry));
    const metadataJson = JSON.stringify(validateMetadata(e.type, e.metadata));
    // The hash and the returned event are built from the JSON as stored, so the
    // caller sees exactly what a later read returns (no undefined keys, no toJSON).
    return {
      type: e.type,
      schemaVersion: registry.currentVersion[e.type],
      data: JSON.parse(dataJson),
      dataJson,
      metadata: JSON.parse(metadataJson),
      metadataJson,
    };
  });
}

/** True when a stream at `actual` satisfies `expected`. */
export function expectationHolds(expected: ExpectedVersion, actual: number): boolean {
  switch (expected) {
    case "any":
      return true;
    case "no_stream":
      return actual === 0;
    case "stream_exists":
      return actual > 0;
    default:
      return actual === expected;
  }
}
