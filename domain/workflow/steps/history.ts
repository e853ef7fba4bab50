/**
 * What a run reads of the earlier runs.
 *
 * @module
 */
import type { RecordedEvent } from "../../events.ts";
import type { PreviousIteration } from "../prompt.ts";

/** The earlier runs' changes (at most the last ten), oldest first. */
export function previousIterations(
  events: readonly RecordedEvent[],
  runId: string,
): PreviousIteration[] {
  const out: PreviousIteration[] = [];
  for (const e of events) {
    if (e.type === "ChangesGenerated" && e.data.runId !== runId) {
      out.push({ runId: e.data.runId, summary: e.data.summary, filesChanged: e.data.filesChanged });
    }
  }
  return out.slice(-10);
}
