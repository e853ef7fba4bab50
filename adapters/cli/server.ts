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
import type { RoutingConfig } from "../../domain/routing.ts";
import { cancelIssueRun, recordCancel } from "../../domain/workflow/cancel.ts";
import { retryIssueRun } from "../../domain/workflow/retry.ts";
import { VERSION } from "../config/version.ts";
import { startRunMetrics } from "../http/run_metrics.ts";
import { buildJiraClient, jiraConfigured } from "./jira_client.ts";
import { Redactor } from "../log/redact.ts";

/**
 * Starts the HTTP intake; resolves once it listens. `routing` (RUNNER_CONFIG)
 * names the repositories whose GitHub facts are accepted.
 */
export async function startHttp(
  config: RunnerConfig,
  store: Store,
  logger: Logger,
  signal: AbortSignal,
  routing: RoutingConfig | null = null,
): Promise<RunningServer> {
  // One client for the server, made when first needed. The webhook waits for the
  // answer: no long backoff here.
  let jira: ReturnType<typeof buildJiraClient> | null = null;
  const jiraClient = () => jira ??= buildJiraClient(config, { maxRetries: 0 });
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
      githubRepos: routing ? routing.repos.map((r) => r.github) : undefined,
      requesters: config.ops.requesterAccountIds.length > 0 || config.ops.requesterGroups.length > 0
        ? {
          accountIds: config.ops.requesterAccountIds,
          groups: config.ops.requesterGroups,
          reviewerAccountId: config.jira.reviewerAccountId,
        }
        : undefined,
    },
    requesterGroups: config.ops.requesterGroups.length > 0
      ? (accountId) => jiraClient().userGroups(accountId)
      : undefined,
    dashboard: { jiraBaseUrl: config.jira.baseUrl, artifacts: store },
    admin: {
      // With Jira configured the comment is posted at once; without, a worker posts it.
      cancel: (issueKey, reason, actor) => {
        const request = { reason, by: { displayName: "an operator (admin route)" }, actor };
        if (!jiraConfigured(config)) {
          return recordCancel({ store, clock: () => new Date() }, issueKey, request)
            .then((r) => r.ok ? { ...r, commentId: null } : r);
        }
        return cancelIssueRun(
          {
            store,
            jira: jiraClient(),
            secrets: new Redactor(config.secrets),
            clock: () => new Date(),
          },
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
