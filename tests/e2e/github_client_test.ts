/**
 * The GitHub client (real octokit) against the fake GitHub on loopback:
 * idempotent PR creation, updates, reviews and comments, errors, rate limits
 * (waits recorded through the injected sleep, never spent), and GitHub App
 * installation tokens refreshed ahead of expiry on an injected clock.
 */
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { createGitHubClient, type GitHubClientOptions } from "../../adapters/github/client.ts";
import { type GitHubClient as GitHubPort, GitHubError } from "../../domain/ports/github.ts";
import type { GitHubProbe } from "../../domain/ports/probes.ts";

type GitHubClient = GitHubPort & GitHubProbe;
import {
  FAKE_GITHUB_TOKEN,
  type FakeGitHub,
  type FakeGitHubOptions,
  startFakeGitHub,
} from "../../adapters/standins/github_server.ts";

const REPO = "acme/online-docs";
const START = Date.parse("2026-03-02T09:00:00Z");

interface Harness {
  fake: FakeGitHub;
  client: GitHubClient;
  waits: number[];
  clock: { ms: number };
}

async function withGitHub(
  fn: (h: Harness) => Promise<void>,
  clientOptions: Partial<GitHubClientOptions> = {},
  fakeOptions: FakeGitHubOptions = {},
): Promise<void> {
  const clock = { ms: START };
  const fake = await startFakeGitHub({ now: () => new Date(clock.ms), ...fakeOptions });
  const waits: number[] = [];
  try {
    const client = createGitHubClient({
      apiUrl: fake.url,
      token: FAKE_GITHUB_TOKEN,
      now: () => clock.ms,
      sleep: (ms) => {
        waits.push(ms);
        clock.ms += ms; // time passes while the client sleeps, and only then
        return Promise.resolve();
      },
      random: () => 0,
      ...clientOptions,
      retry: { minMutationIntervalMs: 0, ...clientOptions.retry },
    });
    await fn({ fake, client, waits, clock });
  } finally {
    await fake.close();
  }
}

async function rejection(promise: Promise<unknown>): Promise<GitHubError> {
  try {
    await promise;
  } catch (error) {
    assert(error instanceof GitHubError, `expected a GitHubError, got ${error}`);
    return error;
  }
  throw new assert.AssertionError({ message: "expected a rejection" });
}

const NEW_PR = {
  repo: REPO,
  head: "ai/DOC-1",
  base: "main",
  title: "DOC-1: Clarify the intro",
  body: "Summary\n\nai-runner-run:run-1",
};

Deno.test("createPullRequest looks first: a second call returns the open PR, no second POST", async () => {
  await withGitHub(async ({ fake, client }) => {
    assertEquals(await client.findOpenPullRequest(REPO, "ai/DOC-1"), null);
    const first = await client.createPullRequest(NEW_PR);
    assertEquals(first.created, true);
    assertEquals(first.pullRequest.number, 1);
    assertEquals(first.pullRequest.headRef, "ai/DOC-1");
    assertEquals(first.pullRequest.headLabel, "acme:ai/DOC-1");
    assertEquals(first.pullRequest.baseRef, "main");
    assertEquals(first.pullRequest.state, "open");
    assertEquals(first.pullRequest.url, `${fake.url}/acme/online-docs/pull/1`);
    assertEquals(first.pullRequest.author, "ai-runner-bot");

    const again = await client.createPullRequest({ ...NEW_PR, title: "DOC-1: Other title" });
    assertEquals(again.created, false);
    assertEquals(again.pullRequest.number, 1);
    assertEquals(again.pullRequest.title, "DOC-1: Clarify the intro");
    assertEquals(fake.requests.filter((r) => r.method === "POST").length, 1);
    assertEquals(fake.pullRequests(REPO).length, 1);

    const lists = fake.requests.filter((r) => r.method === "GET" && r.path.endsWith("/pulls"));
    assert(lists.every((r) => r.query.head === "acme:ai/DOC-1" && r.query.state === "open"));
    assertEquals((await client.findOpenPullRequest(REPO, "ai/DOC-1"))?.number, 1);
    assertEquals(await client.findOpenPullRequest(REPO, "ai/DOC-2"), null);
  });
});

