import assert from "node:assert/strict";
import { cancelIssueRun } from "../../domain/workflow/cancel.ts";
import { FAKE_REVIEWER } from "../../adapters/standins/jira_server.ts";
import { scriptedEditor } from "../../adapters/standins/scripted_model.ts";
import { PILOT_REPO } from "../../adapters/standins/world.ts";
import { startLoop } from "../support/loop.ts";

const TICKET = {
  key: "MWC-1",
  summary: "Fix the typo in the install guide",
  description: 'Please replace "recieve" with "receive".',
};

Deno.test("failure: a permanent error fails the run with a clear Jira comment and hands it over", async () => {
  await using loop = await startLoop({ issues: [TICKET] });
  loop.world.github.injectFault({
    method: "POST",
    path: "/pulls",
    status: 403,
    times: 5,
    body: { message: "Resource not accessible by integration" },
  });
  await loop.assign("MWC-1");
  assert.deepEqual(await loop.drain(), ["failed"]);
  const failed = (await loop.events("MWC-1")).find((e) => e.type === "RunFailed");
  assert.ok(failed?.type === "RunFailed");
  assert.equal(failed.data.step, "pull_request");
  assert.equal(failed.data.kind, "permanent");
  assert.match(failed.data.reason, /403|not accessible|forbidden/i);
  const comments = loop.world.jira.state.postedComments("MWC-1");
  assert.equal(comments.length, 1);
  assert.match(comments[0].text, /could not finish MWC-1\*\* \(step: pull request\)/);
  const issue = loop.world.jira.state.issue("MWC-1");
  assert.equal(issue.assignee?.accountId, FAKE_REVIEWER.accountId, "nothing stalls silently");
  assert.notEqual(issue.status.name, "In Testing");
});

Deno.test("failure: a transient LLM outage schedules a retry with backoff, then the run completes", async () => {
  await using loop = await startLoop({
    issues: [TICKET],
    script: [
      ...Array.from({ length: 3 }, () => ({ fault: "overloaded" as const, retryAfterSeconds: 0 })),
      ...scriptedEditor(),
    ],
  });
  await loop.assign("MWC-1");
  assert.deepEqual(await loop.drain(), ["retry_scheduled"]);
  const retry = (await loop.events("MWC-1")).find((e) => e.type === "RunRetryScheduled");
  assert.ok(retry?.type === "RunRetryScheduled");
  assert.equal(retry.data.step, "generate_changes");
  const waitMs = Date.parse(retry.data.notBefore) - loop.clock.now().getTime();
  assert.ok(waitMs > 10_000, `backs off (${waitMs} ms)`);
  assert.deepEqual(await loop.drain(), [], "not retried before notBefore");
  loop.clock.advance(waitMs + 1_000);
  assert.deepEqual(await loop.drain(), ["succeeded"]);
  assert.equal(loop.world.github.pullRequests(PILOT_REPO).length, 1);
  assert.equal(loop.world.jira.state.postedComments("MWC-1").length, 1);
  const claims = (await loop.events("MWC-1")).filter((e) => e.type === "RunClaimed");
  assert.deepEqual(claims.map((e) => e.type === "RunClaimed" && e.data.attempt), [1, 2]);
});

Deno.test("failure: a secret in the diff fails the run and nothing is pushed", async () => {
  const leaked = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8";
  await using loop = await startLoop({
    issues: [TICKET],
    script: [
      {
        toolCalls: [{
          name: "write_file",
          input: { path: "docs/creds.md", content: `token: ${leaked}\n` },
        }],
      },
      { toolCalls: [{ name: "finish", input: { summary: "Add the credentials page" } }] },
    ],
    validate: [],
    env: { SELF_REVIEW: "off" }, // a two-turn script: no reviewer turn in it
  });
  await loop.assign("MWC-1");
  assert.deepEqual(await loop.drain(), ["failed"]);
  assert.equal(await loop.world.remoteHead("ai/MWC-1"), null, "nothing pushed");
  const failed = (await loop.events("MWC-1")).find((e) => e.type === "RunFailed");
  assert.ok(failed?.type === "RunFailed");
  assert.equal(failed.data.step, "scan_diff");
  assert.match(failed.data.reason, /looks like a secret \(in docs\/creds\.md: a GitHub token\)/);
  const comment = loop.world.jira.state.postedComments("MWC-1")[0].text;
  assert.match(comment, /secret/);
  assert.ok(!comment.includes(leaked));
  assert.ok(!JSON.stringify(await loop.events("MWC-1")).includes(leaked));
  assert.ok(!loop.logs.join("\n").includes(leaked));
});

Deno.test("failure: an exceeded budget is a clear failure reason", async () => {
  await using loop = await startLoop({ issues: [TICKET], env: { BUDGET_MAX_TURNS: "1" } });
  await loop.assign("MWC-1");
  assert.deepEqual(await loop.drain(), ["failed"]);
  const failed = (await loop.events("MWC-1")).find((e) => e.type === "RunFailed");
  assert.ok(failed?.type === "RunFailed");
  assert.equal(failed.data.kind, "budget");
  assert.match(failed.data.reason, /turn/i);
  assert.match(loop.world.jira.state.postedComments("MWC-1")[0].text, /budget/);
});

Deno.test("cancel: the active run stops at its next step, Jira is told, the branch is left alone", async () => {
  await using loop = await startLoop({
    issues: [TICKET],
    script: [
      { toolCalls: [{ name: "list_files", input: {} }], delayMs: 300 },
      ...scriptedEditor(),
    ],
  });
  const { runId } = await loop.assign("MWC-1");
  const worker = loop.newWorker();
  const draining = worker.drain();
  // Wait until the run is generating changes, then cancel it.
  for (let i = 0; i < 200; i++) {
    if ((await loop.events("MWC-1")).some((e) => e.type === "WorkspacePrepared")) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const outcome = await cancelIssueRun(
    { store: loop.store, jira: loop.deps.jira, secrets: loop.deps.secrets, clock: loop.clock.now },
    "MWC-1",
    { reason: "the ticket was withdrawn", by: { displayName: "Leigh" }, actor: "cli:leigh" },
  );
  assert.ok(outcome.ok && outcome.runId === runId && outcome.commentId);
  assert.deepEqual(await draining, ["lease_lost"]);
  const types = (await loop.events("MWC-1")).map((e) => e.type);
  assert.ok(types.includes("RunCancelled"));
  assert.ok(!types.includes("ChangesCommitted") && !types.includes("RunSucceeded"));
  assert.equal(await loop.world.remoteHead("ai/MWC-1"), null);
  const comments = loop.world.jira.state.postedComments("MWC-1");
  assert.equal(comments.length, 1);
  assert.match(comments[0].text, /was cancelled\*\* by Leigh/);
  const second = await cancelIssueRun(
    { store: loop.store, jira: loop.deps.jira, secrets: loop.deps.secrets, clock: loop.clock.now },
    "MWC-1",
    { reason: "again", by: { displayName: "Leigh" }, actor: "cli:leigh" },
  );
  assert.equal(second.ok, false, "nothing left to cancel");
});
