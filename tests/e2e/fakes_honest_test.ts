/**
 * The stand-ins answer what the real services answer: every answer the fake
 * GitHub gives the real client (octokit) in a full pull-request round, errors
 * included, is checked against GitHub's official REST description
 * (`@octokit/openapi`), and every ADF body the fake Jira serves against
 * Atlassian's official ADF schema. A fake that drifts from the services fails
 * here before it hides a bug.
 */
import assert from "node:assert/strict";
import { createGitHubClient } from "../../adapters/github/client.ts";
import { HttpJiraClient } from "../../adapters/jira/client.ts";
import { officialAdfProblems } from "../../adapters/standins/adf_schema.ts";
import { FAKE_GITHUB_TOKEN, startFakeGitHub } from "../../adapters/standins/github_server.ts";
import {
  FAKE_JIRA_API_TOKEN,
  FAKE_JIRA_EMAIL,
  FAKE_REVIEWER,
  startFakeJira,
} from "../../adapters/standins/jira_server.ts";
import { GitHubError } from "../../domain/ports/github.ts";
import { operationOf, responseProblems } from "../support/openapi_github.ts";

interface Exchange {
  method: string;
  path: string;
  status: number;
  body: unknown;
}

/** A loopback proxy that records every answer of `target` as JSON. */
function recordingProxy(
  target: string,
): { url: string; exchanges: Exchange[]; close(): Promise<void> } {
  const exchanges: Exchange[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const u = new URL(req.url);
    const forwarded = await fetch(`${target}${u.pathname}${u.search}`, {
      method: req.method,
      headers: req.headers,
      body: req.method === "GET" ? undefined : await req.text(),
    });
    const text = await forwarded.text();
    exchanges.push({
      method: req.method,
      path: u.pathname,
      status: forwarded.status,
      body: text ? JSON.parse(text) : null,
    });
    return new Response(text || null, { status: forwarded.status, headers: forwarded.headers });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    exchanges,
    close: () => server.shutdown(),
  };
}

const REPO = "acme/online-docs";

Deno.test("fake GitHub: every answer the client gets conforms to GitHub's REST description", async () => {
  const fake = await startFakeGitHub({
    repos: [
      { fullName: REPO },
      { fullName: "acme/private-free", private: true, ownerPlan: "free" },
    ],
  });
  const proxy = recordingProxy(fake.url);
  try {
    const github = createGitHubClient({
      apiUrl: proxy.url,
      token: FAKE_GITHUB_TOKEN,
      retry: { minMutationIntervalMs: 0, maxRetries: 0 },
    });
    const opened = await github.createPullRequest({
      repo: REPO,
      head: "ai/DOC-1",
      base: "main",
      title: "DOC-1: Clarify",
      body: "Resolves DOC-1.",
      draft: true,
    });
    // Duplicate: GitHub's 422, then the existing one is found.
    await fake.pullRequests(REPO);
    await github.createPullRequest({
      repo: REPO,
      head: "ai/DOC-1",
      base: "main",
      title: "again",
      body: "x",
    });
    await github.updatePullRequest({
      repo: REPO,
      number: opened.pullRequest.number,
      body: "y".repeat(70_000), // over the limit: shortened by the client
    });
    fake.addReview(REPO, opened.pullRequest.number, {
      user: FAKE_REVIEWER.displayName.split(" ")[0].toLowerCase(),
      state: "CHANGES_REQUESTED",
      body: "Please fix the link.",
    });
    fake.addReviewComment(REPO, opened.pullRequest.number, {
      user: "leigh",
      body: "This link is dead.",
      path: "docs/install.md",
      line: 3,
    });
    const top = fake.addReviewComment(REPO, opened.pullRequest.number, {
      user: "leigh",
      body: "And this heading.",
      path: "docs/install.md",
      line: 12,
      startLine: 10,
      diffHunk: "@@ -8,3 +8,5 @@\n # Install\n+## Linux\n+Run it.",
    });
    fake.addReviewComment(REPO, opened.pullRequest.number, {
      user: "ai-runner-bot",
      body: "Done.",
      path: "docs/install.md",
      inReplyTo: top.id,
    });
    await github.listReviews(REPO, opened.pullRequest.number);
    await github.listReviewComments(REPO, opened.pullRequest.number);
    // CI on the head: check runs (one re-run) and commit statuses.
    fake.addCheckRun(REPO, "ai/DOC-1", {
      name: "test",
      conclusion: "failure",
      summary: "1 failed",
    });
    fake.addCheckRun(REPO, "ai/DOC-1", { name: "test", conclusion: "success" });
    fake.addCheckRun(REPO, "ai/DOC-1", { name: "lint", status: "in_progress" });
    fake.addCommitStatus(REPO, "ai/DOC-1", { context: "ci/jenkins", state: "failure" });
    fake.addCommitStatus(REPO, "ai/DOC-1", {
      context: "docs/preview",
      state: "success",
      targetUrl: "https://preview.example/1",
      description: "Preview ready",
    });
    const checks = await github.getCommitChecks(REPO, "ai/DOC-1");
    assert.equal(checks.checkRuns.length, 2);
    assert.equal(checks.combinedState, "failure");
    await github.getCommitChecks(REPO, opened.pullRequest.headSha!); // a sha without a branch
    await github.getCommitChecks(REPO, "f".repeat(40)); // no checks at all
    await github.getRepoAccess(REPO);
    // A repository without drafts: GitHub's 422, then a ready pull request.
    const refused = await github.createPullRequest({
      repo: "acme/private-free",
      head: "ai/DOC-2",
      base: "main",
      title: "DOC-2: Fix",
      body: "Resolves DOC-2.",
      draft: true,
    });
    assert.equal(refused.draftRefused, true);
    // A 404 from a repository the fake does not know.
    await assert.rejects(github.getRepoAccess("acme/nowhere"), GitHubError);
    // A body over the limit sent directly: GitHub's 422.
    const raw = await fetch(`${proxy.url}/repos/${REPO}/pulls/${opened.pullRequest.number}`, {
      method: "PATCH",
      headers: { Authorization: `token ${FAKE_GITHUB_TOKEN}`, "Content-Type": "application/json" },
      body: JSON.stringify({ body: "z".repeat(65_537) }),
    });
    assert.equal(raw.status, 422);
    await raw.body?.cancel();

    const statuses = new Set(proxy.exchanges.map((e) => `${e.method} ${e.status}`));
    for (const wanted of ["GET 200", "POST 201", "POST 422", "PATCH 200", "PATCH 422", "GET 404"]) {
      assert.ok(statuses.has(wanted), `no ${wanted} answer was exercised: ${[...statuses]}`);
    }
    const problems = proxy.exchanges.flatMap((e) =>
      responseProblems(e.method, e.path, e.status, e.body)
    );
    assert.deepEqual(problems, []);
    assert.ok(proxy.exchanges.every((e) => operationOf(e.method, e.path) !== null));
  } finally {
    await proxy.close();
    await fake.close();
  }
});

