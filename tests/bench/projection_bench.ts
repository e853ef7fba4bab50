/**
 * Projection rebuild speed: a log of realistic run histories (1,000,000 events
 * by default) folded from scratch into the `runs`, `issues` and `queue` read
 * models, reported as events/s with peak RSS.
 *
 * @module
 */
import { openSqliteStore } from "../../adapters/eventstore/sqlite/mod.ts";
import type { NewEvent } from "../../domain/ports/event_store.ts";
import { ALL_PROJECTIONS } from "../../projections/mod.ts";
import { Projector } from "../../projections/projector.ts";

const T0 = Date.parse("2026-11-23T10:00:00.000Z");
const iso = (s: number) => new Date(T0 + s * 1000).toISOString();

/** One issue's history: two runs, ten events, as the worker would write them. */
function history(key: string): NewEvent[] {
  const meta = (runId: string) => ({ actor: "worker:bench", correlationId: runId });
  const r1 = `${key}-r1`;
  return [
    {
      type: "RunRequested",
      data: {
        runId: r1,
        issueKey: key,
        deliveryId: `${key}-d1`,
        source: "jira",
        requestedBy: { accountId: "acc-leigh", displayName: "Leigh" },
        requestedAt: iso(0),
      },
      metadata: { actor: "jira:acc-leigh", correlationId: r1, deliveryId: `${key}-d1` },
    },
    {
      type: "RunClaimed",
      data: {
        runId: r1,
        workerId: "w1",
        leaseId: `${key}-L1`,
        leaseExpiresAt: iso(60),
        attempt: 1,
      },
      metadata: meta(r1),
    },
    {
      type: "IssueFetched",
      data: {
        runId: r1,
        summary: `Fix the docs of ${key}`,
        status: "In Progress",
        labels: ["docs"],
        components: [],
        assigneeAccountId: "acc-ai",
        commentCount: 2,
        feedbackCommentIds: [],
      },
      metadata: meta(r1),
    },
    {
      type: "WorkspacePrepared",
      data: {
        runId: r1,
        repoId: "online-docs",
        github: "acme/online-docs",
        branch: `ai/${key}`,
        baseBranch: "main",
        startSha: "a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0",
        continued: false,
      },
      metadata: meta(r1),
    },
    {
      type: "ChangesGenerated",
      data: {
        runId: r1,
        summary: "Fix a typo in the install guide",
        filesChanged: ["docs/install.md"],
        turns: 4,
        usage: { inputTokens: 12_000, outputTokens: 900 },
        provider: "anthropic",
        model: "claude-sonnet-4-5",
      },
      metadata: meta(r1),
    },
    {
      type: "ValidationCompleted",
      data: { runId: r1, passed: true, commands: [], repairs: 0 },
      metadata: meta(r1),
    },
    {
      type: "PullRequestOpened",
      data: {
        runId: r1,
        number: 7,
        url: "https://github.com/acme/online-docs/pull/7",
        draft: false,
        head: `ai/${key}`,
        base: "main",
      },
      metadata: meta(r1),
    },
    {
      type: "JiraCommented",
      data: { runId: r1, commentId: "10001", purpose: "result" },
      metadata: meta(r1),
    },
    {
      type: "RunSucceeded",
      data: { runId: r1, outcome: "pr_opened", summary: "Fix a typo" },
      metadata: meta(r1),
    },
    {
      type: "PrMerged",
      data: {
        deliveryId: `${key}-gh`,
        number: 7,
        url: "https://github.com/acme/online-docs/pull/7",
        mergeSha: "b1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0",
        mergedBy: "leigh",
        mergedAt: iso(600),
      },
      metadata: { actor: "github:leigh", deliveryId: `${key}-gh` },
    },
  ];
}

function rssMiB(): number {
  return Deno.memoryUsage().rss / 2 ** 20;
}

/** Writes `events` events and rebuilds every projection from them. */
export async function benchProjections(
  report: (line: string) => void,
  events = Number(Deno.env.get("BENCH_PROJECTION_EVENTS") ?? 1_000_000),
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "bench-projections-" });
  const store = openSqliteStore(`${dir}/runner.db`);
  let peak = rssMiB();
  try {
    const issues = Math.ceil(events / 10);
    const writeStart = performance.now();
    const inFlight: Promise<unknown>[] = [];
    for (let i = 1; i <= issues; i++) {
      inFlight.push(store.append(`issue-BENCH-${i}`, "no_stream", history(`BENCH-${i}`)));
      if (inFlight.length >= 256) {
        await Promise.all(inFlight.splice(0));
        peak = Math.max(peak, rssMiB());
      }
    }
    await Promise.all(inFlight);
    const written = await store.headPosition();
    const writeSeconds = (performance.now() - writeStart) / 1000;
    report(
      `projection setup: ${written.toLocaleString("en")} events written in ` +
        `${writeSeconds.toFixed(1)} s (${
          Math.round(written / writeSeconds).toLocaleString("en")
        } events/s, ` +
        `10 events per append)`,
    );

    const projector = new Projector(store, store, [...ALL_PROJECTIONS], {
      batchSize: 5_000,
      onProgress: () => {
        peak = Math.max(peak, rssMiB());
      },
    });
    const started = performance.now();
    const reached = await projector.rebuild();
    const seconds = (performance.now() - started) / 1000;
    const rate = Math.round(reached / seconds);
    report(
      `projection rebuild (runs, issues, queue) over ${reached.toLocaleString("en")} events: ` +
        `${seconds.toFixed(1)} s, ${rate.toLocaleString("en")} events/s ` +
        `(target ≥ 100,000: ${rate >= 100_000 ? "met" : "NOT met"}); ` +
        `${(await store.count("runs")).toLocaleString("en")} runs, ` +
        `${(await store.count("issues")).toLocaleString("en")} issues`,
    );
    report(`projection bench peak RSS: ${peak.toFixed(0)} MiB`);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  await benchProjections((line) => console.log(line));
}
