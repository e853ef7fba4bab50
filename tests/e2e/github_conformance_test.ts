/**
 * The fake GitHub refuses what GitHub refuses (drafts where the repository has
 * none, bodies over 65,536 characters), and the client copes: a refused draft
 * becomes a ready pull request marked "validation failed", a long body is
 * shortened in the middle.
 */
import assert from "node:assert/strict";
import { createGitHubClient, DRAFT_REFUSED_NOTE } from "../../adapters/github/client.ts";
import {
  FAKE_GITHUB_TOKEN,
  type FakeGitHub,
  startFakeGitHub,
} from "../../adapters/standins/github_server.ts";
import { type GitHubClient, VALIDATION_FAILED_TITLE_PREFIX } from "../../domain/ports/github.ts";

const FREE_PRIVATE = "solo/private-docs";
const FREE_PUBLIC = "solo/public-docs";
const TEAM_PRIVATE = "acme/online-docs";

async function withGitHub(fn: (fake: FakeGitHub, client: GitHubClient) => Promise<void>) {
  const fake = await startFakeGitHub({
    repos: [
      { fullName: FREE_PRIVATE, private: true, ownerPlan: "free" },
      { fullName: FREE_PUBLIC, private: false, ownerPlan: "free" },
      { fullName: TEAM_PRIVATE, private: true, ownerPlan: "team" },
    ],
  });
  const client = createGitHubClient({
    apiUrl: fake.url,
    token: FAKE_GITHUB_TOKEN,
    retry: { minMutationIntervalMs: 0, maxRetries: 0 },
  });
  try {
    await fn(fake, client);
  } finally {
    await fake.close();
  }
}

async function post(fake: FakeGitHub, path: string, body: unknown, method = "POST") {
  const res = await fetch(`${fake.url}${path}`, {
    method,
    headers: { Authorization: `token ${FAKE_GITHUB_TOKEN}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

const PR = (head: string, extra: Record<string, unknown> = {}) => ({
  title: `${head}: Fix`,
  head,
  base: "main",
  body: "Resolves it.",
  ...extra,
});

Deno.test("github fake: drafts are refused on private repositories of Free and Pro owners", async () => {
  await withGitHub(async (fake) => {
    const refused = await post(fake, `/repos/${FREE_PRIVATE}/pulls`, PR("ai/A-1", { draft: true }));
    assert.equal(refused.status, 422);
    assert.equal(refused.json.message, "Validation Failed");
    assert.equal(
      refused.json.errors[0].message,
      "Draft pull requests are not supported in this repository.",
    );
    assert.equal(fake.pullRequests(FREE_PRIVATE).length, 0);
    for (const repo of [FREE_PUBLIC, TEAM_PRIVATE]) {
      const ok = await post(fake, `/repos/${repo}/pulls`, PR("ai/A-1", { draft: true }));
      assert.equal(ok.status, 201, repo);
      assert.equal(ok.json.draft, true);
    }
    const ready = await post(fake, `/repos/${FREE_PRIVATE}/pulls`, PR("ai/A-2"));
    assert.equal(ready.status, 201, "a ready pull request is fine");
  });
});

Deno.test("github client: a refused draft opens a ready PR marked validation failed, and says so", async () => {
  await withGitHub(async (fake, client) => {
    const opened = await client.createPullRequest({
      repo: FREE_PRIVATE,
      head: "ai/A-1",
      base: "main",
      title: "A-1: Fix the intro",
      body: "Resolves A-1.\n\n<!-- ai-runner-run:r1 -->",
      draft: true,
    });
    assert.equal(opened.created, true);
    assert.equal(opened.draftRefused, true);
    assert.equal(opened.pullRequest.draft, false);
    assert.equal(opened.pullRequest.title, `${VALIDATION_FAILED_TITLE_PREFIX}A-1: Fix the intro`);
    assert.ok(opened.pullRequest.body.startsWith(DRAFT_REFUSED_NOTE));
    assert.match(opened.pullRequest.body, /Validation failed/);
    assert.ok(opened.pullRequest.body.endsWith("<!-- ai-runner-run:r1 -->"));
    assert.equal(fake.pullRequests(FREE_PRIVATE).length, 1);

    // Where drafts work, nothing changes: a draft, no flag, no prefix.
    const draft = await client.createPullRequest({
      repo: TEAM_PRIVATE,
      head: "ai/A-1",
      base: "main",
      title: "A-1: Fix the intro",
      body: "Resolves A-1.",
      draft: true,
    });
    assert.equal(draft.pullRequest.draft, true);
    assert.equal(draft.draftRefused, undefined);
    assert.equal(draft.pullRequest.title, "A-1: Fix the intro");
  });
});

Deno.test("github fake: a body over 65,536 characters is refused on create and update", async () => {
  await withGitHub(async (fake) => {
    const long = "x".repeat(65_537);
    const created = await post(fake, `/repos/${TEAM_PRIVATE}/pulls`, PR("ai/A-1", { body: long }));
    assert.equal(created.status, 422);
    assert.equal(created.json.errors[0].message, "body is too long (maximum is 65536 characters)");
    const fits = await post(
      fake,
      `/repos/${TEAM_PRIVATE}/pulls`,
      PR("ai/A-1", { body: long.slice(1) }),
    );
    assert.equal(fits.status, 201);
    const updated = await post(fake, `/repos/${TEAM_PRIVATE}/pulls/${fits.json.number}`, {
      body: long,
    }, "PATCH");
    assert.equal(updated.status, 422);
    assert.equal(fake.pullRequest(TEAM_PRIVATE, fits.json.number).body.length, 65_536);
  });
});

Deno.test("github client: a body over the limit is shortened, never refused; its tail is kept", async () => {
  await withGitHub(async (fake, client) => {
    const iterations = Array.from(
      { length: 4_000 },
      (_, i) => `${i + 1}. \`run-${i}\`: ${"y".repeat(30)}`,
    );
    const body = ["Resolves A-1.", "", ...iterations, "", "<!-- ai-runner-run:r9 -->"].join("\n");
    assert.ok(body.length > 65_536);
    const opened = await client.createPullRequest({
      repo: TEAM_PRIVATE,
      head: "ai/A-1",
      base: "main",
      title: "A-1",
      body,
    });
    const served = fake.pullRequest(TEAM_PRIVATE, opened.pullRequest.number).body as string;
    assert.ok(served.length <= 65_536);
    assert.ok(served.startsWith("Resolves A-1."));
    assert.match(served, /… shortened: [\d,]+ characters left out/);
    assert.ok(served.endsWith("<!-- ai-runner-run:r9 -->"));
    const updated = await client.updatePullRequest({
      repo: TEAM_PRIVATE,
      number: opened.pullRequest.number,
      body: body + "\nmore",
    });
    assert.ok(updated.body.length <= 65_536);
  });
});
