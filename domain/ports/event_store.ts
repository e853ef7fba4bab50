/**
 * The event store port: append-only streams with optimistic concurrency over one
 * global, hash-chained log. Adapters: `adapters/eventstore/sqlite` (default) and
 * `adapters/eventstore/postgres` (scale-out). Both pass `tests/contract/`.
 *
 * @module
 */
import type { DomainEvent, EventMetadata, RecordedEvent } from "../events.ts";

/**
 * What the caller believes about the stream before appending:
 * - a number: the stream's current version (0 for a stream with no events);
 * - `"no_stream"`: the stream must not exist yet;
 * - `"stream_exists"`: the stream must have at least one event;
 * - `"any"`: no check.
 */
export type ExpectedVersion = number | "no_stream" | "stream_exists" | "any";

/** An event to append: a domain event plus its metadata. */
export type NewEvent = DomainEvent & { metadata: EventMetadata };

/** The expected outcome of a version check that failed: a result, not an exception. */
export interface VersionConflict {
  kind: "version_conflict";
  stream: string;
  expected: ExpectedVersion;
  /** The stream's version when the append was attempted. */
  actual: number;
}

/** The outcome of one append. */
export type AppendResult =
  | {
    ok: true;
    /** The stream's version after the append. */
    nextVersion: number;
    /** Global position of the last appended event (of the stream's head if none). */
    lastPosition: number;
    /** The events as stored. */
    events: RecordedEvent[];
  }
  | { ok: false; conflict: VersionConflict };

/** A stored event exactly as written: no upcasting, no validation (for audits). */
export interface RawEvent {
  position: number;
  stream: string;
  version: number;
  type: string;
  schemaVersion: number;
  data: unknown;
  metadata: unknown;
  recordedAt: string;
  hash: string;
}

/** Options of {@link EventStore.subscribe}. */
export interface SubscribeOptions {
  /** Deliver events after this position (0 = from the start). */
  fromPosition: number;
  /** Largest batch handed over at once. Default 500. */
  batchSize?: number;
  /** How often to look for events appended by other processes. Default 250 ms. */
  pollIntervalMs?: number;
  /** Stops the subscription. */
  signal?: AbortSignal;
}

/** The store every state change goes through. */
export interface EventStore {
  /** Which engine this is, for logs and metrics: `sqlite` or `postgres`. */
  readonly engine: string;

  /**
   * Appends events to a stream atomically, if the stream is at `expected`.
   * Throws {@link import("../events.ts").EventSchemaError} for an event that does
   * not match its schema (and writes nothing).
   */
  append(stream: string, expected: ExpectedVersion, events: NewEvent[]): Promise<AppendResult>;

  /** A stream's events from `fromVersion` (1-based, inclusive), upcast and validated. */
  readStream(stream: string, fromVersion?: number): Promise<RecordedEvent[]>;

  /** Up to `limit` events after `afterPosition`, in position order, upcast and validated. */
  readAll(afterPosition: number, limit: number): Promise<RecordedEvent[]>;

  /** Like {@link readAll} but exactly as stored, for verifying the hash chain. */
  readAllRaw(afterPosition: number, limit: number): Promise<RawEvent[]>;

  /** The position of the last event in the log (0 when empty). */
  headPosition(): Promise<number>;

  /**
   * Batches of events after `fromPosition`, in order, forever (until aborted).
   * Appends in this process wake it at once; other processes' appends are found
   * by polling (and by LISTEN/NOTIFY on PostgreSQL).
   */
  subscribe(options: SubscribeOptions): AsyncIterable<RecordedEvent[]>;

  /** Resolves when the store is reachable and its schema is current. */
  ping(): Promise<void>;

  close(): Promise<void>;
}

/** Content-addressed storage for large payloads, referenced from events. */
export interface ArtifactStore {
  /** Stores the bytes (once per content) and returns their sha256 (hex). */
  putArtifact(content: Uint8Array, mediaType: string): Promise<{ sha256: string; size: number }>;
  /** The bytes stored under a sha256, or null. */
  getArtifact(sha256: string): Promise<{ content: Uint8Array; mediaType: string } | null>;
}
