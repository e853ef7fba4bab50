/**
 * Structured access logs and request counts: one JSON line per request with
 * route, method, status, duration, request id, client and delivery id. Never
 * headers (secrets travel in them) and never bodies.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import type { Logger } from "../../../domain/ports/logger.ts";
import type { IntakeEnv } from "../context.ts";
import type { Metrics } from "../metrics.ts";

/** Logs and counts every request after it is answered; `routes` are the known paths. */
export function accessLog(
  logger: Logger,
  metrics: Metrics,
  routes: ReadonlySet<string>,
): MiddlewareHandler<IntakeEnv> {
  return async (c, next) => {
    const started = performance.now();
    await next();
    const status = c.res.status;
    const route = routes.has(c.req.path) ? c.req.path : "other";
    metrics.httpRequests.inc({ route, status: String(status) });
    const fields = {
      route,
      method: c.req.method,
      status,
      ms: Math.round((performance.now() - started) * 100) / 100,
      requestId: c.get("requestId"),
      client: c.get("client")?.text,
      deliveryId: c.get("deliveryId"),
    };
    if (status >= 500) logger.error("http request", fields);
    else logger.info("http request", fields);
  };
}
