/**
 * The intake under test: the real app over a real SQLite file in a temp dir,
 * with helpers to send signed Jira and GitHub requests and read the log back.
 * Imported by the other `http_*` and `intake_*` tests (it has no tests of its own).
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Hono } from "hono";
import { type AppDeps, createApp } from "../../adapters/http/app.ts";
import type { IntakeEnv } from "../../adapters/http/context.ts";
import { githubSignature } from "../../adapters/http/crypto.ts";
import { createMetrics, type Metrics } from "../../adapters/http/metrics.ts";
import type { IntakeOptions } from "../../adapters/http/options.ts";
import { openSqliteStore, type SqliteStore } from "../../adapters/eventstore/sqlite/mod.ts";
import { JsonLogger } from "../../adapters/log/json_logger.ts";
import { handleCommand } from "../../domain/command_handler.ts";
import type { RecordedEvent } from "../../domain/events.ts";
import type { RunCommand } from "../../domain/run/commands.ts";

/** The Jira secret the harness configures. */
export const JIRA_SECRET = "jira-webhook-secret-for-tests-0123456789";
/** GitHub's documented test secret. */
export const GITHUB_SECRET = "It's a Secret to Everybody";
/** The AI Runner user's account id (the one in the Jira fixtures). */
export const AI_ACCOUNT_ID = "712020:a1b2c3d4-ai-runner";

/** Options used unless a test overrides them. */
export function testOptions(overrides: Partial<IntakeOptions> = {}): IntakeOptions {
  return {
    jiraWebhookSecret: JIRA_SECRET,
    githubWebhookSecret: GITHUB_SECRET,
    aiAccountId: AI_ACCOUNT_ID,
    rateLimit: { perSecond: 1_000_000, burst: 1_000_000 },
    ...overrides,
  };
}

/** A running intake over a fresh store. */
export interface Intake {
  app: Hono<IntakeEnv>;
  store: SqliteStore;
  metrics: Metrics;
  dir: string;
  /** Log lines written so far (JSON). */
  logs: string[];
  /** POSTs a Jira body (object → JSON, string → as is) with the right secret unless overridden. */
  jira(body: unknown, headers?: Record<string, string>, env?: unknown): Promise<Response>;
  /** POSTs a GitHub delivery, signed with the right secret unless a signature header is given. */
  github(
    event: string,
    body: unknown,
    headers?: Record<string, string>,
    env?: unknown,
  ): Promise<Response>;
  /** Every event in the log. */
  events(): Promise<RecordedEvent[]>;
  /**
   * Records, through the decider, a finished run that worked `issueKey` in
   * `repo`, pushed `ai/<KEY>` and (unless `number` is null) opened PR `number`:
   * the history a genuine GitHub fact belongs to. Answers the events it added.
   */
  worked(issueKey: string, repo: string, number: number | null): Promise<number>;
}

/** Options of {@link withIntake}. */
export interface IntakeSetup {
  options?: Partial<IntakeOptions>;
  now?: () => Date;
  newRunId?: AppDeps["newRunId"];
  requesterGroups?: AppDeps["requesterGroups"];
}

