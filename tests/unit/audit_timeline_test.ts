import assert from "node:assert/strict";
import { formatTimeline, printable } from "../../adapters/cli/audit_format.ts";
import {
  buildTimeline,
  formatDuration,
  type TimelineOptions,
} from "../../projections/issue_story.ts";
import type { RecordedEvent } from "../../domain/events.ts";

const T0 = Date.parse("2025-06-02T09:00:00.000Z");
const REVIEWER = { accountId: "acc-leigh", displayName: "Leigh Reviewer" };

/** A story written by hand: request, claim, steps, a retry, success, review, merge. */
function history(model = "claude-sonnet-4-5"): RecordedEvent[] {
  let position = 0;
  const at = (ms: number) => new Date(T0 + ms).toISOString();
  const e = (type: string, ms: number, data: Record<string, unknown>, actor = "worker:w1") =>
    ({
      type,
      data,
      position: ++position,
      stream: "issue-MWC-7",
      version: position,
      schemaVersion: 1,
      metadata: { actor, correlationId: data.runId as string | undefined },
      recordedAt: at(ms),
      hash: "0".repeat(64),
    }) as unknown as RecordedEvent;
  const run = "run-1";
  return [
    e("RunRequested", 0, {
      runId: run,
      issueKey: "MWC-7",
      deliveryId: "d1",
      source: "jira",
      requestedBy: REVIEWER,
      requestedAt: at(0),
    }, "jira:acc-leigh"),
    e("RunRequestCoalesced", 500, {
      runId: run,
      deliveryId: "d2",
      requestedBy: { accountId: "acc-sam", displayName: "Sam" },
      requestedAt: at(500),
    }, "jira:acc-sam"),
    e("RunClaimed", 2_000, {
      runId: run,
      workerId: "w1",
      leaseId: "L1",
      leaseExpiresAt: at(62_000),
      attempt: 1,
    }),
    e("IssueFetched", 3_000, {
      runId: run,
      summary: "Fix \u001b[31mthe\u001b[0m guide",
      status: "To Do",
      labels: [],
      components: [],
      assigneeAccountId: "acc-ai",
      commentCount: 0,
      feedbackCommentIds: [],
    }),
    e("RunRetryScheduled", 4_000, {
      runId: run,
      step: "prepare_workspace",
      reason: "git fetch timed out",
      retry: 1,
      notBefore: at(9_000),
    }),
    e("RunClaimed", 10_000, {
      runId: run,
      workerId: "w2",
      leaseId: "L2",
      leaseExpiresAt: at(70_000),
      attempt: 2,
    }, "worker:w2"),
    e("WorkspacePrepared", 12_000, {
      runId: run,
      repoId: "docs",
      github: "acme/docs",
      branch: "ai/MWC-7",
      baseBranch: "main",
      startSha: "a".repeat(40),
      continued: false,
    }, "worker:w2"),
    e("ChangesGenerated", 42_000, {
      runId: run,
      summary: "Fix the guide\n\nDetails.",
      filesChanged: ["docs/guide.md", "docs/faq.md"],
      turns: 5,
      usage: { inputTokens: 100_000, outputTokens: 10_000 },
      provider: "anthropic",
      model,
    }, "worker:w2"),
    e("ValidationCompleted", 45_000, {
      runId: run,
      passed: true,
      commands: [{ command: "npm test", exitCode: 0, durationMs: 2_500, timedOut: false }],
      repairs: 1,
    }, "worker:w2"),
    e("PullRequestOpened", 50_000, {
      runId: run,
      number: 12,
      url: "https://github.com/acme/docs/pull/12",
      draft: false,
      head: "ai/MWC-7",
      base: "main",
    }, "worker:w2"),
    e("JiraCommented", 51_000, { runId: run, commentId: "10042", purpose: "result" }, "worker:w2"),
    e("JiraAssigned", 52_000, { runId: run, accountId: "acc-leigh" }, "worker:w2"),
    e("RunSucceeded", 53_000, { runId: run, outcome: "pr_opened", summary: "done" }, "worker:w2"),
    e("PrReviewed", 90_000, {
      deliveryId: "g1",
      number: 12,
      url: "https://github.com/acme/docs/pull/12#pullrequestreview-1",
      reviewer: "sam-gh",
      state: "changes_requested",
      submittedAt: at(89_000),
    }, "github:sam-gh"),
    e("PrReviewed", 95_000, {
      deliveryId: "g2",
      number: 12,
      url: "https://github.com/acme/docs/pull/12#pullrequestreview-2",
      reviewer: "leigh-gh",
      state: "approved",
      submittedAt: at(94_000),
    }, "github:leigh-gh"),
    e("PrMerged", 99_000, {
      deliveryId: "g3",
      number: 12,
      url: "https://github.com/acme/docs/pull/12",
      mergeSha: "b".repeat(40),
      mergedBy: "leigh-gh",
      mergedAt: at(98_000),
    }, "github:leigh-gh"),
  ];
}

