/**
 * The HTTP intake: a Hono app with the two webhook endpoints and the
 * operations routes, each webhook behind small defences in this order:
 * allow-list (403), rate limit (429), secret (401, Jira: a header, checked before
 * anything else of the request is looked at), JSON content type (415), deadline
 * and body limit (408, 413), signature (401, GitHub: over the raw body), then the
 * handler (400 for bad input). Every refusal is JSON `{error, detail}` and appends nothing;
 * a 5xx is only ever a fault of the server.
 *
 * @module
 */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { EventStore } from "../../domain/ports/event_store.ts";
import type { Logger } from "../../domain/ports/logger.ts";
import type { ReadModelStore } from "../../domain/ports/read_models.ts";
import type { IntakeEnv } from "./context.ts";
import { type AdminActions, adminRoutes } from "./admin.ts";
import { type DashboardOptions, dashboardRoutes } from "./dashboard/mod.ts";
import { errorResponse, HttpError } from "./errors.ts";
import { githubSignature, githubWebhook } from "./github/route.ts";
import { VERSION } from "../config/version.ts";
import { healthz, metricsRoute, readyz } from "./health.ts";
import { cachedGroupLookup } from "./jira/requester_groups.ts";
import { jiraSecret, jiraSignature, jiraWebhook } from "./jira/route.ts";
import type { Metrics } from "./metrics.ts";
import { accessLog } from "./middleware/access_log.ts";
import { allowList } from "./middleware/allow_list.ts";
import { bodyLimit } from "./middleware/body_limit.ts";
import { clientAddress } from "./middleware/client_address.ts";
import { jsonOnly } from "./middleware/json_only.ts";
import { rateLimit } from "./middleware/rate_limit.ts";
import { requestId } from "./middleware/request_id.ts";
import { requestTimeout } from "./middleware/request_timeout.ts";
import { TokenBuckets } from "./net/token_bucket.ts";
import { type IntakeOptions, resolveIntakeOptions } from "./options.ts";
import { TimedEventStore } from "./timed_store.ts";

/** What the intake app is built from. */
export interface AppDeps {
  store: EventStore & ReadModelStore;
  logger: Logger;
  options: IntakeOptions;
  metrics: Metrics;
  /** Clock for `requestedAt` and rate limiting; default the system clock. */
  now?: () => Date;
  /** Id of a newly queued run; default a random UUID. */
  newRunId?: () => string;
  /** The dashboard's links and stored logs; its token is `options.dashboardToken`. */
  dashboard?: DashboardOptions;
  /** Admin actions (cancel), behind `options.dashboardToken`; absent: 503. */
  admin?: AdminActions;
  /** A requester's Jira groups (the Jira port), for `options.requesters.groups`. */
  requesterGroups?: (accountId: string) => Promise<string[]>;
}

/** The paths the app serves (everything else is counted as `other`). */
export const ROUTES: ReadonlySet<string> = new Set([
  "/jira/webhook",
  "/github/webhook",
  "/healthz",
  "/readyz",
  "/metrics",
]);