Deno.test("a 422 'A pull request already exists' answers the existing PR", async () => {
  await withGitHub(async ({ fake, client }) => {
    await client.createPullRequest(NEW_PR);
    // The list lags behind (as GitHub's can): the look-up sees nothing, the create hits the duplicate.
    fake.injectFault({ method: "GET", path: "/pulls", status: 200, body: [] });
    const result = await client.createPullRequest(NEW_PR);
    assertEquals(result.created, false);
    assertEquals(result.pullRequest.number, 1);
    const posts = fake.requests.filter((r) => r.method === "POST");
    assertEquals(posts.map((r) => r.status), [201, 422]);
    assertEquals(fake.pullRequests(REPO).length, 1);
  });
});

Deno.test("a create whose answer was lost (502 after the work) is retried into the same single PR", async () => {
  await withGitHub(async ({ fake, client, waits }) => {
    fake.injectFault({ method: "POST", path: "/pulls", status: 502, applyThenFail: true });
    const result = await client.createPullRequest(NEW_PR);
    assertEquals(result.pullRequest.number, 1);
    assertEquals(fake.pullRequests(REPO).length, 1);
    assertEquals(waits, [500], "one backoff (base 1 s, jitter factor 0.5)");
    assertEquals(
      fake.requests.filter((r) => r.method === "POST").map((r) => r.status),
      [502, 422],
    );
  });
});

Deno.test("draft PRs, and updating title and body", async () => {
  await withGitHub(async ({ fake, client }) => {
    const { pullRequest } = await client.createPullRequest({ ...NEW_PR, draft: true });
    assertEquals(pullRequest.draft, true);
    assertEquals(fake.pullRequest(REPO, 1).draft, true);

    const updated = await client.updatePullRequest({
      repo: REPO,
      number: 1,
      title: "DOC-1: Clarify the intro (v2)",
      body: "Second run",
    });
    assertEquals([updated.title, updated.body], ["DOC-1: Clarify the intro (v2)", "Second run"]);
    assertEquals(fake.pullRequest(REPO, 1).title, "DOC-1: Clarify the intro (v2)");
    const onlyBody = await client.updatePullRequest({ repo: REPO, number: 1, body: "Third" });
    assertEquals([onlyBody.title, onlyBody.body], ["DOC-1: Clarify the intro (v2)", "Third"]);
    const patch = fake.requests.filter((r) => r.method === "PATCH").at(-1);
    assertEquals(patch?.body, { body: "Third" });
  });
});

Deno.test("reviews and review comments, across pages, with since", async () => {
  await withGitHub(
    async ({ fake, client, clock }) => {
      await client.createPullRequest(NEW_PR);
      fake.addReview(REPO, 1, {
        user: "leigh",
        state: "CHANGES_REQUESTED",
        body: "Shorter, please",
      });
      clock.ms += 60_000;
      fake.addReviewComment(REPO, 1, {
        user: "leigh",
        body: "Typo here",
        path: "README.md",
        line: 3,
      });
      clock.ms += 60_000;
      const since = new Date(clock.ms).toISOString();
      const c2 = fake.addReviewComment(REPO, 1, {
        user: "leigh",
        body: "And here",
        path: "a.md",
        line: 1,
      });
      clock.ms += 60_000;
      fake.addReviewComment(REPO, 1, {
        user: "sam",
        body: "Agreed",
        path: "a.md",
        line: 1,
        inReplyTo: c2.id,
      });
      fake.addReview(REPO, 1, { user: "leigh", state: "APPROVED" });

      const reviews = await client.listReviews(REPO, 1);
      assertEquals(reviews.map((r) => [r.author, r.state, r.body]), [
        ["leigh", "changes_requested", "Shorter, please"],
        ["leigh", "commented", ""],
        ["leigh", "commented", ""],
        ["sam", "commented", ""],
        ["leigh", "approved", ""],
      ]);
      assert(reviews.every((r) => r.submittedAt && r.url.includes("#pullrequestreview-")));

      const all = await client.listReviewComments(REPO, 1);
      assertEquals(all.map((c) => [c.author, c.path, c.line, c.body]), [
        ["leigh", "README.md", 3, "Typo here"],
        ["leigh", "a.md", 1, "And here"],
        ["sam", "a.md", 1, "Agreed"],
      ]);
      assertEquals(all[2].inReplyToId, c2.id);
      const recent = await client.listReviewComments(REPO, 1, since);
      assertEquals(recent.map((c) => c.body), ["And here", "Agreed"]);
      const pages = fake.requests.filter((r) => r.path.endsWith("/pulls/1/reviews"));
      assert(pages.length >= 3, `paginated (${pages.length} requests)`);
    },
    {},
    { maxPerPage: 2 },
  );
});