function build(events = history(), options?: TimelineOptions) {
  return buildTimeline("MWC-7", events, options);
}

Deno.test("buildTimeline: durations since the latest claim and since the run's previous step", () => {
  const t = build();
  const byType = (type: string, nth = 0) => t.entries.filter((e) => e.type === type)[nth];
  assert.equal(byType("RunRequested").sinceClaimMs, null);
  assert.equal(byType("RunRequested").stepMs, null);
  assert.equal(byType("RunClaimed").sinceClaimMs, 0);
  assert.equal(byType("RunClaimed").stepMs, 1_500);
  assert.equal(byType("IssueFetched").sinceClaimMs, 1_000);
  // The second claim restarts the "since claim" clock.
  assert.equal(byType("RunClaimed", 1).sinceClaimMs, 0);
  assert.equal(byType("ChangesGenerated").sinceClaimMs, 32_000);
  assert.equal(byType("ChangesGenerated").stepMs, 30_000);
  // Issue-level facts belong to no run.
  assert.equal(byType("PrMerged").runId, null);
  assert.equal(byType("PrMerged").stepMs, null);
  assert.deepEqual(t.entries.map((e) => e.position), history().map((e) => e.position));
});

Deno.test("buildTimeline: the run's account, with tokens and an estimated cost", () => {
  const t = build();
  assert.equal(t.runs.length, 1);
  const run = t.runs[0];
  assert.equal(run.requestedBy, "Leigh Reviewer");
  assert.deepEqual(run.coalesced.map((c) => c.by), ["Sam"]);
  assert.equal(run.attempts, 2);
  assert.deepEqual(run.workers, ["w1", "w2"]);
  assert.equal(run.retries, 1);
  assert.equal(run.status, "succeeded");
  assert.equal(run.outcome, "pr_opened");
  assert.equal(run.durationMs, 53_000);
  assert.deepEqual(run.tokens, { input: 100_000, output: 10_000 });
  assert.equal(run.cost?.family, "claude-sonnet-4-5");
  assert.ok(Math.abs(run.cost!.usd - (100_000 * 3 + 10_000 * 15) / 1e6) < 1e-12);
  assert.deepEqual(run.pr, {
    number: 12,
    url: "https://github.com/acme/docs/pull/12",
    action: "opened",
    draft: false,
  });
  assert.equal(run.assignedTo, "Leigh Reviewer", "account ids are shown by name where known");
  assert.equal(run.jiraCommentId, "10042");
  assert.equal(
    run.did,
    "opened PR #12 changing 2 file(s); validation passed",
  );
  assert.equal(t.totals.costUsd, run.cost!.usd);
  assert.deepEqual(t.pr, {
    number: 12,
    url: "https://github.com/acme/docs/pull/12",
    state: "merged",
  });
});

Deno.test("buildTimeline: accountability names who asked, reviewed, approved and merged", () => {
  const feedback = new Map([["run-1", [{
    source: "jira" as const,
    id: "10040",
    displayName: "Leigh Reviewer",
    at: "2025-06-02T08:59:00.000Z",
  }]]]);
  const acc = build(history(), { feedbackAuthors: feedback }).accountability;
  assert.deepEqual(acc.requests.map((r) => [r.runNumber, r.by, r.actor, r.source]), [
    [1, "Leigh Reviewer", "jira:acc-leigh", "jira"],
  ]);
  assert.deepEqual(acc.reviews.map((r) => [r.reviewer, r.state]), [
    ["sam-gh", "changes_requested"],
    ["leigh-gh", "approved"],
  ]);
  assert.deepEqual(acc.approvals.map((r) => r.reviewer), ["leigh-gh"]);
  assert.equal(acc.merged?.by, "leigh-gh");
  assert.equal(acc.merged?.actor, "github:leigh-gh");
  assert.equal(acc.merged?.at, "2025-06-02T09:01:38.000Z");
  assert.deepEqual(acc.feedback.map((f) => [f.runNumber, f.displayName, f.id]), [
    [1, "Leigh Reviewer", "10040"],
  ]);
  assert.equal(acc.closed, null);
});

