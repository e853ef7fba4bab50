import assert from "node:assert/strict";
import { FAKE_REVIEWER } from "../../adapters/standins/jira_server.ts";
import { PILOT_REPO } from "../../adapters/standins/world.ts";
import { type Loop, startLoop } from "../support/loop.ts";

const TYPO_TICKET = {
  key: "MWC-1",
  summary: "Fix the typo in the install guide",
  description: 'The install guide misspells a word. Please replace "recieve" with "receive".',
};

function everythingSaid(loop: Loop, events: unknown[]): Record<string, string> {
  const jiraComments = loop.world.jira.state.comments("MWC-1").map((c) => c.text).join("\n");
  const prs = JSON.stringify(loop.world.github.pullRequests());
  return {
    events: JSON.stringify(events),
    logs: loop.logs.join("\n"),
    jira: jiraComments,
    pullRequests: prs,
    llm: loop.world.llm.requests.map((r) => r.rawBody).join("\n"),
  };
}

for (const provider of ["anthropic", "openai"] as const) {
  Deno.test(`worker (${provider}): a ticket becomes a branch, a PR, a Jira comment, In Testing`, async () => {
    await using loop = await startLoop({ provider, issues: [TYPO_TICKET] });
    const request = await loop.assign("MWC-1");
    assert.equal(request.status, "queued");

    const endings = await loop.drain();
    assert.deepEqual(endings, ["succeeded"]);

    // The branch carries the fix, in one commit named after the ticket.
    const installGuide = await loop.world.remoteFile("ai/MWC-1", "docs/install.md");
    assert.match(installGuide, /wait to receive the confirmation/);
    const clone = await loop.world.personClone();
    const { git } = await import("../../adapters/standins/world.ts");
    await git(clone, "fetch", "-q", "origin", "ai/MWC-1");
    const log = await git(clone, "log", "--format=%s%n%b", "origin/main..origin/ai/MWC-1");
    assert.match(log, /^MWC-1: Replace "recieve" → "receive"/);
    assert.match(log, /AI-Runner-Run: /);
    assert.equal(await git(clone, "rev-list", "--count", "origin/main..origin/ai/MWC-1"), "1");

    // One PR, ready for review, against main.
    const prs = loop.world.github.pullRequests(PILOT_REPO);
    assert.equal(prs.length, 1);
    assert.equal(prs[0].head.ref, "ai/MWC-1");
    assert.equal(prs[0].base.ref, "main");
    assert.equal(prs[0].draft, false);
    assert.match(String(prs[0].body), /Resolves \[MWC-1\]/);

    // One Jira comment with the PR link; In Testing; assigned to the reviewer.
    const comments = loop.world.jira.state.postedComments("MWC-1");
    assert.equal(comments.length, 1);
    assert.match(comments[0].text, /opened a pull request for this issue/);
    assert.ok(comments[0].text.includes(`[#${prs[0].number}](${prs[0].html_url})`));
    assert.match(comments[0].text, /Validation:\*\* passed/);
    const issue = loop.world.jira.state.issue("MWC-1");
    assert.equal(issue.status.name, "In Testing");
    assert.equal(issue.assignee?.accountId, FAKE_REVIEWER.accountId);

    // The stream tells the whole story, in order.
    const events = await loop.events("MWC-1");
    assert.deepEqual(events.map((e) => e.type), [
      "RunRequested",
      "RunClaimed",
      "IssueFetched",
      "WorkspacePrepared",
      "ChangesGenerated",
      "ValidationCompleted",
      "DiffScanned",
      "ChangesCommitted",
      "BranchPushed",
      "PullRequestOpened",
      "JiraCommented",
      "JiraTransitioned",
      "JiraAssigned",
      "RunSucceeded",
    ]);
    const generated = events.find((e) => e.type === "ChangesGenerated");
    assert.ok(generated?.type === "ChangesGenerated");
    assert.equal(generated.data.provider, provider);
    assert.deepEqual(generated.data.filesChanged, ["docs/install.md"]);
    assert.ok(generated.data.usage.inputTokens > 0);
    assert.ok(generated.data.transcript, "the transcript is stored as an artifact");
    const transcript = await loop.store.getArtifact(generated.data.transcript.sha256);
    assert.ok(transcript && "content" in (transcript as object));

    // No secret anywhere the outside world or an auditor can see.
    const said = everythingSaid(loop, events);
    for (const secret of loop.config.secrets) {
      for (const [where, text] of Object.entries(said)) {
        assert.ok(!text.includes(secret), `a secret leaked into ${where}`);
      }
    }
    // The worktree is gone after a successful run.
    // The run's worktree is gone (parked for the next run of the repo, not left at its path).
    const worktrees = [...Deno.readDirSync(`${loop.world.dataDir}/worktrees/online-docs`)];
    assert.deepEqual(worktrees.map((w) => w.name), [".pool"]);
  });
}