Deno.test("bad credentials are a permanent 401 with a clear message and no token", async () => {
  const wrong = "ghp_" + "Wr0ngToken".repeat(4);
  await withGitHub(async ({ client, waits }) => {
    const error = await rejection(client.findOpenPullRequest(REPO, "ai/DOC-1"));
    assertEquals([error.kind, error.reason, error.status], ["permanent", "unauthorized", 401]);
    assert(error.message.includes("Bad credentials"), error.message);
    assert(error.message.includes("GITHUB_TOKEN"), error.message);
    assert(!error.message.includes(wrong));
    assertEquals(waits, []);
  }, { token: wrong });
});

Deno.test("a secondary rate limit's retry-after is honoured, then the call succeeds", async () => {
  await withGitHub(async ({ fake, client, waits }) => {
    fake.injectFault({ method: "POST", path: "/pulls", status: 403, retryAfterSeconds: 7 });
    const { created } = await client.createPullRequest(NEW_PR);
    assertEquals(created, true);
    assertEquals(waits, [7000]);
    fake.injectFault({ method: "GET", path: "/reviews", status: 429, retryAfterSeconds: 2 });
    assertEquals(await client.listReviews(REPO, 1), []);
    assertEquals(waits, [7000, 2000]);
  });
});

Deno.test("a primary rate limit waits until x-ratelimit-reset, or hands a long wait to the caller", async () => {
  await withGitHub(async ({ fake, client, waits, clock }) => {
    const soon = Math.floor(clock.ms / 1000) + 30;
    fake.injectFault({ method: "GET", status: 403, rateLimitReset: soon });
    assertEquals(await client.findOpenPullRequest(REPO, "ai/DOC-1"), null);
    assertEquals(waits, [31_000]);

    const later = Math.floor(clock.ms / 1000) + 3600;
    fake.injectFault({ method: "GET", status: 403, rateLimitReset: later });
    const error = await rejection(client.findOpenPullRequest(REPO, "ai/DOC-1"));
    assertEquals([error.kind, error.reason, error.status], ["transient", "rate_limited", 403]);
    assertEquals(error.retryAfterMs, 3_601_000);
    assertEquals(waits, [31_000], "nothing slept for the long wait");
  });
});

Deno.test("5xx is retried with backoff up to the limit, then a transient error", async () => {
  await withGitHub(async ({ fake, client, waits }) => {
    fake.injectFault({ method: "GET", status: 500 });
    assertEquals(await client.listReviews(REPO, 1).catch((e) => e.reason), "not_found");
    assertEquals(waits, [500]);

    fake.injectFault({ method: "GET", status: 503, times: 10 });
    const error = await rejection(client.findOpenPullRequest(REPO, "ai/DOC-1"));
    assertEquals([error.kind, error.reason, error.status], ["transient", "server", 503]);
    assertEquals(waits, [500, 500, 1000, 2000]);
  });
});

Deno.test("no answer in time is a transient network error", async () => {
  await withGitHub(async ({ fake, client }) => {
    fake.injectFault({ method: "GET", delayMs: 10_000 });
    const error = await rejection(client.findOpenPullRequest(REPO, "ai/DOC-1"));
    assertEquals([error.kind, error.reason, error.status], ["transient", "network", 0]);
  }, { requestTimeoutMs: 50, retry: { maxRetries: 0 } });
});

Deno.test("repository access from permissions; unknown repositories are permanent not_found", async () => {
  await withGitHub(
    async ({ client }) => {
      assertEquals(await client.getRepoAccess(REPO), {
        pull: true,
        push: true,
        source: "repository",
      });
      assertEquals(await client.getRepoAccess("acme/handbook"), {
        pull: true,
        push: false,
        source: "repository",
      });
      const error = await rejection(client.getRepoAccess("acme/secret"));
      assertEquals([error.kind, error.reason, error.status], ["permanent", "not_found", 404]);
      const bad = await rejection(client.getRepoAccess("not a slug"));
      assertEquals(bad.reason, "validation");
      assertEquals(await client.tokenForGit(), FAKE_GITHUB_TOKEN);
    },
    {},
    {
      repos: [{ fullName: REPO }, { fullName: "acme/handbook", permissions: { push: false } }],
    },
  );
});