Deno.test("formatTimeline: readable text with every event, the runs and accountability", () => {
  const lines = formatTimeline(build());
  const text = lines.join("\n");
  assert.equal(
    lines[0],
    'MWC-7  "Fix \\x1b[31mthe\\x1b[0m guide"',
    "terminal escapes are shown, not run",
  );
  assert.ok(!text.includes("\u001b"), "no raw control character reaches the terminal");
  assert.match(
    lines[1],
    /^PR #12 merged · 1 run\(s\) · 16 events · 100,000 in \+ 10,000 out tokens, ~\$0\.45 \(estimate/,
  );
  assert.match(
    text,
    /2025-06-02 09:00:42 {2}8 {6}#1 {3}32\.0 s {5}30\.0 s {5}worker:w2 +changes generated by anthropic\/claude-sonnet-4-5: 2 file\(s\), 5 turn\(s\), 100,000 in \+ 10,000 out tokens \(~\$0\.45 estimate\)/,
  );
  assert.match(text, /validation passed \(npm test: exit 0, 2\.5 s\), 1 repair round\(s\)/);
  assert.match(text, /retry 1 scheduled after prepare_workspace failed: git fetch timed out/);
  assert.match(text, /Jira issue assigned to Leigh Reviewer/);
  assert.match(text, /attempt 2 on w1, w2; 1 retry/);
  assert.match(text, /Reviewed: +PR #12 by sam-gh: changes requested at 2025-06-02 09:01:29/);
  assert.match(text, /Approved: +PR #12 by leigh-gh at 2025-06-02 09:01:34/);
  assert.match(
    text,
    /Merged: +PR #12 by leigh-gh \(github:leigh-gh\) at 2025-06-02 09:01:38, merge commit bbbbbbbbbbbb/,
  );
});

Deno.test("formatTimeline: an unknown model shows tokens only; an unfinished run says so", () => {
  const events = history("my-local-model").slice(0, 9);
  const text = formatTimeline(build(events)).join("\n");
  assert.match(text, /no price known for my-local-model: tokens only/);
  assert.doesNotMatch(text, /\$/);
  assert.match(text, /Did: +run #1: changed 2 file\(s\); validation passed; is in progress/);
  assert.match(text, /Merged: +not merged/);
  assert.match(text, /Reviewed: +no pull-request review recorded/);
});

Deno.test("formatDuration and printable", () => {
  assert.equal(formatDuration(null), "");
  assert.equal(formatDuration(0), "0 ms");
  assert.equal(formatDuration(999), "999 ms");
  assert.equal(formatDuration(1_500), "1.5 s");
  assert.equal(formatDuration(65_000), "1 min 05 s");
  assert.equal(formatDuration(2 * 3600_000 + 3 * 60_000), "2 h 03 min");
  assert.equal(formatDuration(3 * 86_400_000 + 4 * 3600_000), "3 d 4 h");
  assert.equal(printable("a\tb\nc\u0007\u009b"), "a\tb\nc\\x07\\x9b");
});

Deno.test("the timeline shows refused requests and the feedback that was not acted on", () => {
  const at = (ms: number) => new Date(T0 + ms).toISOString();
  const mk = (position: number, type: string, data: Record<string, unknown>, actor: string) =>
    ({
      type,
      data,
      position,
      stream: "issue-MWC-8",
      version: position,
      schemaVersion: 1,
      metadata: { actor },
      recordedAt: at(position * 1000),
      hash: "0".repeat(64),
    }) as unknown as RecordedEvent;
  const mallory = { accountId: "acc-m", displayName: "Mallory" };
  const events = [
    mk(1, "RunRequestRefused", {
      deliveryId: "d1",
      requestedBy: mallory,
      requestedAt: at(1000),
      reason: "Mallory is not among the people allowed to ask AI Runner for work",
      noticeRunId: "n1",
    }, "jira:acc-m"),
    mk(2, "RunRequested", {
      runId: "n1",
      issueKey: "MWC-8",
      deliveryId: "notice:d1",
      source: "jira",
      requestedBy: mallory,
      requestedAt: at(1000),
      kind: "notice",
    }, "jira:acc-m"),
    mk(3, "IssueFetched", {
      runId: "r2",
      summary: "x",
      status: "To Do",
      labels: [],
      components: [],
      assigneeAccountId: null,
      commentCount: 2,
      feedbackCommentIds: [],
      skippedFeedback: [
        { source: "github", id: "review_comment:9", author: "mallory", reason: "no_write_access" },
        { source: "jira", id: "10", author: "Pat Reporter", reason: "untrusted" },
      ],
    }, "worker:w1"),
  ];
  const texts = buildTimeline("MWC-8", events).entries.map((e) => e.text);
  assert.match(texts[0], /request by Mallory REFUSED: Mallory is not among/);
  assert.match(texts[0], /told on Jira/);
  assert.match(texts[1], /^refusal notice requested by Mallory/);
  assert.match(
    texts[2],
    /not acted on: mallory on github \(no write access\), Pat Reporter on jira \(untrusted\)/,
  );
});
