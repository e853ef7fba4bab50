/**
 * Later iterations see the work so far, from the fake GitHub through octokit:
 * review comments with their hunk, line and side, kept together as threads,
 * and the PR head's check runs and combined commit status.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { createGitHubClient } from "../../adapters/github/client.ts";
import { FAKE_GITHUB_TOKEN, startFakeGitHub } from "../../adapters/standins/github_server.ts";
import { judgeChecks } from "../../domain/checks.ts";
import { GitHubError } from "../../domain/ports/github.ts";
import { groupReviewThreads } from "../../domain/review_threads.ts";

const REPO = "acme/online-docs";

async function withPullRequest(
  body: (
    fake: Awaited<ReturnType<typeof startFakeGitHub>>,
    github: ReturnType<typeof createGitHubClient>,
    pr: { number: number; headSha: string },
  ) => Promise<void>,
): Promise<void> {
  const fake = await startFakeGitHub({ repos: [{ fullName: REPO }] });
  try {
    const github = createGitHubClient({
      apiUrl: fake.url,
      token: FAKE_GITHUB_TOKEN,
      retry: { minMutationIntervalMs: 0, maxRetries: 0 },
    });
    const { pullRequest } = await github.createPullRequest({
      repo: REPO,
      head: "ai/DOC-7",
      base: "main",
      title: "DOC-7: Install page",
      body: "Resolves DOC-7.",
    });
    await body(fake, github, { number: pullRequest.number, headSha: pullRequest.headSha! });
  } finally {
    await fake.close();
  }
}

Deno.test("github: review comments carry their hunk and lines, and replies stay in their thread", async () => {
  await withPullRequest(async (fake, github, pr) => {
    const hunk = "@@ -10,4 +10,6 @@ ## Install\n Run:\n+```sh\n+curl x | sh\n+```";
    const top = fake.addReviewComment(REPO, pr.number, {
      user: "leigh",
      body: "Never pipe curl into sh in the docs.",
      path: "docs/install.md",
      line: 13,
      startLine: 11,
      diffHunk: hunk,
    });
    fake.addReviewComment(REPO, pr.number, {
      user: "sam",
      body: "Agreed, use the package.",
      path: "ignored.md",
      inReplyTo: top.id,
    });
    fake.addReviewComment(REPO, pr.number, {
      user: "leigh",
      body: "Typo.",
      path: "docs/faq.md",
      line: 2,
      side: "LEFT",
    });
    assert.throws(() =>
      fake.addReviewComment(REPO, pr.number, {
        user: "x",
        body: "reply to a reply",
        path: "docs/install.md",
        inReplyTo: top.id + 1,
      })
    );
    const comments = await github.listReviewComments(REPO, pr.number);
    assert.equal(comments[0].diffHunk, hunk);
    assert.equal(comments[0].line, 13);
    assert.equal(comments[0].startLine, 11);
    assert.equal(comments[0].originalLine, 13);
    assert.equal(comments[0].side, "RIGHT");
    assert.equal(comments[0].commitId, pr.headSha);
    assert.equal(comments[1].inReplyToId, top.id);
    assert.equal(comments[1].path, "docs/install.md"); // a reply sits on its parent's lines
    const threads = groupReviewThreads(comments);
    assert.deepEqual(threads.map((t) => [t.path, t.side, t.comments.map((c) => c.author)]), [
      ["docs/faq.md", "LEFT", ["leigh"]],
      ["docs/install.md", "RIGHT", ["leigh", "sam"]],
    ]);
  });
});

Deno.test("github: the PR head's failed check runs and commit statuses", async () => {
  await withPullRequest(async (fake, github, pr) => {
    fake.addCheckRun(REPO, "ai/DOC-7", {
      name: "test",
      conclusion: "failure",
      title: "2 tests failed",
      summary: "docs/install.md: link check failed",
      text: "FAIL link https://dead.example",
    });
    fake.addCheckRun(REPO, "ai/DOC-7", { name: "lint", conclusion: "failure" });
    fake.addCheckRun(REPO, "ai/DOC-7", { name: "lint", conclusion: "success" }); // re-run passed
    fake.addCommitStatus(REPO, pr.headSha, {
      context: "ci/jenkins",
      state: "failure",
      description: "Build #12 failed",
      targetUrl: "https://jenkins.example/12",
    });
    fake.addCommitStatus(REPO, pr.headSha, { context: "deploy/preview", state: "pending" });
    const checks = await github.getCommitChecks(REPO, "ai/DOC-7");
    assert.equal(checks.sha, pr.headSha);
    assert.equal(checks.combinedState, "failure");
    assert.deepEqual(checks.checkRuns.map((r) => [r.name, r.conclusion]).sort(), [
      ["lint", "success"],
      ["test", "failure"],
    ]);
    const verdict = judgeChecks(checks);
    assert.equal(verdict.state, "failed");
    assert.deepEqual(verdict.failed.map((f) => [f.name, f.conclusion, f.url]), [
      ["test", "failure", checks.checkRuns.find((r) => r.name === "test")!.url],
      ["ci/jenkins", "failure", "https://jenkins.example/12"],
    ]);
    assert.match(verdict.failed[0].excerpt, /2 tests failed\n\ndocs\/install\.md: link check/);
    assert.deepEqual(verdict.pending, ["deploy/preview"]);
    // A commit with nothing reported: no checks, combined state pending (as GitHub says).
    const none = await github.getCommitChecks(REPO, "f".repeat(40));
    assert.equal(judgeChecks(none).state, "none");
    await assert.rejects(github.getCommitChecks(REPO, "no-such-branch"), GitHubError);
  });
});

Deno.test("github: an app installation without the Checks permission is refused, as GitHub does", async () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
  });
  const fake = await startFakeGitHub({
    repos: [{ fullName: REPO }],
    apps: [{
      appId: 4242,
      installationId: 77,
      publicKey,
      permissions: { contents: "write", metadata: "read", pull_requests: "write" },
    }],
  });
  try {
    const github = createGitHubClient({
      apiUrl: fake.url,
      app: { appId: 4242, privateKey, installationId: 77 },
      retry: { minMutationIntervalMs: 0, maxRetries: 0 },
    });
    await assert.rejects(
      github.getCommitChecks(REPO, "f".repeat(40)),
      (e: GitHubError) => e.status === 403 && e.kind === "permanent",
    );
  } finally {
    await fake.close();
  }
});
