/**
 * `deno task server`: the webhook server on HOST:PORT, with the read models
 * kept current for `/metrics` (and the dashboard).
 *
 * @module
 */
import type { RunnerConfig } from "../config/env.ts";
import type { Store } from "../eventstore/open.ts";
import { createApp, createMetrics, type RunningServer, startServer } from "../http/mod.ts";
import type { Logger } from "../../domain/ports/logger.ts";
import { cancelIssueRun, recordCancel } from "../../domain/workflow/cancel.ts";
import { retryIssueRun } from "../../domain/workflow/retry.ts";
import { VERSION } from "../config/version.ts";
import { startRunMetrics } from "../http/run_metrics.ts";
import { HttpJiraClient } from "../jira/client.ts";
import { Redactor } from "../log/redact.ts";

/** Starts the HTTP intake; resolves once it listens. */
export async function startHttp(
  config: RunnerConfig,
  store: Store,
  logger: Logger,
  signal: AbortSignal,
): Promise<RunningServer> {
  const metrics = createMetrics(undefined, VERSION);
  startRunMetrics(store, metrics, logger.child({ component: "metrics" }), signal);
  const app = createApp({
    store,
    logger: logger.child({ component: "http" }),
    metrics,
    options: {
      jiraWebhookSecret: config.jira.webhookSecret,
      githubWebhookSecret: config.github.webhookSecret,
      aiAccountId: config.jira.aiAccountId,
      rateLimit: config.ops.rateLimit,
      trustedProxies: config.ops.trustedProxies,
      allowList: config.ops.allowList,
      dashboardToken: config.dashboardToken ?? undefined,
    },
    dashboard: { jiraBaseUrl: config.jira.baseUrl, artifacts: store },
    admin: {
      // With Jira configured the comment is posted at once; without, a worker posts it.
      cancel: (issueKey, reason, actor) => {
        const request = { reason, by: { displayName: "an operator (admin route)" }, actor };
        if (!(config.jira.baseUrl && config.jira.email && config.jira.apiToken)) {
          return recordCancel({ store, clock: () => new Date() }, issueKey, request)
            .then((r) => r.ok ? { ...r, commentId: null } : r);
        }
        const jira = new HttpJiraClient({
          baseUrl: config.jira.baseUrl,
          email: config.jira.email,
          apiToken: config.jira.apiToken,
        });
        return cancelIssueRun(
          { store, jira, secrets: new Redactor(config.secrets), clock: () => new Date() },
          issueKey,
          request,
        );
      },
      retry: (issueKey, runId, actor) =>
        retryIssueRun(
          { store, clock: () => new Date(), newId: () => crypto.randomUUID() },
          issueKey,
          {
            retryOf: runId,
            by: { displayName: "an operator (admin route)" },
            actor,
            source: "admin",
          },
        ),
    },
  });
  const server = await startServer({
    app,
    hostname: config.host,
    port: config.port,
    signal,
    shutdownSignals: [],
    logger,
  });
  logger.info("server listening", { url: server.url, engine: store.engine });
  return server;
}
