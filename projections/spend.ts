/**
 * The `spend` read model: what each run spent on the LLM, by repository and
 * UTC day, for the daily cap per repository (`dailyBudgetUsd`) and the
 * dashboard. One document per run: its repository (from `WorkspacePrepared`)
 * and, per UTC day, the cost of its `ChangesGenerated` events (the recorded
 * `costUsd`, else an estimate at the built-in list prices).
 *
 * @module
 */
import type { RecordedEvent } from "../domain/events.ts";
import type { ReadModelStore } from "../domain/ports/read_models.ts";
import { estimateCost, utcDay } from "../domain/pricing.ts";
import type { Projection } from "./projection.ts";

/** One run's spend. */
export interface SpendDoc {
  runId: string;
  issueKey: string;
  repoId: string | null;
  /** UTC day (`YYYY-MM-DD`) of the run's latest spend. */
  day: string | null;
  /** US dollars by UTC day. */
  byDay: Record<string, number>;
  /** All of the run's spend. */
  costUsd: number;
}

/** The spend projection. */
export const spendProjection: Projection<SpendDoc> = {
  name: "spend",
  version: 1,
  keys(e) {
    if (e.type !== "WorkspacePrepared" && e.type !== "ChangesGenerated") return [];
    const runId = (e.data as { runId?: unknown }).runId;
    return typeof runId === "string" ? [runId] : [];
  },
  evolve(doc, e: RecordedEvent, id) {
    const base: SpendDoc = doc ?? {
      runId: id,
      issueKey: e.stream.replace(/^issue-/, ""),
      repoId: null,
      day: null,
      byDay: {},
      costUsd: 0,
    };
    if (e.type === "WorkspacePrepared") return { ...base, repoId: e.data.repoId };
    if (e.type !== "ChangesGenerated") return base;
    const usd = e.data.costUsd ?? estimateCost(e.data.model, e.data.usage)?.usd ?? 0;
    const day = utcDay(e.recordedAt);
    return {
      ...base,
      day,
      byDay: { ...base.byDay, [day]: (base.byDay[day] ?? 0) + usd },
      costUsd: base.costUsd + usd,
    };
  },
};

/**
 * What a repository's runs spent on the given UTC day (`YYYY-MM-DD`), from the
 * `spend` read model: the input of `dailyBudgetDecision`.
 */
export async function repoSpendOnDay(
  store: ReadModelStore,
  repoId: string,
  day: string,
): Promise<number> {
  const docs = await store.query(spendProjection.name, {
    // Exact for today: a run that spent today has today as its latest day. (For a
    // past day, a run that went on spending after midnight is counted on its last day.)
    where: [{ field: "repoId", eq: repoId }, { field: "day", eq: day }],
  }) as SpendDoc[];
  return docs.reduce((sum, d) => sum + (d.byDay[day] ?? 0), 0);
}
