/**
 * `deno task rebuild`: drops every read model and folds the whole log again.
 *
 * @module
 */
import { Projector } from "../../projections/projector.ts";
import { ALL_PROJECTIONS } from "../../projections/mod.ts";
import type { Store } from "../eventstore/open.ts";
import { progressLine } from "./progress.ts";

/** Rebuilds all projections, printing progress to stderr; returns the position reached. */
export async function rebuildCommand(store: Store): Promise<number> {
  const started = performance.now();
  const progress = progressLine("rebuild");
  const projector = new Projector(store, store, [...ALL_PROJECTIONS], {
    batchSize: 5_000,
    onProgress: (position, head) => progress(position, head),
  });
  const position = await projector.rebuild();
  const seconds = (performance.now() - started) / 1000;
  progress.done(
    `rebuilt ${ALL_PROJECTIONS.map((p) => p.name).join(", ")} to position ${position} ` +
      `in ${seconds.toFixed(1)} s`,
  );
  return position;
}
