/**
 * `audit <KEY>` and `audit --transcript` on a history recorded by the real
 * worker against the stand-in world: a ticket assigned, worked, sent back with
 * feedback, worked again, approved and merged on GitHub.
 *
 * @module
 */
import assert from "node:assert/strict";
import { timelineCommand, transcriptCommand } from "../../adapters/cli/audit.ts";
import type { IssueTimeline } from "../../projections/issue_story.ts";
import { FAKE_REVIEWER } from "../../adapters/standins/jira_server.ts";
import { PILOT_REPO } from "../../adapters/standins/world.ts";
import { type Loop, startLoop } from "../support/loop.ts";

const TICKET = {
  key: "MWC-1",
  summary: "Fix the typos in the docs",
  description: 'The install guide misspells a word: replace "recieve" with "receive".',
};

/** Two iterations, a review approving the PR, and the merge. */
async function recordHistory(loop: Loop): Promise<void> {
  await loop.assign("MWC-1");
  assert.deepEqual(await loop.drain(), ["succeeded"]);
  loop.world.jira.state.addComment("MWC-1", {
    author: FAKE_REVIEWER.accountId,
    body: 'Thanks! Please also replace "dashbord" with "dashboard".',
  });
  await loop.assign("MWC-1");
  assert.deepEqual(await loop.drain(), ["succeeded"]);
  const [pr] = loop.world.github.pullRequests(PILOT_REPO);
  const review = loop.world.github.addReview(PILOT_REPO, pr.number, {
    user: "leigh-gh",
    state: "APPROVED",
    body: "Ship it.",
  });
  assert.equal((await loop.deliver(review)).status, 200);
  const merge = loop.world.github.mergePullRequest(PILOT_REPO, pr.number, { mergedBy: "leigh-gh" });
  assert.equal((await loop.deliver(merge)).status, 200);
}

async function audit(loop: Loop, json: boolean): Promise<{ ok: boolean; out: string[] }> {
  const out: string[] = [];
  const ok = await timelineCommand(loop.store, "MWC-1", json, (line) => out.push(line));
  return { ok, out };
}

