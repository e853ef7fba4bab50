/**
 * The HTTP intake: webhook endpoints, operations routes and the server.
 *
 * @module
 */
export { type AppDeps, createApp, ROUTES } from "./app.ts";
export {
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_RATE_LIMIT,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type IntakeOptions,
  type RateLimitOptions,
  resolveIntakeOptions,
} from "./options.ts";
export { type RunningServer, startServer, type StartServerOptions } from "./server.ts";
export { createMetrics, type Metrics, MetricsRegistry } from "./metrics.ts";