Deno.test("mutations are spaced by minMutationIntervalMs", async () => {
  await withGitHub(async ({ client, waits }) => {
    await client.createPullRequest(NEW_PR);
    await client.updatePullRequest({ repo: REPO, number: 1, body: "x" });
    await client.updatePullRequest({ repo: REPO, number: 1, body: "y" });
    assertEquals(waits, [1000, 1000], "each later write waits out the interval");
  }, { retry: { minMutationIntervalMs: 1000 } });
});

function appKeys(): { privateKey: string; publicKey: string } {
  return generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
  });
}

Deno.test("GitHub App: installation tokens are used, reused, and refreshed 5 minutes before expiry", async () => {
  const { privateKey, publicKey } = appKeys();
  await withGitHub(async ({ fake, client, clock }) => {
    await client.createPullRequest(NEW_PR);
    assertEquals(fake.issuedTokens().length, 1);
    const first = fake.issuedTokens()[0];
    assertEquals(first.expiresAt, "2026-03-02T10:00:00Z");
    assert(first.token.startsWith("ghs_"));
    assertEquals(await client.tokenForGit(), first.token);
    const rest = fake.requests.filter((r) => r.path.startsWith("/repos/"));
    assert(rest.every((r) => r.auth === "installation" && r.token === first.token));
    const jwt = fake.requests.filter((r) => r.path.includes("/access_tokens"));
    assertEquals(jwt.map((r) => [r.auth, r.status]), [["app", 201]]);
    assertEquals((await client.getRepoAccess(REPO)).push, true);
    assertEquals((await client.getRepoAccess(REPO)).source, "installation");

    clock.ms = START + 54 * 60_000; // 6 minutes left: still good
    assertEquals(await client.tokenForGit(), first.token);
    assertEquals(fake.issuedTokens().length, 1);

    clock.ms = START + 56 * 60_000; // 4 minutes left: refresh
    const second = await client.tokenForGit();
    assert(second !== first.token);
    assertEquals(fake.issuedTokens().length, 2);
    await client.findOpenPullRequest(REPO, "ai/DOC-1");
    assertEquals(fake.requests.at(-1)?.token, second);

    clock.ms = START + 61 * 60_000; // the first token has expired at the fake
    assertEquals((await client.findOpenPullRequest(REPO, "ai/DOC-1"))?.number, 1);
    assertEquals(fake.issuedTokens().length, 2);
  }, {
    token: null,
    app: { appId: 4242, privateKey, installationId: 77 },
  }, { apps: [{ appId: 4242, installationId: 77, publicKey }] });
});

Deno.test("GitHub App: without an installation id the app's only installation is used", async () => {
  const { privateKey, publicKey } = appKeys();
  await withGitHub(async ({ fake, client }) => {
    assertEquals(await client.findOpenPullRequest(REPO, "ai/DOC-1"), null);
    assertEquals(fake.issuedTokens()[0].installationId, 91);
    assert(fake.requests.some((r) => r.path === "/app/installations" && r.auth === "app"));
  }, {
    token: null,
    app: { appId: "4243", privateKey: privateKey.replace(/\n/g, "\\n") },
  }, { apps: [{ appId: 4243, installationId: 91, publicKey }] });
});

Deno.test("GitHub App: a key the app does not have is a permanent 401, key kept out of the message", async () => {
  const { publicKey } = appKeys();
  const { privateKey: otherKey } = appKeys();
  await withGitHub(async ({ client }) => {
    const error = await rejection(client.tokenForGit());
    assertEquals([error.kind, error.reason, error.status], ["permanent", "unauthorized", 401]);
    assert(!error.message.includes("PRIVATE KEY"));
  }, {
    token: null,
    app: { appId: 4244, privateKey: otherKey, installationId: 5 },
  }, { apps: [{ appId: 4244, installationId: 5, publicKey }] });
});

Deno.test("GitHub App: a token refused with 401 is replaced once and the call goes through", async () => {
  const { privateKey, publicKey } = appKeys();
  await withGitHub(async ({ fake, client }) => {
    await client.findOpenPullRequest(REPO, "ai/DOC-1");
    fake.injectFault({
      method: "GET",
      path: "/pulls",
      status: 401,
      body: { message: "Bad credentials" },
    });
    assertEquals(await client.findOpenPullRequest(REPO, "ai/DOC-1"), null);
    assertEquals(fake.issuedTokens().length, 2);
  }, {
    token: null,
    app: { appId: 4245, privateKey, installationId: 6 },
  }, { apps: [{ appId: 4245, installationId: 6, publicKey }] });
});
