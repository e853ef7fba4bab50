import { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { DomainEvent, RecordedEvent } from "../../domain/events.ts";
import { evolveIssue } from "../../projections/issues.ts";
import { evolveQueue, type QueueDoc } from "../../projections/queue.ts";
import { evolveRun, type RunDoc } from "../../projections/runs.ts";

const T0 = Date.parse("2026-11-23T10:00:00.000Z");
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

let position = 0;
function recorded(e: DomainEvent, seconds: number, stream = "issue-MWC-1"): RecordedEvent {
  position++;
  return {
    ...e,
    position,
    stream,
    version: position,
    schemaVersion: 1,
    metadata: { actor: "test" },
    recordedAt: at(seconds),
    hash: "0".repeat(64),
  } as RecordedEvent;
}

const requested = (runId: string, s: number) =>
  recorded({
    type: "RunRequested",
    data: {
      runId,
      issueKey: "MWC-1",
      deliveryId: `d-${runId}`,
      source: "jira",
      requestedBy: null,
      requestedAt: at(s),
    },
  }, s);
const claimed = (runId: string, s: number, attempt = 1) =>
  recorded({
    type: "RunClaimed",
    data: { runId, workerId: "w1", leaseId: `L${s}`, leaseExpiresAt: at(s + 60), attempt },
  }, s);
const succeeded = (runId: string, s: number) =>
  recorded({ type: "RunSucceeded", data: { runId, outcome: "pr_opened", summary: "ok" } }, s);

function foldQueue(events: RecordedEvent[]): QueueDoc | null {
  return events.reduce<QueueDoc | null>((doc, e) => evolveQueue(doc, e, "MWC-1"), null);
}

Deno.test("queue: a queued run is available from its request time", () => {
  const doc = foldQueue([requested("r1", 0)]);
  assertEquals(doc?.runId, "r1");
  assertEquals(doc?.availableAt, at(0));
  assertEquals(doc?.reason, "queued");
});

Deno.test("queue: a claimed run is available again only when its lease expires", () => {
  const doc = foldQueue([requested("r1", 0), claimed("r1", 5), requested("r2", 10)]);
  assertEquals(doc?.runId, "r1");
  assertEquals(doc?.availableAt, at(65));
  assertEquals(doc?.reason, "lease_expiry");
  assertEquals(doc?.queued?.runId, "r2");
});

Deno.test("queue: a retry is available at its notBefore time", () => {
  const doc = foldQueue([
    requested("r1", 0),
    claimed("r1", 5),
    recorded({
      type: "RunRetryScheduled",
      data: { runId: "r1", step: "push", reason: "503", retry: 1, notBefore: at(40) },
    }, 6),
  ]);
  assertEquals(doc?.reason, "retry");
  assertEquals(doc?.availableAt, at(40));
});

Deno.test("queue: the queued run moves up when the active one ends; empty issues leave", () => {
  const history = [requested("r1", 0), claimed("r1", 5), requested("r2", 10), succeeded("r1", 20)];
  const doc = foldQueue(history);
  assertEquals(doc?.runId, "r2");
  assertEquals(doc?.availableAt, at(10));
  assertEquals(foldQueue([...history, claimed("r2", 21), succeeded("r2", 30)]), null);
});

Deno.test("runs: status, attempt, tokens, PR, duration and last error are folded", () => {
  let doc: RunDoc | null = null;
  const events = [
    requested("r1", 0),
    claimed("r1", 5),
    recorded({
      type: "ChangesGenerated",
      data: {
        runId: "r1",
        summary: "Fixed",
        filesChanged: ["a.md"],
        turns: 3,
        usage: { inputTokens: 100, outputTokens: 20 },
        provider: "anthropic",
        model: "m",
      },
    }, 6),
    recorded({
      type: "PullRequestOpened",
      data: {
        runId: "r1",
        number: 4,
        url: "https://github.com/a/b/pull/4",
        draft: false,
        head: "ai/MWC-1",
        base: "main",
      },
    }, 7),
    recorded({
      type: "RunFailed",
      data: { runId: "r1", step: "jira_comment", reason: "401", kind: "permanent" },
    }, 30),
  ];
  for (const e of events) doc = evolveRun(doc, e);
  assertEquals(doc?.status, "failed");
  assertEquals(doc?.attempt, 1);
  assertEquals(doc?.tokens, { input: 100, output: 20 });
  assertEquals(doc?.pr, { number: 4, url: "https://github.com/a/b/pull/4" });
  assertEquals(doc?.durationMs, 30_000);
  assertEquals(doc?.lastError, { step: "jira_comment", reason: "401", kind: "permanent" });
  assertEquals(doc?.steps, ["ChangesGenerated", "PullRequestOpened"]);
});

Deno.test("issues: active and queued runs, last outcome and PR state", () => {
  const events = [
    requested("r1", 0),
    claimed("r1", 5),
    requested("r2", 10),
    succeeded("r1", 20),
    recorded({
      type: "PrMerged",
      data: {
        deliveryId: "g1",
        number: 4,
        url: "https://github.com/a/b/pull/4",
        mergeSha: "abcdef1",
        mergedBy: "leigh",
        mergedAt: at(50),
      },
    }, 50),
  ];
  const doc = events.reduce<ReturnType<typeof evolveIssue> | null>(
    (d, e) => evolveIssue(d, e, "MWC-1"),
    null,
  );
  assertEquals(doc?.activeRunId, null);
  assertEquals(doc?.queuedRunId, "r2");
  assertEquals(doc?.runCount, 2);
  assertEquals(doc?.lastOutcome, "succeeded");
  assertEquals(doc?.pr?.state, "merged");
});
