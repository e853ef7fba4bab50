/**
 * Operations routes: `GET /healthz` (the process answers), `GET /readyz` (the
 * store is reachable) and `GET /metrics` (Prometheus text).
 *
 * @module
 */
import type { Handler } from "hono";
import type { EventStore } from "../../domain/ports/event_store.ts";
import type { ReadModelStore } from "../../domain/ports/read_models.ts";
import type { Logger } from "../../domain/ports/logger.ts";
import type { IntakeEnv } from "./context.ts";
import { errorResponse } from "./errors.ts";
import { type Metrics, RUN_STATUSES } from "./metrics.ts";

/** `GET /healthz`: 200 while the process serves requests, with this build's version. */
export function healthz(version: string): Handler<IntakeEnv> {
  return (c) => c.json({ status: "ok", version }, 200);
}

async function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** `GET /readyz`: 200 when `store.ping()` succeeds in time, else 503 `not_ready`. */
export function readyz(store: EventStore, logger: Logger, timeoutMs: number): Handler<IntakeEnv> {
  return async (c) => {
    try {
      await within(timeoutMs, store.ping());
      return c.json({ status: "ready" }, 200);
    } catch (e) {
      logger.warn("readiness check failed", { requestId: c.get("requestId"), error: e });
      return errorResponse(c, 503, "not_ready", "the event store is not reachable");
    }
  };
}

async function countOrZero(work: () => Promise<number>): Promise<number> {
  try {
    return await work();
  } catch {
    return 0; // the read model is not there yet (projections not run): report nothing queued
  }
}

/** Refreshes the gauges that come from read models. */
export async function refreshReadModelGauges(
  store: ReadModelStore,
  metrics: Metrics,
  now: Date = new Date(),
): Promise<void> {
  const counts = await Promise.all(
    RUN_STATUSES.map((status) =>
      countOrZero(() => store.count("runs", [{ field: "status", eq: status }]))
    ),
  );
  RUN_STATUSES.forEach((status, i) => metrics.runsByStatus.set({ status }, counts[i]));
  metrics.queueDepth.set({}, counts[RUN_STATUSES.indexOf("queued")]);
  metrics.queueIssues.set({}, await countOrZero(() => store.count("queue")));
  metrics.needingAttention.set(
    {},
    await countOrZero(() => store.count("runs", [{ field: "needsAttention", eq: true }])),
  );
  const [oldest, claimed] = await Promise.all([
    store.query("runs", {
      where: [{ field: "status", eq: "queued" }],
      orderBy: { field: "requestedAt", direction: "asc" },
      limit: 1,
    }).catch(() => []) as Promise<{ requestedAt: string }[]>,
    store.query("runs", { where: [{ field: "status", eq: "claimed" }], limit: 10_000 })
      .catch(() => []) as Promise<{ workerId: string | null; leaseExpiresAt: string | null }[]>,
  ]);
  const age = oldest[0] ? (now.getTime() - Date.parse(oldest[0].requestedAt)) / 1000 : 0;
  metrics.oldestQueuedAge.set({}, Number.isFinite(age) ? Math.max(0, age) : 0);
  const live = claimed.filter((r) =>
    r.leaseExpiresAt !== null && Date.parse(r.leaseExpiresAt) > now.getTime()
  );
  metrics.leaseExpired.set({}, claimed.length - live.length);
  metrics.workersActive.set({}, new Set(live.map((r) => r.workerId)).size);
}

/** `GET /metrics`: the Prometheus text exposition. */
export function metricsRoute(
  store: ReadModelStore,
  metrics: Metrics,
  now: () => Date = () => new Date(),
): Handler<IntakeEnv> {
  return async (c) => {
    await refreshReadModelGauges(store, metrics, now());
    return c.body(metrics.registry.expose(), 200, {
      "Content-Type": "text/plain; version=0.0.4; charset=utf-8",
    });
  };
}
