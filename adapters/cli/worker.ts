/**
 * `deno task worker`: wires Jira, GitHub, git, the LLM and the workspace to the
 * run workflow, and runs the worker until SIGTERM/SIGINT.
 *
 * @module
 */
import type { Logger } from "../../domain/ports/logger.ts";
import type { RepoRoute, RoutingConfig } from "../../domain/routing.ts";
import type { WorkflowDeps } from "../../domain/workflow/run_workflow.ts";
import { workflowSettings } from "../../domain/workflow/settings.ts";
import { type DueRun, type RunQueue, Worker } from "../../domain/workflow/worker.ts";
import type { QueueDoc } from "../../projections/mod.ts";
import type { Projector } from "../../projections/projector.ts";
import type { RunnerConfig } from "../config/env.ts";
import type { Store } from "../eventstore/open.ts";
import { loadIssue } from "../../domain/command_handler.ts";
import { TERMINAL_STATUSES } from "../../domain/run/state.ts";
import { GitCliWorkspaces } from "../git/mod.ts";
import { sweepScratchDirs, sweepWorktrees } from "../git/sweep.ts";
import { createGitHubClient } from "../github/mod.ts";
import { buildJiraClient } from "./jira_client.ts";
import { createLlmClient } from "../llm/mod.ts";
import { planReasoning } from "../../domain/agent/reasoning.ts";
import { Redactor } from "../log/redact.ts";
import { openSandbox } from "../sandbox/mod.ts";
import { repoSpendOnDay } from "../../projections/spend.ts";
import { SandboxUnavailable } from "../../domain/ports/sandbox.ts";
import { LocalWorkspace } from "../workspace/workspace.ts";
import { type ModelPrice, PRICE_TABLE, priceOf } from "../../domain/pricing.ts";

/** The clone URL of a routed repo: its `cloneUrl`, else derived from GITHUB_API_URL. */
export function cloneUrlFor(apiUrl: string, repo: RepoRoute): string {
  if (repo.cloneUrl) return repo.cloneUrl;
  const api = new URL(apiUrl);
  const web = api.hostname === "api.github.com"
    ? "https://github.com"
    : `${api.protocol}//${api.host}`; // GHES: https://host/api/v3 → https://host
  return `${web}/${repo.github}.git`;
}

/** The self-review's model client: same provider and key, its own model and reasoning defaults. */
function reviewClient(config: RunnerConfig, model: string) {
  const plan = planReasoning(config.llm.provider, model, {
    maxOutputTokens: config.llm.maxOutputTokens,
    openaiApi: config.llm.openaiApi,
  });
  return createLlmClient({
    provider: config.llm.provider,
    model,
    anthropicApiKey: config.llm.anthropicApiKey ?? undefined,
    openaiApiKey: config.llm.openaiApiKey ?? undefined,
    baseURL: config.llm.baseUrl ?? undefined,
    ...(plan.ok ? { reasoning: plan.plan } : {}),
    openaiApi: config.llm.openaiApi,
  });
}

/** Builds the workflow's dependencies from the configuration. */
export function buildWorkflowDeps(
  config: RunnerConfig,
  store: Store,
  routing: RoutingConfig,
  logger: Logger,
  workerId: string,
  priceTable: readonly ModelPrice[] = PRICE_TABLE,
): WorkflowDeps {
  const redactor = new Redactor(config.secrets);
  const dataDir = config.dataDir.replace(/\/$/, "");
  return {
    store,
    artifacts: store,
    jira: buildJiraClient(config, {
      logger: logger.child({ component: "jira" }),
      customFields: routing.repos.flatMap((r) => r.match?.field ? [r.match.field.id] : []),
    }),
    github: createGitHubClient({
      apiUrl: config.github.apiUrl,
      token: config.github.token,
      app: config.github.app,
      logger: logger.child({ component: "github" }),
      secrets: config.secrets,
      retry: { minMutationIntervalMs: config.github.minWriteIntervalMs },
    }),
    git: new GitCliWorkspaces({
      cacheDir: `${dataDir}/git`,
      worktreeDir: `${dataDir}/worktrees`,
      logger: logger.child({ component: "git" }),
    }),
    llm: createLlmClient({
      provider: config.llm.provider,
      model: config.llm.model,
      anthropicApiKey: config.llm.anthropicApiKey ?? undefined,
      openaiApiKey: config.llm.openaiApiKey ?? undefined,
      baseURL: config.llm.baseUrl ?? undefined,
      reasoning: config.llm.reasoning,
      openaiApi: config.llm.openaiApi,
    }),
    ...(config.llm.reviewModel ? { reviewLlm: reviewClient(config, config.llm.reviewModel) } : {}),
    workspace: new LocalWorkspace(
      (t) => redactor.redact(t),
      openSandbox(config.ops.sandbox, logger.child({ component: "sandbox" })),
    ),
    routing,
    secrets: redactor,
    settings: workflowSettings({
      aiAccountId: config.jira.aiAccountId,
      reviewerAccountId: config.jira.reviewerAccountId,
      trustedAccountIds: config.ops.trustedAccountIds,
      transitionInTesting: config.jira.transitionInTesting,
      transitionDone: config.jira.transitionDone,
      transitionInTestingFields: config.jira.transitionInTestingFields,
      transitionDoneFields: config.jira.transitionDoneFields,
      issueUrl: (key) => `${config.jira.baseUrl}/browse/${key}`,
      cloneUrl: (repo) => cloneUrlFor(config.github.apiUrl, repo),
      budgets: config.ops.budgets,
      maxDiffBytes: config.ops.budgets.maxDiffBytes,
      pricing: priceOf(config.llm.model, priceTable),
      selfReview: config.llm.selfReview,
      githubTrustedLogins: config.ops.githubTrustedLogins,
      requesterAccountIds: config.ops.requesterAccountIds,
      requesterGroups: config.ops.requesterGroups,
      maxOutputTokens: config.llm.maxOutputTokens,
      commitAuthor: config.ops.commitAuthor,
    }),
    clock: () => new Date(),
    random: Math.random,
    newId: () => crypto.randomUUID(),
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(done, ms);
        function done() {
          clearTimeout(timer);
          signal?.removeEventListener("abort", done);
          resolve();
        }
        signal?.addEventListener("abort", done, { once: true });
      }),
    spentOnDay: (repoId, day) => repoSpendOnDay(store, repoId, day),
    logger,
    workerId,
  };
}