Deno.test("fake GitHub honesty check: a drifted answer is caught", () => {
  const pr = {
    url: "https://api.github.com/repos/o/r/pulls/1",
    number: "1", // GitHub sends a number
  };
  assert.notDeepEqual(responseProblems("POST", "/repos/o/r/pulls", 201, pr), []);
  assert.notDeepEqual(responseProblems("POST", "/repos/o/r/pulls", 418, {}), []);
  const run = { id: 1, name: "test", status: "done" }; // not a status GitHub has; fields missing
  assert.notDeepEqual(
    responseProblems("GET", "/repos/o/r/commits/main/check-runs", 200, {
      total_count: 1,
      check_runs: [run],
    }),
    [],
  );
  assert.notDeepEqual(
    responseProblems("GET", "/repos/o/r/commits/main/status", 200, { state: "failure" }),
    [],
  );
});

Deno.test("fake Jira: every ADF body it serves conforms to Atlassian's ADF schema", async () => {
  const fake = await startFakeJira({
    issues: [{
      key: "MWC-1",
      description: "Fix the **install** page: see [docs](https://x.example)",
    }],
  });
  try {
    fake.state.addComment("MWC-1", { author: FAKE_REVIEWER.accountId, body: "Please **fix** `x`" });
    const client = new HttpJiraClient({
      baseUrl: fake.url,
      email: FAKE_JIRA_EMAIL,
      apiToken: FAKE_JIRA_API_TOKEN,
      perIssueWriteSpacingMs: 0,
    });
    await client.addComment("MWC-1", "# Done\n\n- [link](https://x.example)\n\n```ts\nx\n```");
    const auth = { Authorization: `Basic ${btoa(`${FAKE_JIRA_EMAIL}:${FAKE_JIRA_API_TOKEN}`)}` };
    const issue = await (await fetch(`${fake.url}/rest/api/3/issue/MWC-1`, { headers: auth }))
      .json();
    assert.deepEqual(officialAdfProblems(issue.fields.description), []);
    const page =
      await (await fetch(`${fake.url}/rest/api/3/issue/MWC-1/comment`, { headers: auth }))
        .json();
    assert.equal(page.comments.length, 2);
    for (const c of page.comments) assert.deepEqual(officialAdfProblems(c.body), [], c.id);
  } finally {
    await fake.close();
  }
});
