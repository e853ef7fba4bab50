/**
 * Intake benchmark: the real server on loopback over a temp SQLite file
 * (WAL, synchronous=FULL), driven by `wrk` with 50 connections for ~10 s, each
 * request a distinct issue key (so each one queues a run and appends an event).
 *
 * Reports acknowledged requests/s and p50/p99 latency, then checks that every
 * acknowledged request (every 200 counted by wrk's `response` hook) is in the
 * store. The same load against a store opened with `groupCommit: false` is the
 * baseline; the ratio is printed. Idle RSS is measured on a server in a child
 * process. Without `wrk` an in-process fetch load generator is used instead.
 *
 * Then the same load against the server on PostgreSQL (issue 8): a durable
 * throwaway cluster (`fsync` and synchronous commit on, like SQLite's
 * `synchronous=FULL`) with a fresh database, the same zero-loss check, and the
 * PostgreSQL/SQLite ratio (target: within 2x). Skipped, with a line saying so,
 * when no PostgreSQL is available (see tests/support/postgres_cluster.ts).
 *
 * Run alone: `deno run -A tests/bench/intake_bench.ts`. Tunables (env):
 * INTAKE_BENCH_SECONDS (10), INTAKE_BENCH_CONNECTIONS (50).
 *
 * @module
 */
import postgres from "postgres";
import { createApp } from "../../adapters/http/app.ts";
import { createMetrics } from "../../adapters/http/metrics.ts";
import { startServer } from "../../adapters/http/server.ts";
import { openPostgresStore, type PostgresStore } from "../../adapters/eventstore/postgres/mod.ts";
import { openSqliteStore, type SqliteStore } from "../../adapters/eventstore/sqlite/mod.ts";
import { JsonLogger } from "../../adapters/log/json_logger.ts";
import { type PostgresServer, startPostgres } from "../support/postgres_cluster.ts";

const SECRET = "bench-jira-secret-0123456789abcdef";
const WRK = "/usr/bin/wrk";

/** The outcome of one load run. */
interface LoadResult {
  tool: "wrk" | "fetch";
  seconds: number;
  /** Responses with status 200 (acknowledged: the run is queued). */
  acked: number;
  /** Responses with any other status, and socket errors. */
  other: number;
  p50ms: number;
  p99ms: number;
}

/** The outcome of one variant (store configuration). */
interface VariantResult extends LoadResult {
  label: string;
  ackedPerSecond: number;
  stored: number;
  missing: number;
  /** The engine's durability settings, as measured (e.g. `synchronous=FULL, journal=wal`). */
  durability: string;
  appendP50ms: number | null;
  rssAfterMb: number;
}

/** A store a variant runs the server on. */
interface BenchStore {
  store: SqliteStore | PostgresStore;
  /** The engine's durability settings, read from the engine. */
  durability: string;
  close(): Promise<void>;
}

const WRK_SCRIPT = `
-- Each request queues a run for a distinct issue key; 200s are counted.
local threads = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end
function init(args)
  tid = wrk.thread:get("tid")
  n = 0
  acked = 0
  other = 0
end
function request()
  n = n + 1
  local body = '{"issueKey":"BT' .. tid .. '-' .. n .. '"}'
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["X-Jira-Webhook-Secret"] = "${SECRET}",
  }, body)
end
function response(status, headers, body)
  if status == 200 then acked = acked + 1 else other = other + 1 end
end
function done(summary, latency, requests)
  local a, o = 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("acked")
    o = o + t:get("other")
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"acked":%d,"other":%d,"socketErrors":%d,"durationUs":%d,"p50us":%d,"p99us":%d}\\n',
    a, o, e.connect + e.read + e.write + e.timeout, summary.duration,
    latency:percentile(50.0), latency:percentile(99.0)))
end
`;

async function hasWrk(): Promise<boolean> {
  try {
    return (await Deno.stat(WRK)).isFile;
  } catch {
    return false;
  }
}

