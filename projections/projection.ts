/**
 * What a projection is: a pure fold of log events into JSON documents keyed by
 * id. The projector (`projector.ts`) feeds it events and stores the documents
 * with its checkpoint in one transaction.
 *
 * @module
 */
import type { RecordedEvent } from "../domain/events.ts";

/** A read model folded from events. */
export interface Projection<Doc> {
  /** Unique name; also the document collection's name. */
  readonly name: string;
  /** Bump when `evolve` changes meaning: a different stored version triggers a rebuild. */
  readonly version: number;
  /** Ids of the documents an event touches (none: the event is irrelevant). */
  keys(event: RecordedEvent): string[];
  /** The document after the event; null deletes it. */
  evolve(doc: Doc | null, event: RecordedEvent, id: string): Doc | null;
}

/** Any projection, whatever its document type. */
// deno-lint-ignore no-explicit-any
export type AnyProjection = Projection<any>;
