/**
 * Checks stored read models against a fresh in-memory replay of the log up to
 * each projection's checkpoint: the audit's proof that the dashboard shows what
 * the events say.
 *
 * @module
 */
import { canonicalJson } from "../domain/hash_chain.ts";
import type { EventStore } from "../domain/ports/event_store.ts";
import type { ReadModelStore } from "../domain/ports/read_models.ts";
import type { AnyProjection } from "./projection.ts";

/** A read-model document that differs from the replay. */
export interface ReadModelMismatch {
  projection: string;
  id: string;
  stored: unknown;
  replayed: unknown;
}

/** The outcome of {@link checkReadModels}. */
export interface ReadModelCheck {
  projection: string;
  checkpoint: number;
  documents: number;
  mismatches: ReadModelMismatch[];
}

/** Replays the log in memory and compares every document of every projection. */
export async function checkReadModels(
  store: EventStore,
  readModels: ReadModelStore,
  projections: readonly AnyProjection[],
  pageSize = 5_000,
): Promise<ReadModelCheck[]> {
  const results: ReadModelCheck[] = [];
  for (const projection of projections) {
    const checkpoint = (await readModels.checkpoint(projection.name))?.position ?? 0;
    const replayed = new Map<string, unknown>();
    let position = 0;
    while (position < checkpoint) {
      const events = await store.readAll(position, Math.min(pageSize, checkpoint - position));
      if (events.length === 0) break;
      for (const e of events) {
        for (const id of projection.keys(e)) {
          const next = projection.evolve(replayed.get(id) ?? null, e, id);
          if (next === null) replayed.delete(id);
          else replayed.set(id, next);
        }
      }
      position = events[events.length - 1].position;
    }
    const mismatches: ReadModelMismatch[] = [];
    const stored = new Map<string, unknown>();
    const ids = [...replayed.keys()];
    for (let i = 0; i < ids.length; i += 500) {
      const page = await readModels.load(projection.name, ids.slice(i, i + 500));
      for (const [id, doc] of page) stored.set(id, doc);
    }
    for (const [id, doc] of replayed) {
      const have = stored.get(id) ?? null;
      if (canonicalJson(have) !== canonicalJson(doc)) {
        mismatches.push({ projection: projection.name, id, stored: have, replayed: doc });
      }
    }
    const count = await readModels.count(projection.name);
    if (count !== replayed.size) {
      mismatches.push({
        projection: projection.name,
        id: "(document count)",
        stored: count,
        replayed: replayed.size,
      });
    }
    results.push({ projection: projection.name, checkpoint, documents: count, mismatches });
  }
  return results;
}
