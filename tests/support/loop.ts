/**
 * The whole loop in one test process: the stand-in world, the real store,
 * config, intake app, workflow and worker, wired exactly as `main.ts` wires
 * them. Tests drive it like people would: assign a ticket (the Jira webhook),
 * let the worker drain the queue, merge on GitHub (the GitHub webhook).
 *
 * @module
 */
import assert from "node:assert/strict";
import type { JiraDirectory } from "../../domain/ports/jira.ts";
import { loadConfig, type RunnerConfig } from "../../adapters/config/env.ts";
import { loadRouting } from "../../adapters/config/routing_file.ts";
import { buildWorkflowDeps, projectedQueue } from "../../adapters/cli/worker.ts";
import { openStore, type Store } from "../../adapters/eventstore/open.ts";
import { createApp, createMetrics } from "../../adapters/http/mod.ts";
import { JsonLogger } from "../../adapters/log/json_logger.ts";
import { Redactor } from "../../adapters/log/redact.ts";
import { issueStream, type RecordedEvent } from "../../domain/events.ts";
import type { WorkflowDeps } from "../../domain/workflow/run_workflow.ts";
import { type RunEnding, Worker } from "../../domain/workflow/worker.ts";
import { ALL_PROJECTIONS } from "../../projections/mod.ts";
import { Projector } from "../../projections/projector.ts";
import type { FakeJira } from "../../adapters/standins/jira_server.ts";
import {
  dcIssueAssignedWebhook,
  FAKE_DC_REVIEWER,
  type FakeJiraDc,
} from "../../adapters/standins/jira_dc_server.ts";
import { type FakeWebhookDelivery, webhookRequest } from "../../adapters/standins/github_server.ts";
import {
  type LoopbackJira,
  startWorld,
  type World,
  WORLD_SECRETS,
  type WorldOptions,
} from "../../adapters/standins/world.ts";

/** A controllable clock: real time plus an offset tests can move forward. */
export class TestClock {
  offsetMs = 0;
  now = (): Date => new Date(Date.now() + this.offsetMs);
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

/** The loop under test. */
export interface Loop<J extends LoopbackJira = FakeJira> extends AsyncDisposable {
  world: World<J>;
  config: RunnerConfig;
  store: Store;
  deps: WorkflowDeps;
  projector: Projector;
  clock: TestClock;
  /** Every log line written. */
  logs: string[];
  /**
   * Assigns the issue to the AI user and sends the Jira webhook, as `by` (default
   * the reviewer); answers its JSON. Cloud: Automation's custom body; Data Center:
   * the native `jira:issue_updated` webhook with the assignee change in its changelog.
   */
  assign(
    issueKey: string,
    idempotencyKey?: string,
    by?: { accountId: string; displayName: string },
  ): Promise<{ status: string; runId: string; reason?: string }>;
  /** Sends a GitHub webhook delivery (signed). */
  deliver(delivery: FakeWebhookDelivery): Promise<Response>;
  /** A new worker over the same store (a restarted process). */
  newWorker(workerId?: string, deps?: Partial<WorkflowDeps>): Worker;
  /** Drains the queue with a fresh worker. */
  drain(): Promise<RunEnding[]>;
  events(issueKey: string): Promise<RecordedEvent[]>;
  close(): Promise<void>;
}

type LoopOptions = WorldOptions & { env?: Record<string, string> };

/** Starts the loop on a new world playing Jira Data Center. */
export function startLoop(options: LoopOptions & { jira: "datacenter" }): Promise<Loop<FakeJiraDc>>;
/** Starts the loop on a new world (Jira Cloud); `env` overrides the world's environment. */
export function startLoop(options?: LoopOptions & { jira?: "cloud" }): Promise<Loop<FakeJira>>;
export async function startLoop(
  options: LoopOptions = {},
): Promise<Loop<FakeJira | FakeJiraDc>> {
  const world = await startWorld(options);
  Object.assign(world.env, options.env ?? {});
  const config = loadConfig(["server", "worker"], world.env);
  const store = await openStore(config.databaseUrl);
  const routing = await loadRouting(config.runnerConfigPath);
  const logs: string[] = [];
  const logger = new JsonLogger({
    level: "debug",
    redactor: new Redactor(config.secrets),
    sink: (line) => logs.push(line),
  });
  const clock = new TestClock();
  const projector = new Projector(store, store, [...ALL_PROJECTIONS]);
  const makeDeps = (workerId: string, extra: Partial<WorkflowDeps> = {}): WorkflowDeps => ({
    ...buildWorkflowDeps(config, store, routing, logger.child({ workerId }), workerId),
    clock: clock.now,
    ...extra,
  });
  const deps = makeDeps("worker-1");
  const app = createApp({
    store,
    logger,
    metrics: createMetrics(),
    now: clock.now,
    options: {
      jiraWebhookSecret: config.jira.webhookSecret,
      githubWebhookSecret: config.github.webhookSecret,
      aiAccountId: config.jira.aiAccountId,
      rateLimit: config.ops.rateLimit,
      githubRepos: routing.repos.map((r) => r.github),
      requesters: config.ops.requesterAccountIds.length > 0 || config.ops.requesterGroups.length > 0
        ? {
          accountIds: config.ops.requesterAccountIds,
          groups: config.ops.requesterGroups,
          reviewerAccountId: config.jira.reviewerAccountId,
        }
        : undefined,
    },
    requesterGroups: (accountId) => (deps.jira as unknown as JiraDirectory).userGroups(accountId),
  });
  let workers = 1;
  let assignments = 0;
  const newWorker = (workerId = `worker-${++workers}`, extra: Partial<WorkflowDeps> = {}) =>
    new Worker(makeDeps(workerId, extra), projectedQueue(store, projector), {
      leaseMs: config.ops.leaseMs,
      pollIntervalMs: 50,
    });
  const close = async () => {
    await store.close();
    await world.close();
  };
  return {
    world,
    config,
    store,
    deps,
    projector,
    clock,
    logs,
    async assign(issueKey, idempotencyKey, by) {
      const previous = world.jira.state.issue(issueKey).assignee;
      world.jira.state.setAssignee(issueKey, world.people.ai.id);
      const issue = world.jira.state.issue(issueKey);
      const { reviewer } = world.people;
      const body = world.deployment === "datacenter"
        ? dcIssueAssignedWebhook(
          world.jira as FakeJiraDc,
          issueKey,
          FAKE_DC_REVIEWER,
          previous && "key" in previous ? previous : null,
          Date.now() + ++assignments, // distinct bodies: each assignment is a new delivery
        )
        : {
          issueKey,
          updated: issue.updated,
          initiator: by ?? { accountId: reviewer.id, displayName: reviewer.displayName },
        };
      const res = await app.request("/jira/webhook", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-jira-webhook-secret": WORLD_SECRETS.jiraWebhook,
          ...(idempotencyKey ? { "x-idempotency-key": idempotencyKey } : {}),
        },
        body: JSON.stringify(body),
      });
      assert.equal(res.status, 200, await res.clone().text());
      return await res.json();
    },
    async deliver(delivery) {
      const req = await webhookRequest(delivery, WORLD_SECRETS.githubWebhook);
      return await app.request("/github/webhook", {
        method: "POST",
        headers: req.headers,
        body: req.body,
      });
    },
    newWorker,
    drain: () => newWorker().drain(),
    events: (issueKey) => store.readStream(issueStream(issueKey)),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Every secret of the world: none may appear in events, logs, Jira, PRs or LLM requests. */
export function worldSecretValues(loop: Loop): string[] {
  return [...loop.config.secrets];
}