/** The worker's queue: the `queue` read model, caught up before every look. */
export function projectedQueue(store: Store, projector: Projector): RunQueue {
  return {
    async due(now: string, limit: number): Promise<DueRun[]> {
      await projector.catchUp();
      const docs = await store.query("queue", {
        where: [{ field: "availableAt", lte: now }],
        orderBy: { field: "availableAt", direction: "asc" },
        limit,
      }) as QueueDoc[];
      return docs.map((d) => ({ issueKey: d.issueKey, runId: d.runId }));
    },
    async cancelCommentsOwed(): Promise<string[]> {
      const docs = await store.query("issues", {
        where: [{ field: "cancelCommentOwed", eq: true }],
        limit: 50,
      }) as { issueKey: string }[];
      return docs.map((d) => d.issueKey);
    },
    async wait(ms: number, signal: AbortSignal): Promise<void> {
      const stop = new AbortController();
      const timer = setTimeout(() => stop.abort(), ms);
      const onAbort = () => stop.abort();
      signal.addEventListener("abort", onAbort, { once: true });
      try {
        const head = await store.headPosition();
        for await (const _ of store.subscribe({ fromPosition: head, signal: stop.signal })) break;
      } catch {
        // Aborted, or the store is out of reach (a database restart): never throw out of a
        // wait (the worker's loop would end); wait out the rest of `ms` instead of spinning.
        if (!stop.signal.aborted) {
          await new Promise((resolve) => stop.signal.addEventListener("abort", resolve));
        }
      } finally {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
      }
    },
  };
}

/** Creates the worker for this process. */
export function createWorker(
  config: RunnerConfig,
  store: Store,
  projector: Projector,
  routing: RoutingConfig,
  logger: Logger,
  priceTable: readonly ModelPrice[] = PRICE_TABLE,
  afterRun?: () => Promise<void>,
): Worker {
  const workerId = `${Deno.hostname()}-${Deno.pid}`;
  const deps = buildWorkflowDeps(
    config,
    store,
    routing,
    logger.child({ workerId }),
    workerId,
    priceTable,
  );
  if (!deps.settings.pricing) {
    logger.warn(
      `LLM_MODEL ${config.llm.model} is not in the price table: costs read $0 and ` +
        "BUDGET_MAX_USD cannot stop a run; add it with LLM_PRICE_FILE",
    );
  }
  return new Worker(deps, projectedQueue(store, projector), {
    concurrency: config.ops.workerConcurrency,
    leaseMs: config.ops.leaseMs,
    afterRun,
  });
}

/**
 * Says at start whether the sandbox can confine here. The worker still starts
 * when it cannot (fail closed: every setup, validation and command then
 * refuses, and each run fails naming the fix), so the failures reach Jira.
 */
export async function checkSandboxAtStart(config: RunnerConfig, logger: Logger): Promise<void> {
  if (config.ops.sandbox === "off") return; // OffSandbox warns on its own
  try {
    await openSandbox(config.ops.sandbox).check();
    logger.info("sandbox: bubblewrap confines setup, validation and the model's commands");
  } catch (error) {
    if (!(error instanceof SandboxUnavailable)) throw error;
    logger.error(
      "the sandbox cannot start: runs will fail until this is fixed (deno task doctor)",
      { fix: error.fix, error: error.message },
    );
  }
}

/**
 * The leftovers sweeper of a worker process: worktrees of runs that are no
 * longer queued, claimed or waiting to retry (per the decider's state of their
 * issue stream, read from the `runs` read model's issue key), and scratch
 * directories of dead processes. Call it at worker start and after each run
 * ends; it never throws.
 */
export function leftoverSweeper(
  config: RunnerConfig,
  store: Store,
  logger: Logger,
): () => Promise<void> {
  const dataDir = config.dataDir.replace(/\/$/, "");
  const git = new GitCliWorkspaces({
    cacheDir: `${dataDir}/git`,
    worktreeDir: `${dataDir}/worktrees`,
    logger,
  });
  const isActive = async (runId: string): Promise<boolean> => {
    const doc = await store.get("runs", runId) as { issueKey?: string } | null;
    // Unknown to the read model (not projected yet, or not a run id): keep it.
    if (!doc?.issueKey) return true;
    // The decider's state, not the read model's status: it is never behind.
    const { state } = await loadIssue(store, doc.issueKey);
    const run = state.runs[runId];
    return !run || !TERMINAL_STATUSES.has(run.status);
  };
  let running: Promise<void> | null = null;
  return () => {
    running ??= (async () => {
      try {
        await sweepWorktrees({
          worktreeDir: `${dataDir}/worktrees`,
          isActive,
          remove: (w) =>
            git.remove({
              path: w.path,
              repoId: w.repoId,
              branch: "",
              baseBranch: "",
              startSha: "",
              continued: false,
              reused: false,
            }),
          logger,
        });
        await sweepScratchDirs({ logger });
      } catch (error) {
        logger.warn("sweeping leftovers failed", { error });
      } finally {
        running = null;
      }
    })();
    return running;
  };
}