async function runWrk(url: string, seconds: number, connections: number, dir: string) {
  const script = `${dir}/intake.lua`;
  await Deno.writeTextFile(script, WRK_SCRIPT);
  const out = await new Deno.Command(WRK, {
    args: ["-t2", `-c${connections}`, `-d${seconds}s`, "--timeout", "5s", "-s", script, url],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const line = text.split("\n").find((l) => l.startsWith("WRK_RESULT "));
  if (!out.success || !line) {
    throw new Error(`wrk failed: ${text}\n${new TextDecoder().decode(out.stderr)}`);
  }
  const r = JSON.parse(line.slice("WRK_RESULT ".length));
  return {
    tool: "wrk" as const,
    seconds: r.durationUs / 1e6,
    acked: r.acked,
    other: r.other + r.socketErrors,
    p50ms: r.p50us / 1000,
    p99ms: r.p99us / 1000,
  };
}

/** Fallback load generator: `connections` concurrent fetch loops. */
async function runFetchLoad(url: string, seconds: number, connections: number) {
  const latencies: number[] = [];
  let acked = 0, other = 0;
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(Array.from({ length: connections }, async (_, worker) => {
    for (let n = 1; performance.now() < until; n++) {
      const t0 = performance.now();
      try {
        const res = await fetch(url, {
          method: "POST",
          headers: { "Content-Type": "application/json", "X-Jira-Webhook-Secret": SECRET },
          body: JSON.stringify({ issueKey: `BF${worker + 1}-${n}` }),
        });
        await res.body?.cancel();
        if (res.status === 200) acked++;
        else other++;
      } catch {
        other++;
      }
      latencies.push(performance.now() - t0);
    }
  }));
  latencies.sort((a, b) => a - b);
  const at = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  return {
    tool: "fetch" as const,
    seconds: (performance.now() - started) / 1000,
    acked,
    other,
    p50ms: at(0.5),
    p99ms: at(0.99),
  };
}

async function countRunRequested(store: SqliteStore | PostgresStore): Promise<number> {
  let count = 0;
  let after = 0;
  while (true) {
    const page = await store.readAllRaw(after, 10_000);
    if (page.length === 0) return count;
    for (const e of page) if (e.type === "RunRequested") count++;
    after = page[page.length - 1].position;
  }
}

function histogramMedianMs(text: string): number | null {
  const buckets = [...text.matchAll(/^event_store_append_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm)]
    .map((m) => ({ le: m[1] === "+Inf" ? Infinity : Number(m[1]), n: Number(m[2]) }));
  const total = buckets.at(-1)?.n ?? 0;
  if (total === 0) return null;
  const b = buckets.find((x) => x.n >= total / 2);
  return b && Number.isFinite(b.le) ? b.le * 1000 : null;
}

/** A SQLite file in `dir` (WAL, synchronous=FULL). */
function sqliteBenchStore(dir: string, groupCommit: boolean): BenchStore {
  const store = openSqliteStore(`${dir}/runner.db`, { groupCommit });
  const pragmas = store.pragmas();
  return {
    store,
    durability: `synchronous=${pragmas.synchronous === 2 ? "FULL" : pragmas.synchronous}, ` +
      `journal=${pragmas.journalMode}`,
    close: () => store.close(),
  };
}

/** A fresh database on `server`, with the server's durability settings as it reports them. */
async function postgresBenchStore(server: PostgresServer): Promise<BenchStore> {
  const url = await server.createDatabase();
  const store = await openPostgresStore(url);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  let durability: string;
  try {
    const [fsync] = await sql`SHOW fsync`;
    const [commit] = await sql`SHOW synchronous_commit`;
    durability = `fsync=${fsync.fsync}, synchronous_commit=${commit.synchronous_commit}`;
  } finally {
    await sql.end({ timeout: 5 });
  }
  return {
    store,
    durability,
    async close() {
      await store.close();
      await server.dropDatabase(url).catch(() => {});
    },
  };
}

async function runVariant(
  label: string,
  open: (dir: string) => BenchStore | Promise<BenchStore>,
  seconds: number,
  connections: number,
  useWrk: boolean,
): Promise<VariantResult> {
  const dir = await Deno.makeTempDir({ prefix: "intake-bench-" });
  const bench = await open(dir);
  const store = bench.store;
  // Access logs are built (JSON + redaction) at info level, then discarded.
  const logger = new JsonLogger({ level: "info", sink: () => {} });
  const metrics = createMetrics();
  const app = createApp({
    store,
    logger,
    metrics,
    options: {
      jiraWebhookSecret: SECRET,
      githubWebhookSecret: SECRET,
      aiAccountId: "bench-ai",
      rateLimit: { perSecond: 1e9, burst: 1e9 },
    },
  });
  const server = await startServer({ app, port: 0, shutdownSignals: [] });
  try {
    const url = `${server.url}/jira/webhook`;
    const load = useWrk
      ? await runWrk(url, seconds, connections, dir)
      : await runFetchLoad(url, seconds, connections);
    await server.shutdown();
    const stored = await countRunRequested(store);
    const metricsText = metrics.registry.expose();
    return {
      ...load,
      label,
      ackedPerSecond: load.acked / load.seconds,
      stored,
      missing: Math.max(0, load.acked - stored),
      durability: bench.durability,
      appendP50ms: histogramMedianMs(metricsText),
      rssAfterMb: Deno.memoryUsage().rss / 2 ** 20,
    };
  } finally {
    await server.shutdown();
    await bench.close();
    await Deno.remove(dir, { recursive: true });
  }
}

function variantLine(r: VariantResult): string {
  return `intake ${r.label}: ${fmt(r.ackedPerSecond, 0)} acked/s, p50 ${fmt(r.p50ms, 2)} ms, ` +
    `p99 ${fmt(r.p99ms, 2)} ms, acked ${r.acked}, other ${r.other}, stored ${r.stored}, ` +
    `missing ${r.missing} (${r.durability}, append p50 <= ${r.appendP50ms ?? "?"} ms, ` +
    `bench process RSS ${fmt(r.rssAfterMb, 0)} MB)`;
}

/** Starts the server in a child process, warms it up, idles, and reads its RSS. */
async function idleRssMb(): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "intake-bench-rss-" });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, "--serve", `${dir}/runner.db`],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  try {
    let text = "";
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the server child ended early");
      text += value;
    }
    const url = text.split("\n")[0].replace("LISTENING ", "").trim();
    for (let i = 1; i <= 20; i++) {
      const res = await fetch(`${url}/jira/webhook`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Jira-Webhook-Secret": SECRET },
        body: JSON.stringify({ issueKey: `IDLE-${i}` }),
      });
      await res.body?.cancel();
    }
    await (await fetch(`${url}/metrics`)).body?.cancel();
    await new Promise((r) => setTimeout(r, 1000));
    const status = await Deno.readTextFile(`/proc/${child.pid}/status`);
    const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
    return kb / 1024;
  } finally {
    child.kill("SIGTERM");
    await reader.cancel().catch(() => {});
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
}