/** Builds the intake app. Throws when the options are invalid (bad CIDR, bad limits). */
export function createApp(deps: AppDeps): Hono<IntakeEnv> {
  const options = resolveIntakeOptions(deps.options);
  const now = deps.now ?? (() => new Date());
  const newRunId = deps.newRunId ?? (() => crypto.randomUUID());
  const { logger, metrics } = deps;
  const store = new TimedEventStore(deps.store, metrics);
  if (!options.jiraWebhookSecret) logger.warn("no Jira webhook secret: /jira/webhook refuses all");
  if (!options.githubWebhookSecret) {
    logger.warn("no GitHub webhook secret: /github/webhook refuses all");
  }
  if (options.githubRepos === null) {
    logger.warn("no routed repositories given: GitHub facts are checked by the decider only");
  }
  const buckets = new TokenBuckets(options.rateLimit.perSecond, options.rateLimit.burst);
  const limit = rateLimit(buckets, () => now().getTime());
  const body = [requestTimeout(options.requestTimeoutMs), bodyLimit(options.bodyLimitBytes)];

  const app = new Hono<IntakeEnv>();
  app.use(
    "*",
    requestId(),
    clientAddress(options.trustedProxies),
    accessLog(logger, metrics, ROUTES),
  );

  app.post(
    "/jira/webhook",
    allowList(options.allowList.jira),
    limit,
    jiraSecret(options.jiraWebhookSecret),
    jsonOnly(() => 'send the body as JSON with "Content-Type: application/json"'),
    ...body,
    jiraSignature(options.jiraWebhookSecret),
    jiraWebhook({
      store,
      aiAccountId: options.aiAccountId,
      now,
      newRunId,
      logger,
      requesters: options.requesters && {
        requesterAccountIds: new Set(options.requesters.accountIds),
        requesterGroups: new Set(options.requesters.groups ?? []),
        reviewerAccountId: options.requesters.reviewerAccountId,
      },
      groupsOf: deps.requesterGroups &&
        cachedGroupLookup(deps.requesterGroups, { now: () => now().getTime() }),
    }),
  );
  app.post(
    "/github/webhook",
    allowList(options.allowList.github),
    limit,
    jsonOnly((type) =>
      type?.toLowerCase().startsWith("application/x-www-form-urlencoded")
        ? 'this webhook is set to send form data: in the GitHub webhook settings choose "Content type: application/json"'
        : 'choose "Content type: application/json" in the GitHub webhook settings'
    ),
    ...body,
    githubSignature(options.githubWebhookSecret),
    githubWebhook(store, now, newRunId, { repos: options.githubRepos, logger }),
  );
  app.get("/healthz", healthz(VERSION));
  app.get("/readyz", readyz(deps.store, logger, Math.min(options.requestTimeoutMs, 5000)));
  app.get("/metrics", metricsRoute(deps.store, metrics, now));
  app.route("/", adminRoutes(options.dashboardToken ?? undefined, deps.admin));
  app.route(
    "/",
    dashboardRoutes({
      ...deps.dashboard,
      store: deps.store,
      token: options.dashboardToken,
      logger,
      now,
    }),
  );

  for (const path of ["/jira/webhook", "/github/webhook"]) {
    app.all(
      path,
      (c) => errorResponse(c, 405, "method_not_allowed", "use POST", { Allow: "POST" }),
    );
  }
  for (const path of ["/healthz", "/readyz", "/metrics"]) {
    app.all(
      path,
      (c) => errorResponse(c, 405, "method_not_allowed", "use GET", { Allow: "GET, HEAD" }),
    );
  }
  app.notFound((c) =>
    errorResponse(c, 404, "not_found", `no route ${c.req.method} ${c.req.path.slice(0, 100)}`)
  );
  app.onError((err, c) => {
    if (err instanceof HttpError) {
      return errorResponse(c, err.status, err.code, err.detail, err.headers);
    }
    if (err instanceof HTTPException && err.status < 500) {
      return errorResponse(c, err.status, "bad_request", err.message || "the request was refused");
    }
    const requestId = c.get("requestId");
    if (storeUnavailable(err)) {
      // A server-side outage (database restarting, locked, closed): say so and when to
      // retry. Retrying is safe: deliveries are idempotent.
      logger.error("the event store is unavailable", { requestId, route: c.req.path, error: err });
      return errorResponse(
        c,
        503,
        "store_unavailable",
        "the event store is unavailable right now; retry (a retried delivery is recorded once)",
        { "Retry-After": "5" },
      );
    }
    logger.error("unexpected error while handling a request", {
      requestId,
      route: c.req.path,
      error: err,
      stack: err instanceof Error ? err.stack : undefined,
    });
    return errorResponse(
      c,
      500,
      "internal_error",
      `the server failed to handle the request; see the server log for request ${requestId}`,
    );
  });
  return app;
}

/** True for errors that mean the store cannot be reached now (not a bug, not the client). */
function storeUnavailable(err: unknown): boolean {
  const e = err as { name?: unknown; code?: unknown; message?: unknown };
  if (e?.name === "StoreClosedError") return true;
  const code = typeof e?.code === "string" ? e.code : "";
  if (/^(ECONN|EPIPE|ETIMEDOUT|CONNECTION_|57P0|08)/.test(code)) return true;
  const message = typeof e?.message === "string" ? e.message : "";
  return /database is locked|SQLITE_BUSY|connection (refused|closed|terminated|ended)|terminating connection/i
    .test(message);
}
