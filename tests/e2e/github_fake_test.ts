/**
 * The fake GitHub itself, over plain fetch: GitHub's error bodies, pagination
 * links, and webhook deliveries that pass `@octokit/webhooks-schemas`.
 */
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { createHmac } from "node:crypto";
import {
  FAKE_GITHUB_TOKEN,
  type FakeGitHub,
  startFakeGitHub,
  webhookRequest,
} from "../../adapters/standins/github_server.ts";
import { schemaProblems } from "../fixtures/github/webhooks.ts";

const AUTH = { authorization: `token ${FAKE_GITHUB_TOKEN}` };

async function call(
  fake: FakeGitHub,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = AUTH,
): Promise<{ status: number; headers: Headers; json: unknown }> {
  const res = await fetch(`${fake.url}${path}`, {
    method,
    headers: { ...headers, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null };
}

async function withFake(fn: (fake: FakeGitHub) => Promise<void>): Promise<void> {
  const fake = await startFakeGitHub({ apps: [{ appId: 1, installationId: 9 }] });
  try {
    await fn(fake);
  } finally {
    await fake.close();
  }
}

const PR = { title: "DOC-1: Edit", head: "ai/DOC-1", base: "main", body: "Body" };

Deno.test("fake GitHub: credentials are checked with GitHub's bodies", async () => {
  await withFake(async (fake) => {
    const bad = await call(fake, "GET", "/repos/acme/docs", undefined, {
      authorization: "token nope",
    });
    assertEquals(bad.status, 401);
    assertEquals((bad.json as { message: string }).message, "Bad credentials");
    const none = await call(fake, "GET", "/repos/acme/docs", undefined, {});
    assertEquals([none.status, (none.json as { message: string }).message], [
      401,
      "Requires authentication",
    ]);
    const ok = await call(fake, "GET", "/repos/acme/docs");
    assertEquals(ok.status, 200);
    assertEquals((ok.json as { permissions: { push: boolean } }).permissions.push, true);
    assertEquals(ok.headers.get("x-ratelimit-resource"), "core");
  });
});

Deno.test("fake GitHub: a duplicate PR is the 422 GitHub sends", async () => {
  await withFake(async (fake) => {
    assertEquals((await call(fake, "POST", "/repos/acme/docs/pulls", PR)).status, 201);
    const dup = await call(fake, "POST", "/repos/acme/docs/pulls", PR);
    assertEquals(dup.status, 422);
    const body = dup.json as { message: string; errors: unknown[] };
    assertEquals(body.message, "Validation Failed");
    assertEquals(body.errors, [{
      resource: "PullRequest",
      code: "custom",
      message: "A pull request already exists for acme:ai/DOC-1.",
    }]);
    const missing = await call(fake, "POST", "/repos/acme/docs/pulls", { head: "x", base: "main" });
    assertEquals(missing.status, 422);
  });
});

Deno.test("fake GitHub: lists paginate with Link headers and filter by head label", async () => {
  await withFake(async (fake) => {
    for (let i = 1; i <= 5; i++) {
      await call(fake, "POST", "/repos/acme/docs/pulls", { ...PR, head: `ai/DOC-${i}` });
    }
    const page1 = await call(fake, "GET", "/repos/acme/docs/pulls?per_page=2&direction=asc");
    assertEquals((page1.json as { number: number }[]).map((p) => p.number), [1, 2]);
    const link = page1.headers.get("link") ?? "";
    assert(link.includes('rel="next"') && link.includes("page=2"), link);
    assert(link.includes('rel="last"') && link.includes("page=3"), link);
    const filtered = await call(fake, "GET", "/repos/acme/docs/pulls?head=acme:ai/DOC-4");
    assertEquals((filtered.json as { head: { ref: string } }[]).map((p) => p.head.ref), [
      "ai/DOC-4",
    ]);
    const none = await call(fake, "GET", "/repos/acme/docs/pulls?head=other:ai/DOC-4");
    assertEquals(none.json, []);
  });
});

Deno.test("fake GitHub: merging yields a pull_request closed delivery that passes GitHub's schema", async () => {
  await withFake(async (fake) => {
    await call(fake, "POST", "/repos/acme/docs/pulls", PR);
    const merged = fake.mergePullRequest("acme/docs", 1, { mergedBy: "leigh" });
    assertEquals(merged.event, "pull_request");
    assertEquals(schemaProblems("pull_request$closed", merged.payload), []);
    const pr = merged.payload.pull_request;
    assertEquals([merged.payload.action, pr.merged, pr.state, pr.head.ref], [
      "closed",
      true,
      "closed",
      "ai/DOC-1",
    ]);
    assertEquals(pr.merged_by.login, "leigh");
    assert(pr.merged_at && pr.closed_at && pr.merge_commit_sha);
    assertEquals(merged.payload.installation.id, 9);
    assertEquals(fake.pullRequest("acme/docs", 1).merged, true);

    await call(fake, "POST", "/repos/acme/docs/pulls", { ...PR, head: "ai/DOC-2" });
    const closed = fake.closePullRequest("acme/docs", 2);
    assertEquals(schemaProblems("pull_request$closed", closed.payload), []);
    assertEquals(closed.payload.pull_request.merged, false);
  });
});

Deno.test("fake GitHub: a review yields a pull_request_review delivery that passes GitHub's schema", async () => {
  await withFake(async (fake) => {
    await call(fake, "POST", "/repos/acme/docs/pulls", PR);
    const delivery = fake.addReview("acme/docs", 1, {
      user: "leigh",
      state: "CHANGES_REQUESTED",
      body: "Please shorten",
    });
    assertEquals(schemaProblems("pull_request_review$submitted", delivery.payload), []);
    assertEquals(delivery.payload.review.state, "changes_requested");
    const listed = await call(fake, "GET", "/repos/acme/docs/pulls/1/reviews");
    assertEquals((listed.json as { state: string }[])[0].state, "CHANGES_REQUESTED");

    const signed = await webhookRequest(delivery, "It's a Secret to Everybody");
    const expected = createHmac("sha256", "It's a Secret to Everybody").update(signed.body)
      .digest("hex");
    assertEquals(signed.headers["x-hub-signature-256"], `sha256=${expected}`);
    assertEquals(signed.headers["x-github-delivery"], delivery.deliveryId);
  });
});

Deno.test("fake GitHub: injected faults shape the next matching answers", async () => {
  await withFake(async (fake) => {
    fake.injectFault({ method: "GET", path: "/pulls", status: 403, retryAfterSeconds: 5 });
    fake.injectFault({ method: "GET", path: "/repos", status: 403, rateLimitReset: 1_900_000_000 });
    const secondary = await call(fake, "GET", "/repos/acme/docs/pulls");
    assertEquals([secondary.status, secondary.headers.get("retry-after")], [403, "5"]);
    assert((secondary.json as { message: string }).message.includes("secondary rate limit"));
    const primary = await call(fake, "GET", "/repos/acme/docs");
    assertEquals(primary.headers.get("x-ratelimit-remaining"), "0");
    assertEquals(primary.headers.get("x-ratelimit-reset"), "1900000000");
    assertEquals((await call(fake, "GET", "/repos/acme/docs")).status, 200);
    assertEquals(fake.requests.map((r) => r.fault ?? "-"), ["403", "403", "-"]);
  });
});
