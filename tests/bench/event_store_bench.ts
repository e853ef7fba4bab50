/**
 * Benchmark of the SQLite event store: append throughput with group commit
 * against one transaction per append (both `synchronous=FULL`), with 1 and
 * with 64 concurrent appenders; `readAll` throughput over 200k events; the
 * audit's speed; peak RSS. Runs on temp files; about 15–30 s.
 *
 * `deno run -A tests/bench/event_store_bench.ts`
 *
 * @module
 */
import { join } from "node:path";
import { openSqliteStore, type SqliteStore } from "../../adapters/eventstore/sqlite/mod.ts";
import { issueStream } from "../../domain/events.ts";
import type { NewEvent } from "../../domain/ports/event_store.ts";
import { verifyLog } from "../../domain/verify_log.ts";

/** A `RunRequested` as the Jira webhook would append it. */
function runRequested(issue: number, n: number): NewEvent {
  const deliveryId = `jira-${issue}-${n}-8f14e45fceea167a5a36dedd4bea2543`;
  const runId = crypto.randomUUID();
  return {
    type: "RunRequested",
    data: {
      runId,
      issueKey: `MWC-${issue}`,
      deliveryId,
      source: "jira",
      requestedBy: {
        accountId: "712020:5b10ac8d-82e0-5b22-cc7d-4ef5a1b2c3d4",
        displayName: "Leigh Reviewer",
      },
      requestedAt: new Date().toISOString(),
    },
    metadata: { actor: "jira:712020:5b10ac8d", correlationId: runId, deliveryId },
  };
}

/** Samples the process's resident set size. */
class RssSampler {
  peak = Deno.memoryUsage().rss;
  #timer = setInterval(() => this.sample(), 25);
  sample(): void {
    this.peak = Math.max(this.peak, Deno.memoryUsage().rss);
  }
  stop(): void {
    clearInterval(this.#timer);
    this.sample();
  }
}

/** `appenders` concurrent loops, each appending one event at a time to its own stream. */
async function appendRate(
  dir: string,
  name: string,
  groupCommit: boolean,
  appenders: number,
  perAppender: number,
): Promise<number> {
  const store = openSqliteStore(join(dir, `${name}.db`), { groupCommit });
  try {
    const started = performance.now();
    await Promise.all(Array.from({ length: appenders }, async (_, a) => {
      const stream = issueStream(`MWC-${a + 1}`);
      for (let n = 0; n < perAppender; n++) {
        const result = await store.append(stream, n, [runRequested(a + 1, n)]);
        if (!result.ok) throw new Error(`unexpected conflict on ${stream}`);
      }
    }));
    const seconds = (performance.now() - started) / 1000;
    return (appenders * perAppender) / seconds;
  } finally {
    await store.close();
  }
}

async function fill(store: SqliteStore, events: number): Promise<void> {
  const appenders = 50;
  const perAppend = 20;
  const rounds = Math.ceil(events / (appenders * perAppend));
  await Promise.all(Array.from({ length: appenders }, async (_, a) => {
    const stream = issueStream(`MWC-${a + 1}`);
    for (let r = 0; r < rounds; r++) {
      const batch = Array.from(
        { length: perAppend },
        (_, i) => runRequested(a + 1, r * perAppend + i),
      );
      await store.append(stream, "any", batch);
    }
  }));
}

async function scan(read: (after: number) => Promise<{ position: number }[]>): Promise<number> {
  const started = performance.now();
  let after = 0;
  let count = 0;
  for (;;) {
    const page = await read(after);
    if (page.length === 0) break;
    count += page.length;
    after = page[page.length - 1].position;
  }
  return count / ((performance.now() - started) / 1000);
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

/** Runs the event-store benchmark, reporting one line per figure. */
export async function benchEventStore(report: (line: string) => void): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ai-runner-bench-" });
  const rss = new RssSampler();
  try {
    report("event store (SQLite, WAL, synchronous=FULL)");
    // Interleaved, best of two each: fsync latency on shared disks drifts a lot.
    for (const [appenders, grouped, baseline] of [[1, 2000, 2000], [64, 250, 50]] as const) {
      let g = 0;
      let b = 0;
      for (let round = 0; round < 2; round++) {
        g = Math.max(
          g,
          await appendRate(dir, `group-${appenders}-${round}`, true, appenders, grouped),
        );
        b = Math.max(
          b,
          await appendRate(dir, `single-${appenders}-${round}`, false, appenders, baseline),
        );
      }
      report(
        `  appends/s, ${String(appenders).padStart(2)} appender(s): group commit ${fmt(g)}, ` +
          `one tx per append ${fmt(b)}, ratio ${(g / b).toFixed(1)}x`,
      );
    }

    rss.sample();
    const afterAppends = rss.peak;

    const total = 200_000;
    const store = openSqliteStore(join(dir, "read.db"));
    try {
      const filling = performance.now();
      await fill(store, total);
      const head = await store.headPosition();
      report(
        `  filled ${fmt(head)} events (20 per append, 50 appenders) in ` +
          `${((performance.now() - filling) / 1000).toFixed(1)} s`,
      );
      const pageSize = 1000;
      const readAll = await scan((after) => store.readAll(after, pageSize));
      report(`  readAll (upcast + validated), pages of ${pageSize}: ${fmt(readAll)} events/s`);
      const raw = await scan((after) => store.readAllRaw(after, pageSize));
      report(`  readAllRaw, pages of ${pageSize}: ${fmt(raw)} events/s`);
      const auditStart = performance.now();
      const audit = await verifyLog(store);
      const auditRate = audit.checked / ((performance.now() - auditStart) / 1000);
      report(
        `  verifyLog: ${fmt(auditRate)} events/s (${audit.broken ? "BROKEN" : "chain intact"})`,
      );
    } finally {
      await store.close();
    }
    rss.stop();
    report(`  peak RSS: ${mib(rss.peak)} (after the appends: ${mib(afterAppends)})`);
  } finally {
    rss.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  await benchEventStore(console.log);
}
