/**
 * The decider's `RetryRun`: given/when/then. An operator may retry the latest
 * run of an issue when it failed, or when it ended without its Jira hand-over
 * (no run comment recorded); never while another run is active or queued, never
 * an earlier run, never a run that succeeded normally or was cancelled.
 *
 * @module
 */
import type { DomainEvent } from "../../domain/events.ts";
import type { RetryRun } from "../../domain/run/commands.ts";
import { given } from "../support/decider_spec.ts";

const KEY = "MWC-9";
const T0 = "2026-11-23T10:00:00.000Z";
const at = (s: number) => new Date(Date.parse(T0) + s * 1000).toISOString();
const operator = { displayName: "ops on host-1" };

const requested = (runId: string, deliveryId = `d-${runId}`): DomainEvent => ({
  type: "RunRequested",
  data: {
    runId,
    issueKey: KEY,
    deliveryId,
    source: "jira",
    requestedBy: null,
    requestedAt: at(0),
  },
});
const claimed = (runId: string): DomainEvent => ({
  type: "RunClaimed",
  data: { runId, workerId: "w1", leaseId: `L-${runId}`, leaseExpiresAt: at(60), attempt: 1 },
});
const failed = (runId: string, step = "generate_changes"): DomainEvent => ({
  type: "RunFailed",
  data: { runId, step, reason: "boom", kind: "permanent" },
});
const commented = (runId: string): DomainEvent => ({
  type: "JiraCommented",
  data: { runId, commentId: "10001", purpose: "result" },
});
const succeeded = (runId: string): DomainEvent => ({
  type: "RunSucceeded",
  data: { runId, outcome: "pr_opened", summary: "done" },
});
const cancelled = (runId: string): DomainEvent => ({
  type: "RunCancelled",
  data: { runId, reason: "stop", cancelledBy: null },
});

const retry = (extra: Partial<RetryRun> = {}): RetryRun => ({
  type: "RetryRun",
  issueKey: KEY,
  runId: "r-new",
  deliveryId: "retry:1",
  source: "cli",
  requestedBy: operator,
  now: at(100),
  ...extra,
});
const retried = (retryOf: string): DomainEvent => ({
  type: "RunRequested",
  data: {
    runId: "r-new",
    issueKey: KEY,
    deliveryId: "retry:1",
    source: "cli",
    requestedBy: operator,
    requestedAt: at(100),
    retryOf,
  },
});

Deno.test("retry: a failed latest run queues a new run that names it", () => {
  given(requested("r1"), claimed("r1"), failed("r1")).when(retry()).then(retried("r1"));
  given(requested("r1"), claimed("r1"), failed("r1"))
    .when(retry({ retryOf: "r1" }))
    .then(retried("r1"));
});

Deno.test("retry: a run that succeeded without its Jira comment (hand-over failed) is retryable", () => {
  given(requested("r1"), claimed("r1"), succeeded("r1")).when(retry()).then(retried("r1"));
});

Deno.test("retry: a run that succeeded with its Jira comment is not retryable", () => {
  given(requested("r1"), claimed("r1"), commented("r1"), succeeded("r1"))
    .when(retry())
    .thenError("not_retryable");
});

Deno.test("retry: a cancelled run is not retryable (request a new run instead)", () => {
  given(requested("r1"), cancelled("r1")).when(retry()).thenError("not_retryable");
});

Deno.test("retry: refused while a run is queued or active", () => {
  given(requested("r1"), claimed("r1"), failed("r1"), requested("r2"))
    .when(retry({ retryOf: "r1" }))
    .thenError("issue_busy");
  given(requested("r1"), claimed("r1")).when(retry()).thenError("issue_busy");
});

Deno.test("retry: an earlier run followed by a later one is refused", () => {
  given(
    requested("r1"),
    claimed("r1"),
    failed("r1"),
    requested("r2"),
    claimed("r2"),
    failed("r2"),
  ).when(retry({ retryOf: "r1" })).thenError("not_retryable");
});

Deno.test("retry: unknown run or empty issue is refused", () => {
  given().when(retry()).thenError("run_not_found");
  given(requested("r1"), claimed("r1"), failed("r1"))
    .when(retry({ retryOf: "nope" }))
    .thenError("run_not_found");
});

Deno.test("retry: the same retry request twice queues one run", () => {
  given(requested("r1"), claimed("r1"), failed("r1"), retried("r1"))
    .when(retry())
    .thenNothing();
});

Deno.test("retry: a stream of another issue is refused", () => {
  given(requested("r1"), claimed("r1"), failed("r1"))
    .when(retry({ issueKey: "OTHER-1" }))
    .thenError("issue_mismatch");
});

Deno.test("extend lease: the heartbeat's progress is recorded with it; without one, none", () => {
  const progress = { turns: 3, toolCalls: 7, inputTokens: 1200, outputTokens: 340, costUsd: 0.01 };
  const extend = {
    type: "ExtendLease" as const,
    runId: "r1",
    leaseId: "L-r1",
    leaseMs: 60_000,
    now: at(10),
  };
  given(requested("r1"), claimed("r1")).when({ ...extend, progress }).then({
    type: "RunLeaseExtended",
    data: { runId: "r1", leaseId: "L-r1", leaseExpiresAt: at(70), progress },
  });
  given(requested("r1"), claimed("r1")).when(extend).then({
    type: "RunLeaseExtended",
    data: { runId: "r1", leaseId: "L-r1", leaseExpiresAt: at(70) },
  });
});