/** Serves the intake on a free loopback port over `db` until SIGTERM (child mode). */
async function serve(db: string): Promise<void> {
  const store = openSqliteStore(db);
  const app = createApp({
    store,
    logger: new JsonLogger({ level: "warn" }),
    metrics: createMetrics(),
    options: { jiraWebhookSecret: SECRET, githubWebhookSecret: SECRET, aiAccountId: "bench-ai" },
  });
  const server = await startServer({ app, port: 0 });
  console.log(`LISTENING ${server.url}`);
  await server.finished;
  await store.close();
}

const fmt = (n: number, digits = 1) => n.toFixed(digits);

/**
 * Runs the intake benchmark and reports each figure as a line: group commit
 * vs. the one-transaction-per-append baseline, zero-loss check, idle RSS.
 */
export async function benchIntake(report: (line: string) => void): Promise<void> {
  const seconds = Number(Deno.env.get("INTAKE_BENCH_SECONDS") ?? 10);
  const connections = Number(Deno.env.get("INTAKE_BENCH_CONNECTIONS") ?? 50);
  const useWrk = await hasWrk();
  report(
    `intake: ${useWrk ? "wrk" : "in-process fetch (wrk not found)"}, ${connections} connections, ` +
      `${seconds} s per variant, distinct issue key per request`,
  );
  const results: VariantResult[] = [];
  for (
    const [label, groupCommit] of [["group commit", true], [
      "baseline (groupCommit: false)",
      false,
    ]] as const
  ) {
    const r = await runVariant(
      label,
      (dir) => sqliteBenchStore(dir, groupCommit),
      seconds,
      connections,
      useWrk,
    );
    results.push(r);
    report(variantLine(r));
  }
  const [group, base] = results;
  report(
    `intake group commit / baseline: ${
      fmt(group.ackedPerSecond / Math.max(1, base.ackedPerSecond), 2)
    }x`,
  );
  const rss = await idleRssMb();
  report(`intake idle server RSS (child process, after 20 requests): ${fmt(rss, 1)} MB`);
  const verdicts = [
    [`>= 10000 acked/s`, group.ackedPerSecond >= 10_000],
    [`p99 < 20 ms`, group.p99ms < 20],
    [`>= 2x baseline`, group.ackedPerSecond >= 2 * base.ackedPerSecond],
    [`zero missing`, group.missing === 0 && base.missing === 0],
    [`idle RSS < 120 MB`, rss < 120],
  ] as const;
  report(
    `intake targets: ${verdicts.map(([t, ok]) => `${t} ${ok ? "met" : "MISSED"}`).join("; ")}`,
  );
  await benchPostgresIntake(report, group, seconds, connections, useWrk);
}

/** The same load with the server on PostgreSQL, against SQLite's group-commit figures. */
async function benchPostgresIntake(
  report: (line: string) => void,
  sqlite: VariantResult,
  seconds: number,
  connections: number,
  useWrk: boolean,
): Promise<void> {
  const server = await startPostgres({ durable: true });
  if (!server) {
    report(
      "intake on PostgreSQL: SKIPPED (no PostgreSQL: set TEST_DATABASE_URL, or install " +
        "initdb/pg_ctl, e.g. Debian's postgresql package)",
    );
    return;
  }
  try {
    const pg = await runVariant(
      `on PostgreSQL (${server.kind} server, group commit)`,
      () => postgresBenchStore(server),
      seconds,
      connections,
      useWrk,
    );
    report(variantLine(pg));
    const ratio = pg.ackedPerSecond / Math.max(1, sqlite.ackedPerSecond);
    report(
      `intake PostgreSQL / SQLite: ${fmt(ratio, 2)}x acked/s, p99 ${fmt(pg.p99ms, 2)} ms vs ` +
        `${fmt(sqlite.p99ms, 2)} ms`,
    );
    const verdicts = [
      [`within 2x of SQLite`, ratio >= 0.5],
      [`zero missing`, pg.missing === 0],
    ] as const;
    report(
      `intake PostgreSQL targets: ${
        verdicts.map(([t, ok]) => `${t} ${ok ? "met" : "MISSED"}`).join("; ")
      }`,
    );
  } finally {
    await server.stop();
  }
}

if (import.meta.main) {
  const i = Deno.args.indexOf("--serve");
  if (i >= 0) await serve(Deno.args[i + 1]);
  else await benchIntake((line) => console.log(line));
}