Deno.test("worker: a ticket that says nothing to change gets a question, not a commit", async () => {
  await using loop = await startLoop({
    issues: [{ key: "MWC-2", summary: "Improve the docs", description: "Make them better." }],
  });
  await loop.assign("MWC-2");
  assert.deepEqual(await loop.drain(), ["succeeded"]);
  assert.equal(await loop.world.remoteHead("ai/MWC-2"), null, "nothing pushed");
  assert.equal(loop.world.github.pullRequests().length, 0);
  const comments = loop.world.jira.state.postedComments("MWC-2");
  assert.equal(comments.length, 1);
  assert.match(comments[0].text, /made no change/);
  assert.match(comments[0].text, /clarify/);
  const issue = loop.world.jira.state.issue("MWC-2");
  assert.equal(issue.assignee?.accountId, FAKE_REVIEWER.accountId);
  assert.notEqual(issue.status.name, "In Testing");
  const last = (await loop.events("MWC-2")).at(-1);
  assert.ok(last?.type === "RunSucceeded" && last.data.outcome === "no_changes");
});

Deno.test("worker: failing validation is repaired a bounded number of times, then a draft PR", async () => {
  await using loop = await startLoop({
    issues: [{
      key: "MWC-3",
      summary: "Mark usage as unfinished",
      description: 'Please replace "# Usage" with "# Usage TODO".',
    }],
  });
  await loop.assign("MWC-3");
  assert.deepEqual(await loop.drain(), ["succeeded"]);
  const events = await loop.events("MWC-3");
  const validation = events.find((e) => e.type === "ValidationCompleted");
  assert.ok(validation?.type === "ValidationCompleted");
  assert.equal(validation.data.passed, false);
  assert.equal(validation.data.repairs, loop.deps.settings.maxRepairs);
  assert.equal(validation.data.commands[0].exitCode, 1);
  const prs = loop.world.github.pullRequests(PILOT_REPO);
  assert.equal(prs.length, 1);
  assert.equal(prs[0].draft, true, "a PR whose validation failed is a draft");
  const comment = loop.world.jira.state.postedComments("MWC-3")[0].text;
  assert.match(comment, /Validation:\*\* \*\*failed\*\*/);
  assert.match(comment, /draft/);
  // One conversation per run: each repair request still carries the ticket and the earlier turns.
  const bodies = loop.world.llm.requests.filter((r) => r.status === 200).map((r) => r.rawBody);
  const repairs = bodies.filter((b) => b.includes("Validation failed"));
  assert.ok(repairs.length >= loop.deps.settings.maxRepairs, `${repairs.length} repair requests`);
  for (const body of repairs) {
    assert.ok(body.includes("# Usage TODO"), "the ticket is still in the conversation");
    assert.ok(body.includes("edit_file"), "the model's earlier tool calls are too");
  }
  // The summary describes the whole change: the first finish, then what the repairs added.
  const generated = events.find((e) => e.type === "ChangesGenerated");
  assert.ok(generated?.type === "ChangesGenerated");
  assert.match(generated.data.summary, /^Replace "# Usage" → "# Usage TODO"/);
});

