/**
 * One attention rule, in the `runs` read model and the audit story alike: a
 * failed run needs attention; a run that ended without its Jira comment is a
 * failed hand-over; a draft PR is flagged and not a plain success; a
 * cancelled run or a completion run that rightly posted nothing is not; and a
 * run an operator retried hands its attention on to the retry.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { DomainEvent, RecordedEvent } from "../../domain/events.ts";
import { attentionOf } from "../../projections/attention.ts";
import { evolveStory, type IssueStory } from "../../projections/issue_story.ts";
import { type RunDoc, runsProjection } from "../../projections/runs.ts";

const KEY = "OPS-3";
const T0 = Date.parse("2026-11-23T10:00:00.000Z");

function recorded(events: DomainEvent[]): RecordedEvent[] {
  return events.map((e, i) =>
    ({
      ...e,
      stream: `issue-${KEY}`,
      version: i + 1,
      position: i + 1,
      schemaVersion: 1,
      metadata: { actor: "test" },
      recordedAt: new Date(T0 + i * 1000).toISOString(),
      hash: "x",
    }) as RecordedEvent
  );
}

function fold(events: DomainEvent[]): { runs: Map<string, RunDoc>; story: IssueStory } {
  const runs = new Map<string, RunDoc>();
  let story: IssueStory | null = null;
  for (const e of recorded(events)) {
    for (const id of runsProjection.keys(e)) {
      const next = runsProjection.evolve(runs.get(id) ?? null, e, id);
      if (next) runs.set(id, next);
    }
    story = evolveStory(story, e, KEY);
  }
  return { runs, story: story! };
}

const requested = (runId: string, retryOf?: string): DomainEvent => ({
  type: "RunRequested",
  data: {
    runId,
    issueKey: KEY,
    deliveryId: `d-${runId}`,
    source: retryOf ? "cli" : "jira",
    requestedBy: null,
    requestedAt: new Date(T0).toISOString(),
    ...(retryOf ? { retryOf } : {}),
  },
});
const claimed = (runId: string): DomainEvent => ({
  type: "RunClaimed",
  data: {
    runId,
    workerId: "w",
    leaseId: `L-${runId}`,
    leaseExpiresAt: "2030-01-01T00:00:00.000Z",
    attempt: 1,
  },
});
const failed = (runId: string, step = "jira_comment"): DomainEvent => ({
  type: "RunFailed",
  data: { runId, step, reason: "Jira answered 403", kind: "permanent" },
});

Deno.test("attention: the rule", () => {
  const base = { kind: "change", jiraCommented: true, draft: false };
  assert.deepEqual(attentionOf({ ...base, status: "succeeded" }), []);
  assert.deepEqual(attentionOf({ ...base, status: "failed" }), ["failed"]);
  assert.deepEqual(attentionOf({ ...base, status: "failed", jiraCommented: false }), [
    "failed",
    "jira_handover_failed",
  ]);
  assert.deepEqual(attentionOf({ ...base, status: "succeeded", jiraCommented: false }), [
    "jira_handover_failed",
  ]);
  assert.deepEqual(attentionOf({ ...base, status: "succeeded", draft: true }), ["draft_pr"]);
  assert.deepEqual(attentionOf({ ...base, status: "cancelled", jiraCommented: false }), []);
  assert.deepEqual(
    attentionOf({ ...base, kind: "completion", status: "succeeded", jiraCommented: false }),
    [],
    "a completion run may end without a comment (the ticket was already Done)",
  );
  assert.deepEqual(attentionOf({ ...base, status: "claimed", jiraCommented: false }), []);
});

Deno.test("attention: the read model and the audit story agree; a retry takes it over", () => {
  const before = fold([requested("r1"), claimed("r1"), failed("r1")]);
  assert.deepEqual(before.runs.get("r1")?.attention, ["failed", "jira_handover_failed"]);
  assert.equal(before.runs.get("r1")?.needsAttention, true);
  assert.deepEqual(before.story.runs[0].attention, ["failed", "jira_handover_failed"]);
  assert.equal(before.story.runs[0].status, "failed", "the decider's word");

  const after = fold([requested("r1"), claimed("r1"), failed("r1"), requested("r2", "r1")]);
  assert.deepEqual(after.runs.get("r1")?.attention, []);
  assert.equal(after.runs.get("r1")?.needsAttention, false);
  assert.equal(after.runs.get("r1")?.retriedBy, "r2");
  assert.equal(after.runs.get("r2")?.retryOf, "r1");
  assert.deepEqual(after.story.runs[0].attention, []);
  assert.equal(after.story.runs[0].retriedBy, "r2");
  assert.equal(after.story.runs[1].retryOf, "r1");
  assert.equal(after.runs.get("r1")?.status, "failed", "history is not rewritten");
});

Deno.test("attention: a claimed run is 'claimed' in both (one status vocabulary)", () => {
  const { runs, story } = fold([requested("r1"), claimed("r1")]);
  assert.equal(runs.get("r1")?.status, "claimed");
  assert.equal(story.runs[0].status, "claimed");
  assert.equal(story.accountability.runs[0].status, "claimed");
});
