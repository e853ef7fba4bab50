/**
 * Dashboard pages and `audit <KEY>` over a large store: overview, a filtered
 * runs list (by status, and by text), an issue, a run, and the audit timeline,
 * each timed over a store of 100,000 runs on 20,000 issues against the same
 * pages over 1,000 runs on 200 issues, built the same way, in one bench run.
 * Reports p50 and p99 per page and the ratio of the large store to the small
 * one (target: p99 under 200 ms, and the 100x store under 3x the time).
 *
 * The same on PostgreSQL where a throwaway cluster can be started
 * (`BENCH_DASHBOARD_PG=0` skips it). `BENCH_DASHBOARD_RUNS` sets the large
 * store's size (default 100000).
 *
 * @module
 */
import postgres from "postgres";
import { openPostgresStore } from "../../adapters/eventstore/postgres/mod.ts";
import { openSqliteStore } from "../../adapters/eventstore/sqlite/mod.ts";
import { startPostgres } from "../support/postgres_cluster.ts";
import { createApp, createMetrics } from "../../adapters/http/mod.ts";
import { timelineCommand } from "../../adapters/cli/audit.ts";
import { JsonLogger } from "../../adapters/log/json_logger.ts";
import type { RecordedEvent } from "../../domain/events.ts";
import type { NewEvent } from "../../domain/ports/event_store.ts";
import type { Store } from "../../adapters/eventstore/open.ts";
import { ALL_PROJECTIONS } from "../../projections/mod.ts";

const TOKEN = "bench-dashboard-token-0123456789abcdef";
const DAY = 86_400_000;
/** The newest run's time; the store spans back from here. */
const T_END = Date.parse("2026-11-23T10:00:00.000Z");
const RUNS_PER_ISSUE = 5;
/** Runs per day: the same rate in both stores (a bigger store is a longer history). */
const RUNS_PER_DAY = 70;

const iso = (ms: number) => new Date(ms).toISOString();

/** The events of one issue: five runs, mostly PRs, some failures and drafts. */
function issueHistory(key: string, index: number, runs: number, total: number): NewEvent[] {
  const events: NewEvent[] = [];
  for (let r = 0; r < RUNS_PER_ISSUE; r++) {
    const n = index * RUNS_PER_ISSUE + r; // 0 … total-1, oldest first
    const start = T_END - Math.floor(((total - n) / RUNS_PER_DAY) * DAY);
    const runId = `${key.toLowerCase()}-run-${r}-${(n * 2654435761 % 0xffffffff).toString(16)}`;
    const meta = { actor: "worker:w1", correlationId: runId };
    const t = (s: number) => iso(start + s * 1000);
    events.push({
      type: "RunRequested",
      data: {
        runId,
        issueKey: key,
        deliveryId: `d-${runId}`,
        source: "jira",
        requestedBy: { accountId: `acc-${n % 40}`, displayName: `Person ${n % 40}` },
        requestedAt: t(0),
      },
      metadata: { actor: `jira:acc-${n % 40}`, correlationId: runId },
    });
    if (n === total - 1) break; // the newest run stays queued
    events.push(
      {
        type: "RunClaimed",
        data: { runId, workerId: "w1", leaseId: `L-${runId}`, leaseExpiresAt: t(70), attempt: 1 },
        metadata: meta,
      },
      {
        type: "IssueFetched",
        data: {
          runId,
          summary: `Fix the docs of ${key} (${index % 7 === 0 ? "install guide" : "usage"})`,
          status: "In Progress",
          labels: ["docs"],
          components: [],
          assigneeAccountId: "acc-ai",
          commentCount: r,
          feedbackCommentIds: [],
        },
        metadata: meta,
      },
      {
        type: "WorkspacePrepared",
        data: {
          runId,
          repoId: n % 3 === 0 ? "api" : "online-docs",
          github: n % 3 === 0 ? "acme/api" : "acme/online-docs",
          branch: `ai/${key}`,
          baseBranch: "main",
          startSha: "a".repeat(40),
          continued: r > 0,
        },
        metadata: meta,
      },
      {
        type: "ChangesGenerated",
        data: {
          runId,
          summary: "Replaced the misspelled word in the install guide.",
          filesChanged: ["docs/install.md"],
          turns: 6,
          usage: { inputTokens: 12_000 + n % 1000, outputTokens: 900 },
          provider: "anthropic",
          model: "claude-sonnet-4-5",
        },
        metadata: meta,
      },
    );
    if (n % 10 === 3) {
      events.push({
        type: "RunFailed",
        data: { runId, step: "pull_request", reason: "GitHub answered 422", kind: "permanent" },
        metadata: meta,
      });
      continue;
    }
    const draft = n % 10 === 5;
    events.push(
      {
        type: "ValidationCompleted",
        data: {
          runId,
          passed: !draft,
          commands: [{
            command: "sh scripts/check.sh",
            exitCode: draft ? 1 : 0,
            durationMs: 900,
            timedOut: false,
          }],
          repairs: draft ? 2 : 0,
        },
        metadata: meta,
      },
      {
        type: "ChangesCommitted",
        data: {
          runId,
          sha: "b".repeat(40),
          message: `${key}: fix docs`,
          filesChanged: ["docs/install.md"],
        },
        metadata: meta,
      },
      {
        type: "BranchPushed",
        data: { runId, branch: `ai/${key}`, sha: "b".repeat(40) },
        metadata: meta,
      },
      r === 0
        ? {
          type: "PullRequestOpened",
          data: {
            runId,
            number: index + 1,
            url: `https://github.com/acme/online-docs/pull/${index + 1}`,
            draft,
            head: `ai/${key}`,
            base: "main",
          },
          metadata: meta,
        }
        : {
          type: "PullRequestUpdated",
          data: {
            runId,
            number: index + 1,
            url: `https://github.com/acme/online-docs/pull/${index + 1}`,
          },
          metadata: meta,
        },
      {
        type: "JiraCommented",
        data: { runId, commentId: String(10_000 + n), purpose: "result" },
        metadata: meta,
      },
      {
        type: "RunSucceeded",
        data: { runId, outcome: r === 0 ? "pr_opened" : "pr_updated", summary: "done" },
        metadata: meta,
      },
    );
  }
  void runs;
  return events;
}