Deno.test("worker: a run resumed after ChangesGenerated reports the repairs generation made", async () => {
  await using loop = await startLoop({
    issues: [{
      key: "MWC-4",
      summary: "Mark usage as unfinished",
      description: 'Please replace "# Usage" with "# Usage TODO".',
    }],
  });
  await loop.assign("MWC-4");
  // The first attempt dies right after recording ChangesGenerated (an unclassified error).
  let thrown = false;
  const append = async (...args: Parameters<typeof loop.store.append>) => {
    const result = await loop.store.append(...args);
    if (!thrown && args[2].some((e) => e.type === "ChangesGenerated")) {
      thrown = true;
      throw new TypeError("injected after ChangesGenerated was recorded");
    }
    return result;
  };
  const store = new Proxy(loop.store, {
    get(target, prop) {
      if (prop === "append") return append;
      const value = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  assert.deepEqual(await loop.newWorker("worker-a", { store }).drain(), ["retry_scheduled"]);
  loop.clock.advance(15 * 60_000);
  assert.deepEqual(await loop.newWorker("worker-b").drain(), ["succeeded"]);
  const events = await loop.events("MWC-4");
  assert.equal(
    events.filter((e) => e.type === "ChangesGenerated").length,
    1,
    "not generated twice",
  );
  const retry = events.find((e) => e.type === "RunRetryScheduled");
  assert.ok(retry?.type === "RunRetryScheduled");
  assert.match(retry.data.reason, /TypeError: injected/);
  const validation = events.find((e) => e.type === "ValidationCompleted");
  assert.ok(validation?.type === "ValidationCompleted");
  assert.equal(validation.data.repairs, loop.deps.settings.maxRepairs);
  const pr = loop.world.github.pullRequests(PILOT_REPO)[0];
  assert.match(pr.body ?? "", new RegExp(`after ${loop.deps.settings.maxRepairs} repair`));
});

Deno.test("worker: an unclassified error is retried a bounded number of times, then fails the run as a bug", async () => {
  await using loop = await startLoop({
    issues: [{ key: "MWC-5", summary: "Fix", description: 'Replace "recieve" with "receive".' }],
  });
  await loop.assign("MWC-5");
  const jira = Object.create(loop.deps.jira) as typeof loop.deps.jira;
  jira.getIssue = () => Promise.reject(new TypeError("undefined is not a function"));
  const endings: string[] = [];
  for (let i = 0; i < 5 && !endings.includes("failed"); i++) {
    endings.push(...await loop.newWorker(`worker-${i}`, { jira }).drain());
    loop.clock.advance(30 * 60_000);
  }
  assert.deepEqual(endings, ["retry_scheduled", "retry_scheduled", "failed"]);
  const failed = (await loop.events("MWC-5")).find((e) => e.type === "RunFailed");
  assert.ok(failed?.type === "RunFailed");
  assert.equal(failed.data.kind, "bug");
  assert.equal(failed.data.step, "fetch_issue");
  assert.match(
    failed.data.reason,
    /TypeError: undefined is not a function \(still failing after 3/,
  );
});

Deno.test("worker: a repository over its daily LLM budget makes new runs wait, saying so once", async () => {
  await using loop = await startLoop({
    issues: [
      { key: "MWC-6", summary: "Fix", description: 'Replace "recieve" with "receive".' },
      { key: "MWC-8", summary: "Fix", description: 'Replace "dashbord" with "dashboard".' },
    ],
    route: { dailyBudgetUsd: 0.000001 },
    env: { LLM_MODEL: "claude-sonnet-5-5" }, // a priced model: its runs cost money
  });
  await loop.assign("MWC-6");
  assert.deepEqual(await loop.drain(), ["succeeded"], "under the cap: the first run works");
  await loop.assign("MWC-8");
  assert.deepEqual(await loop.drain(), ["retry_scheduled"], "over the cap: the next one waits");
  const events = await loop.events("MWC-8");
  const waited = events.find((e) => e.type === "RunRetryScheduled");
  assert.ok(waited?.type === "RunRetryScheduled");
  assert.match(waited.data.reason, /daily LLM budget of repository online-docs is used up/);
  const tomorrow = new Date(loop.clock.now());
  tomorrow.setUTCHours(24, 0, 0, 0);
  assert.equal(waited.data.notBefore, tomorrow.toISOString());
  const notices = loop.world.jira.state.postedComments("MWC-8");
  assert.equal(notices.length, 1);
  assert.match(notices[0].text, /will start on MWC-8 later/);
  assert.ok(!events.some((e) => e.type === "WorkspacePrepared"), "nothing started");
});