/** Runs `fn` against a fresh intake and removes everything afterwards. */
export async function withIntake(
  fn: (intake: Intake) => Promise<void>,
  setup: IntakeSetup = {},
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "intake-test-" });
  const store = openSqliteStore(`${dir}/runner.db`);
  const logs: string[] = [];
  const logger = new JsonLogger({ level: "debug", sink: (l) => logs.push(l) });
  const metrics = createMetrics();
  const app = createApp({
    store,
    logger,
    metrics,
    options: testOptions(setup.options),
    now: setup.now,
    newRunId: setup.newRunId,
    requesterGroups: setup.requesterGroups,
  });
  const text = (body: unknown) => typeof body === "string" ? body : JSON.stringify(body);
  const intake: Intake = {
    app,
    store,
    metrics,
    dir,
    logs,
    jira: (body, headers = {}, env) =>
      Promise.resolve(app.request("/jira/webhook", {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          "X-Jira-Webhook-Secret": JIRA_SECRET,
          ...headers,
        },
        body: text(body),
      }, env as undefined)),
    github: (event, body, headers = {}, env) => {
      const raw = text(body);
      return Promise.resolve(app.request("/github/webhook", {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          "X-GitHub-Event": event,
          "X-GitHub-Delivery": crypto.randomUUID(),
          "X-Hub-Signature-256": githubSignature(GITHUB_SECRET, raw),
          "User-Agent": "GitHub-Hookshot/test",
          ...headers,
        },
        body: raw,
      }, env as undefined));
    },
    events: () => store.readAll(0, 1_000_000),
    worked: (issueKey, repo, number) => recordWorked(store, issueKey, repo, number),
  };
  try {
    await fn(intake);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Reads a JSON answer and checks it is JSON. */
export async function json(res: Response): Promise<Record<string, unknown>> {
  assert.match(res.headers.get("content-type") ?? "", /application\/json/);
  return await res.json();
}

/** Asserts a refusal: the status, JSON `{error, detail}`, and returns the body. */
export async function assertRefused(
  res: Response,
  status: number,
  error?: string,
): Promise<{ error: string; detail: string }> {
  const body = await json(res);
  assert.equal(
    res.status,
    status,
    `expected ${status}, got ${res.status}: ${JSON.stringify(body)}`,
  );
  assert.equal(typeof body.error, "string");
  assert.equal(typeof body.detail, "string");
  assert.ok((body.detail as string).length > 0);
  if (error) assert.equal(body.error, error);
  return body as { error: string; detail: string };
}

/** A Jira fixture from tests/fixtures/jira/. */
export async function jiraFixture(name: string): Promise<Record<string, unknown>> {
  const url = new URL(`../fixtures/jira/${name}`, import.meta.url);
  return JSON.parse(await Deno.readTextFile(url));
}

async function recordWorked(
  store: SqliteStore,
  issueKey: string,
  repo: string,
  number: number | null,
): Promise<number> {
  const runId = `seed-${issueKey}`;
  const leaseId = `lease-${issueKey}`;
  const now = new Date().toISOString();
  const branch = `ai/${issueKey}`;
  const step = (step: Extract<RunCommand, { type: "RecordStep" }>["step"]): RunCommand => ({
    type: "RecordStep",
    runId,
    leaseId,
    now,
    step,
  });
  const commands: RunCommand[] = [
    {
      type: "RequestRun",
      issueKey,
      runId,
      deliveryId: `seed:${issueKey}`,
      source: "cli",
      requestedBy: null,
      now,
    },
    { type: "ClaimRun", runId, workerId: "seed", leaseId, leaseMs: 600_000, now },
    // The steps in the order a run records them (the decider refuses any other).
    step({
      type: "IssueFetched",
      data: {
        runId,
        summary: "seeded",
        status: "In Progress",
        labels: [],
        components: [],
        assigneeAccountId: null,
        commentCount: 0,
        feedbackCommentIds: [],
      },
    }),
    step({
      type: "WorkspacePrepared",
      data: {
        runId,
        repoId: "seed",
        github: repo,
        branch,
        baseBranch: "main",
        startSha: "0123456789abcdef0123456789abcdef01234567",
        continued: false,
      },
    }),
    step({
      type: "ChangesGenerated",
      data: {
        runId,
        summary: "seeded",
        filesChanged: ["a.md"],
        turns: 1,
        usage: { inputTokens: 1, outputTokens: 1 },
        provider: "anthropic",
        model: "seed",
      },
    }),
    step({
      type: "ValidationCompleted",
      data: { runId, passed: true, commands: [], repairs: 0 },
    }),
    step({
      type: "DiffScanned",
      data: { runId, empty: false, bytes: 10, filesChanged: ["a.md"] },
    }),
    step({
      type: "ChangesCommitted",
      data: { runId, sha: "1234567", message: "seeded", filesChanged: ["a.md"] },
    }),
    step({ type: "BranchPushed", data: { runId, branch, sha: "1234567" } }),
    ...(number === null ? [] : [step({
      type: "PullRequestOpened",
      data: {
        runId,
        number,
        url: `https://github.com/${repo}/pull/${number}`,
        draft: false,
        head: branch,
        base: "main",
      },
    })]),
    { type: "CompleteRun", runId, leaseId, now, outcome: "pr_opened", summary: "seeded" },
  ];
  let added = 0;
  for (const command of commands) {
    const result = await handleCommand(store, issueKey, command, { actor: "test:seed" });
    if (!result.ok) throw new Error(`seeding ${issueKey}: ${JSON.stringify(result.error)}`);
    added += result.events.length;
  }
  return added;
}
