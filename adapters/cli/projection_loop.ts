/**
 * Keeps the read models current in a long-running process: catches up at
 * start, then after every batch of new events (woken by the store's
 * subscription: at once for appends in this process, by polling or
 * LISTEN/NOTIFY for others).
 *
 * @module
 */
import type { Logger } from "../../domain/ports/logger.ts";
import { ALL_PROJECTIONS } from "../../projections/mod.ts";
import { Projector } from "../../projections/projector.ts";
import type { Store } from "../eventstore/open.ts";

/** Runs until `signal` aborts; returns the projector (for read-your-writes catch-ups). */
export function startProjectionLoop(store: Store, logger: Logger, signal: AbortSignal): Projector {
  const projector = new Projector(store, store, [...ALL_PROJECTIONS]);
  (async () => {
    let from = 0;
    try {
      from = await projector.catchUp();
    } catch (error) {
      logger.error("projection catch-up failed", { error });
    }
    while (!signal.aborted) {
      try {
        for await (
          const _batch of store.subscribe({ fromPosition: from, signal, batchSize: 5_000 })
        ) {
          from = await projector.catchUp();
        }
      } catch (error) {
        if (signal.aborted) break;
        logger.error("projection loop failed; restarting in 1 s", { error });
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  })();
  return projector;
}