Deno.test("audit <KEY>: timeline, runs and accountability from a recorded history", async () => {
  await using loop = await startLoop({ issues: [TICKET] });
  await recordHistory(loop);
  const events = await loop.events("MWC-1");

  const { ok, out } = await audit(loop, false);
  assert.equal(ok, true);
  const text = out.join("\n");
  // Heading: the issue, its summary, the merged PR.
  assert.match(out[0], /^MWC-1 {2}"Fix the typos in the docs"$/);
  assert.match(out[1], /PR #1 merged/);
  // Every event is a line of the timeline, with its position and actor.
  for (const e of events) {
    const line = out.find((l) => new RegExp(`^ {2}\\S+ \\S+ {2}${e.position} `).test(l));
    assert.ok(line, `no timeline line for position ${e.position} (${e.type})`);
    assert.ok(line.includes(e.metadata.actor), `line of ${e.position} names its actor`);
  }
  assert.match(text, /run requested by Leigh Reviewer \(jira\)/);
  assert.match(text, /claimed by worker-\d+ \(attempt 1\)/);
  assert.match(text, /validation passed \(sh scripts\/check\.sh: exit 0, /);
  assert.match(text, /PR #1 opened: http/);
  assert.match(text, /PR #1 updated: http/);
  assert.match(text, /PR #1 reviewed by leigh-gh: approved/);
  assert.match(text, /PR #1 merged by leigh-gh/);
  // The fake model has no list price: tokens only, said plainly.
  assert.match(text, /no price known for claude-fake: tokens only/);
  // Accountability.
  const acc = text.slice(text.indexOf("\nAccountability"));
  assert.match(acc, /Requested: +run #1 by Leigh Reviewer \(jira:5f1a2b3c4d5e6f0000b2002, jira\)/);
  assert.match(acc, /Requested: +run #2 by Leigh Reviewer/);
  assert.match(
    acc,
    /Did: +run #1: opened PR #1 changing 1 file\(s\); validation passed; moved the issue to In Testing/,
  );
  assert.match(acc, /Did: +run #2: updated PR #1 changing \d file\(s\)/);
  assert.match(acc, /Feedback: +run #2 acted on feedback from Leigh Reviewer \(Jira comment \d+\)/);
  assert.match(acc, /Reviewed: +PR #1 by leigh-gh: approved/);
  assert.match(acc, /Approved: +PR #1 by leigh-gh/);
  assert.match(acc, /Merged: +PR #1 by leigh-gh \(github:leigh-gh\)/);
});

Deno.test("audit <KEY> --json: the same story for machines, with step durations", async () => {
  await using loop = await startLoop({ issues: [TICKET] });
  await recordHistory(loop);
  const events = await loop.events("MWC-1");
  const { ok, out } = await audit(loop, true);
  assert.equal(ok, true);
  const t = JSON.parse(out.join("\n")) as IssueTimeline & { costLabel: string };
  assert.equal(t.issueKey, "MWC-1");
  assert.equal(t.eventCount, events.length);
  assert.deepEqual(t.entries.map((e) => e.position), events.map((e) => e.position));
  const changeRuns = t.runs.filter((r) => r.kind === "change");
  assert.equal(changeRuns.length, 2);
  const [first, second] = changeRuns;
  assert.equal(first.status, "succeeded");
  assert.equal(first.outcome, "pr_opened");
  assert.equal(second.outcome, "pr_updated");
  assert.equal(first.model, "claude-fake");
  assert.equal(first.cost, null, "no price for an unknown model");
  assert.ok(first.tokens.input > 0 && first.tokens.output > 0);
  assert.deepEqual(first.validation?.commands.map((c) => c.exitCode), [0]);
  assert.equal(t.totals.costUsd, null);
  assert.equal(t.totals.tokens.input, changeRuns.reduce((n, r) => n + r.tokens.input, 0));
  // Durations: a claimed run's later steps are measured from the claim and from the step before.
  const claimed = t.entries.find((e) => e.type === "RunClaimed" && e.runId === first.runId)!;
  assert.equal(claimed.sinceClaimMs, 0);
  const succeeded = t.entries.find((e) => e.type === "RunSucceeded" && e.runId === first.runId)!;
  const expected = Date.parse(succeeded.at) - Date.parse(claimed.at);
  assert.equal(succeeded.sinceClaimMs, expected);
  assert.ok(succeeded.stepMs !== null && succeeded.stepMs <= expected);
  // Issue-level facts belong to no run.
  const merged = t.entries.find((e) => e.type === "PrMerged")!;
  assert.equal(merged.runId, null);
  assert.equal(t.accountability.merged?.by, "leigh-gh");
  assert.deepEqual(t.accountability.approvals.map((a) => a.reviewer), ["leigh-gh"]);
  assert.deepEqual(
    t.accountability.feedback.map((f) => [f.runNumber, f.source, f.displayName]),
    [[2, "jira", "Leigh Reviewer"]],
  );
  assert.match(t.costLabel, /estimate/);
});

Deno.test("audit <KEY>: an issue without events says so and fails", async () => {
  await using loop = await startLoop({ issues: [TICKET] });
  const { ok, out } = await audit(loop, false);
  assert.equal(ok, false);
  assert.deepEqual(out, ["no events for MWC-1"]);
  await assert.rejects(
    timelineCommand(loop.store, "not-a-key", false, () => {}),
    /not a Jira issue key/,
  );
});

Deno.test("audit --transcript <runId>: every turn, tool call and result, with usage", async () => {
  await using loop = await startLoop({ issues: [TICKET] });
  const { runId } = await loop.assign("MWC-1");
  assert.deepEqual(await loop.drain(), ["succeeded"]);
  await loop.projector.catchUp();
  const out: string[] = [];
  assert.equal(await transcriptCommand(loop.store, runId, {}, (l) => out.push(l)), true);
  const text = out.join("\n");
  assert.match(out[0], new RegExp(`^Transcript of run ${runId} \\(MWC-1, anthropic/claude-fake;`));
  assert.match(text, /\d+ tool loop\(s\) · \d+ turn\(s\) · [\d,]+ in \+ [\d,]+ out tokens/);
  assert.match(text, /── system prompt \(/);
  assert.match(text, /── \[\+\d+\.\d{3} s\] request, turn 1: 1 message\(s\)/);
  assert.match(text, /response, turn 1: tool_use; [\d,]+ in( \([^)]*\))? \+ [\d,]+ out tokens/);
  assert.match(text, /→ search \{"pattern":"recieve"/);
  assert.match(text, /tool results\n {3}← \S+ ok:/);
  assert.match(text, /→ edit_file \{/);
  assert.match(text, /end: finished after \d+ turn\(s\)/);
  assert.match(text, /recieve/, "the ticket text is in the task");

  // --json: the stored artifact, exactly.
  const raw: string[] = [];
  await transcriptCommand(loop.store, runId, { json: true }, (l) => raw.push(l));
  const loops = JSON.parse(raw.join("\n"));
  assert.ok(Array.isArray(loops) && Array.isArray(loops[0]));
  assert.equal(loops[0][0].kind, "start");

  // Found without the read model too (a fresh database that was never projected).
  await loop.store.reset("runs");
  const again: string[] = [];
  assert.equal(await transcriptCommand(loop.store, runId, {}, (l) => again.push(l)), true);
  assert.deepEqual(again, out);

  const none: string[] = [];
  assert.equal(await transcriptCommand(loop.store, "no-such-run", {}, (l) => none.push(l)), false);
  assert.deepEqual(none, ["no transcript stored for run no-such-run"]);
});