/** Builds a store of `runs` runs and its read models (folded in memory, committed in bulk). */
export async function buildStore(
  path: string | Store,
  runs: number,
): Promise<{ store: Store; keys: string[] }> {
  const store = typeof path === "string" ? openSqliteStore(path, { maxBatch: 2_000 }) : path;
  const issues = Math.ceil(runs / RUNS_PER_ISSUE);
  const keys = Array.from({ length: issues }, (_, i) => `MWC-${i + 1}`);
  const recorded: RecordedEvent[] = [];
  for (let i = 0; i < issues; i += 500) {
    const results = await Promise.all(
      keys.slice(i, i + 500).map((key, j) =>
        store.append(`issue-${key}`, "no_stream", issueHistory(key, i + j, runs, runs))
      ),
    );
    for (const r of results) {
      if (!r.ok) throw new Error("bench append conflicted");
      recorded.push(...r.events);
    }
  }
  recorded.sort((a, b) => a.position - b.position);
  const head = recorded[recorded.length - 1].position;
  for (const projection of ALL_PROJECTIONS) {
    const docs = new Map<string, unknown>();
    for (const e of recorded) {
      for (const id of projection.keys(e)) {
        docs.set(id, projection.evolve(docs.get(id) ?? null, e, id));
      }
    }
    const to = { position: head, version: projection.version };
    let from = null;
    const entries = [...docs];
    for (let i = 0; i < entries.length; i += 5_000) {
      const ok = await store.commit(
        projection.name,
        from,
        to,
        new Map(entries.slice(i, i + 5_000)),
      );
      if (!ok) throw new Error(`bench commit of ${projection.name} refused`);
      from = to;
    }
    if (!entries.length) await store.commit(projection.name, null, to, new Map());
  }
  return { store, keys };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

interface PageTiming {
  page: string;
  p50: number;
  p99: number;
}

/** Times each page `rounds` times over `store`. */
async function timePages(store: Store, keys: string[], rounds: number): Promise<PageTiming[]> {
  const app = createApp({
    store,
    logger: new JsonLogger({ level: "error", sink: () => {} }),
    metrics: createMetrics(),
    now: () => new Date(T_END + 60_000),
    options: {
      jiraWebhookSecret: "j",
      githubWebhookSecret: "g",
      aiAccountId: "acc-ai",
      dashboardToken: TOKEN,
    },
    dashboard: { jiraBaseUrl: "https://acme.atlassian.net", artifacts: store },
  });
  const headers = { authorization: `Bearer ${TOKEN}` };
  const key = keys[Math.floor(keys.length / 2)];
  const someRun = (await store.query("runs", {
    where: [{ field: "issueKey", eq: key }],
    limit: 1,
  }) as { runId: string }[])[0].runId;
  const get = (path: string) => async () => {
    const res = await app.request(path, { headers });
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
    await res.text();
  };
  const pages: [string, () => Promise<void>][] = [
    ["overview /", get("/")],
    ["runs ?status=failed", get("/runs?status=failed")],
    ["runs ?status=attention", get("/runs?status=attention")],
    ["runs ?q=install guide", get("/runs?q=install%20guide")],
    ["issue /issues/KEY", get(`/issues/${key}`)],
    ["run /runs/ID", get(`/runs/${someRun}`)],
    ["audit KEY", async () => {
      await timelineCommand(store, key, false, () => {});
    }],
  ];
  const out: PageTiming[] = [];
  for (const [page, fn] of pages) {
    await fn(); // warm-up: statement caches, JIT
    const times: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const t0 = performance.now();
      await fn();
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    out.push({ page, p50: percentile(times, 0.5), p99: percentile(times, 0.99) });
  }
  return out;
}

/** The dashboard bench: small and large stores, the same pages, ratios; SQLite, then PostgreSQL. */
export async function benchDashboard(report: (line: string) => void): Promise<void> {
  await benchEngine("SQLite", report, (dir, runs) => Promise.resolve(`${dir}/runs-${runs}.db`));
  if (Deno.env.get("BENCH_DASHBOARD_PG") === "0") return;
  const server = await startPostgres({ durable: true });
  if (!server) {
    report("dashboard bench (PostgreSQL): skipped, no PostgreSQL here");
    return;
  }
  try {
    let url = "";
    await benchEngine(
      "PostgreSQL",
      report,
      async () => await openPostgresStore(url = await server.createDatabase()),
      // Statistics, as autovacuum gathers them after a bulk load: without them the planner
      // guesses the expression indexes' selectivity.
      async () => {
        const sql = postgres(url, { max: 1, onnotice: () => {} });
        try {
          await sql`ANALYZE projection_docs`;
        } finally {
          await sql.end({ timeout: 5 });
        }
      },
    );
  } finally {
    await server.stop();
  }
}

async function benchEngine(
  engine: string,
  report: (line: string) => void,
  open: (dir: string, runs: number) => Promise<string | Store>,
  afterLoad: () => Promise<void> = () => Promise.resolve(),
): Promise<void> {
  const large = Number(Deno.env.get("BENCH_DASHBOARD_RUNS") ?? 100_000);
  const small = 1_000;
  const dir = await Deno.makeTempDir({ prefix: "ai-runner-dashboard-bench-" });
  try {
    const results: Record<string, PageTiming[]> = {};
    for (const runs of [small, large]) {
      const started = performance.now();
      const { store, keys } = await buildStore(await open(dir, runs), runs);
      await afterLoad();
      report(
        `dashboard bench: built a ${engine} store of ${runs.toLocaleString("en")} runs on ` +
          `${keys.length.toLocaleString("en")} issues in ${
            ((performance.now() - started) / 1000).toFixed(1)
          } s`,
      );
      try {
        results[runs] = await timePages(store, keys, 60);
      } finally {
        await store.close();
      }
    }
    report(
      `dashboard bench (${engine}): p50 / p99 in ms, ${small.toLocaleString("en")} runs vs ` +
        `${large.toLocaleString("en")} runs, ${RUNS_PER_DAY} runs a day in both ` +
        "(target p99 < 200 ms, the larger store < 3x the time; p99 is noisy on a shared machine)",
    );
    for (let i = 0; i < results[small].length; i++) {
      const a = results[small][i];
      const b = results[large][i];
      report(
        `  ${a.page.padEnd(24)} ${a.p50.toFixed(1).padStart(7)} / ${a.p99.toFixed(1).padStart(7)}` +
          `   ${b.p50.toFixed(1).padStart(7)} / ${b.p99.toFixed(1).padStart(7)}` +
          `   ratio p50 ${(b.p50 / a.p50).toFixed(2)}x, p99 ${(b.p99 / a.p99).toFixed(2)}x` +
          (b.p99 < 200 ? "" : "  (p99 over 200 ms)"),
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) await benchDashboard((line) => console.log(line));
