/**
 * Run metrics folded from the event log as it grows: run duration by outcome,
 * queue wait, failures by step and kind, retries, tokens and estimated cost,
 * and when each worker was last seen. The server feeds it every new event (its
 * subscription starts at the log's head, so counters count from the process's
 * start, as Prometheus counters do); several servers each count the same log.
 *
 * The gauges that describe the present (queue depth, oldest queued run, stuck
 * leases, active workers, runs needing attention) are read from the read
 * models at scrape time instead (`refreshReadModelGauges`).
 *
 * @module
 */
import type { RecordedEvent } from "../../domain/events.ts";
import type { EventStore } from "../../domain/ports/event_store.ts";
import type { Logger } from "../../domain/ports/logger.ts";
import { estimateCost } from "../../projections/cost.ts";
import type { Metrics } from "./metrics.ts";

/** Most workers tracked by `worker_last_seen_timestamp_seconds` (bounds the series). */
const MAX_WORKERS = 500;
/** Most runs remembered between their request and their end (bounds memory). */
const MAX_OPEN_RUNS = 50_000;

/** Folds events into run metrics. */
export class RunEventMetrics {
  readonly #metrics: Metrics;
  /** Per open run: when it was requested and first claimed (ms since epoch). */
  readonly #runs = new Map<string, { requestedAt: number; claimedAt: number | null }>();
  readonly #workers = new Set<string>();

  constructor(metrics: Metrics) {
    this.#metrics = metrics;
  }

  /** Folds a batch of events (in log order). */
  observe(events: readonly RecordedEvent[]): void {
    for (const e of events) this.#one(e);
  }

  #one(e: RecordedEvent): void {
    const m = this.#metrics;
    const at = Date.parse(e.recordedAt);
    const actor = e.metadata.actor;
    if (actor.startsWith("worker:")) {
      const worker = actor.slice("worker:".length).slice(0, 200);
      if (this.#workers.has(worker) || this.#workers.size < MAX_WORKERS) {
        this.#workers.add(worker);
        m.workerLastSeen.set({ worker }, Math.floor(at / 1000));
      }
    }
    switch (e.type) {
      case "RunRequested":
        if (this.#runs.size >= MAX_OPEN_RUNS) {
          this.#runs.delete(this.#runs.keys().next().value as string);
        }
        this.#runs.set(e.data.runId, { requestedAt: at, claimedAt: null });
        break;
      case "RunClaimed": {
        const run = this.#runs.get(e.data.runId);
        if (run && run.claimedAt === null) {
          run.claimedAt = at;
          m.queueWait.observe(Math.max(0, at - run.requestedAt) / 1000);
        }
        break;
      }
      case "RunRetryScheduled":
        m.retriesScheduled.inc({ step: e.data.step });
        break;
      case "ChangesGenerated": {
        const model = e.data.model.slice(0, 100);
        m.llmTokens.inc({ direction: "input", model }, e.data.usage.inputTokens);
        m.llmTokens.inc({ direction: "output", model }, e.data.usage.outputTokens);
        const cost = estimateCost(e.data.model, e.data.usage);
        if (cost) m.llmCost.inc({ model }, cost.usd);
        break;
      }
      case "RunSucceeded":
        this.#end(e.data.runId, e.data.outcome, at);
        break;
      case "RunFailed":
        m.runFailures.inc({ step: e.data.step.slice(0, 50), kind: e.data.kind });
        this.#end(e.data.runId, "failed", at);
        break;
      case "RunCancelled":
        this.#end(e.data.runId, "cancelled", at);
        break;
    }
  }

  #end(runId: string, outcome: string, at: number): void {
    const run = this.#runs.get(runId);
    this.#runs.delete(runId);
    this.#metrics.runsFinished.inc({ outcome });
    if (run?.claimedAt != null) {
      this.#metrics.runDuration.observe({ outcome }, Math.max(0, at - run.claimedAt) / 1000);
    }
  }
}

/**
 * Feeds every event appended from now on into `metrics` until `signal`
 * aborts. Returns at once; failures are logged and the feed restarts.
 */
export function startRunMetrics(
  store: EventStore,
  metrics: Metrics,
  logger: Logger,
  signal: AbortSignal,
): RunEventMetrics {
  const fold = new RunEventMetrics(metrics);
  (async () => {
    let from = await store.headPosition().catch(() => 0);
    while (!signal.aborted) {
      try {
        for await (const batch of store.subscribe({ fromPosition: from, signal })) {
          fold.observe(batch);
          if (batch.length) from = batch[batch.length - 1].position;
        }
      } catch (error) {
        if (signal.aborted) break;
        logger.error("run metrics feed failed; restarting in 1 s", { error });
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  })();
  return fold;
}
