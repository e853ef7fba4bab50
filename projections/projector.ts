/**
 * The projector: feeds the log to projections and stores their documents with
 * the checkpoint in one transaction per batch. Safe to run in several processes
 * at once: a commit fenced on a checkpoint another process moved is dropped and
 * the batch is redone from the new checkpoint.
 *
 * @module
 */
import type { RecordedEvent } from "../domain/events.ts";
import type { EventStore } from "../domain/ports/event_store.ts";
import type { Checkpoint, ReadModelStore } from "../domain/ports/read_models.ts";
import type { AnyProjection } from "./projection.ts";

/** Options of {@link Projector}. */
export interface ProjectorOptions {
  /** Events read and committed per transaction. Default 2,000. */
  batchSize?: number;
  /** Called after each committed batch (progress of long rebuilds). */
  onProgress?: (position: number, head: number) => void;
}

interface Cursor {
  projection: AnyProjection;
  checkpoint: Checkpoint | null;
  /** Documents this projector has loaded or written (read-through cache). */
  cache: Map<string, unknown | null>;
}

const CACHE_LIMIT = 200_000;

/** Keeps a set of projections caught up with the log. */
export class Projector {
  readonly #store: EventStore;
  readonly #readModels: ReadModelStore;
  readonly #projections: AnyProjection[];
  readonly #batchSize: number;
  readonly #onProgress?: (position: number, head: number) => void;
  #cursors: Cursor[] | null = null;
  #running: Promise<number> | null = null;

  constructor(
    store: EventStore,
    readModels: ReadModelStore,
    projections: AnyProjection[],
    options: ProjectorOptions = {},
  ) {
    this.#store = store;
    this.#readModels = readModels;
    this.#projections = projections;
    this.#batchSize = options.batchSize ?? 2_000;
    this.#onProgress = options.onProgress;
  }

  /**
   * Folds every event not yet projected, for every projection, and returns the
   * position they all reached. Concurrent calls share one pass.
   */
  catchUp(): Promise<number> {
    if (!this.#running) {
      this.#running = this.#catchUp().finally(() => {
        this.#running = null;
      });
    }
    return this.#running;
  }

  /** Drops every document and checkpoint, then replays the whole log. */
  async rebuild(): Promise<number> {
    await this.#running?.catch(() => {});
    for (const p of this.#projections) await this.#readModels.reset(p.name);
    this.#cursors = null;
    return await this.catchUp();
  }

  async #loadCursors(): Promise<Cursor[]> {
    const cursors: Cursor[] = [];
    for (const projection of this.#projections) {
      let checkpoint = await this.#readModels.checkpoint(projection.name);
      if (checkpoint && checkpoint.version !== projection.version) {
        // The fold changed meaning: rebuild this projection from the start.
        await this.#readModels.reset(projection.name);
        checkpoint = null;
      }
      cursors.push({ projection, checkpoint, cache: new Map() });
    }
    return cursors;
  }

  async #catchUp(): Promise<number> {
    this.#cursors ??= await this.#loadCursors();
    const cursors = this.#cursors;
    const head = await this.#store.headPosition();
    for (;;) {
      const from = Math.min(...cursors.map((c) => c.checkpoint?.position ?? 0));
      if (from >= head) return from;
      const events = await this.#store.readAll(from, this.#batchSize);
      if (events.length === 0) return from;
      for (const cursor of cursors) {
        const pending = events.filter((e) => e.position > (cursor.checkpoint?.position ?? 0));
        if (pending.length > 0) await this.#apply(cursor, pending);
      }
      this.#onProgress?.(events[events.length - 1].position, head);
    }
  }

  async #apply(cursor: Cursor, events: RecordedEvent[]): Promise<void> {
    const { projection, cache } = cursor;
    const keyed = events.map((e) => ({ e, ids: projection.keys(e) }));
    const missing = [...new Set(keyed.flatMap((k) => k.ids))].filter((id) => !cache.has(id));
    if (missing.length > 0) {
      const loaded = await this.#readModels.load(projection.name, missing);
      for (const id of missing) cache.set(id, loaded.get(id) ?? null);
    }
    const changes = new Map<string, unknown | null>();
    for (const { e, ids } of keyed) {
      for (const id of ids) {
        const next = projection.evolve(cache.get(id) ?? null, e, id);
        cache.set(id, next);
        changes.set(id, next);
      }
    }
    const to: Checkpoint = {
      position: events[events.length - 1].position,
      version: projection.version,
    };
    const committed = await this.#readModels.commit(
      projection.name,
      cursor.checkpoint,
      to,
      changes,
    );
    if (committed) {
      cursor.checkpoint = to;
      if (cache.size > CACHE_LIMIT) cache.clear();
    } else {
      // Another process moved the checkpoint: forget what we assumed and reload.
      cache.clear();
      cursor.checkpoint = await this.#readModels.checkpoint(projection.name);
    }
  }
}
