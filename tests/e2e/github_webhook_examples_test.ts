/**
 * Every example payload in `@octokit/webhooks-examples` (github.com's and each
 * GitHub Enterprise Server version's), signed, through `POST /github/webhook`: each answers 2xx, and only the
 * deliveries AI Runner acts on append events (exactly the expected ones).
 * Also the cases GitHub's schema allows that no example shows: a review whose
 * `user` or `submitted_at` is null, and event names with digits.
 *
 * @module
 */
import assert from "node:assert/strict";
import examples from "@octokit/webhooks-examples" with { type: "json" };
import ghes31 from "@octokit/webhooks-examples/ghes-31/index.json" with { type: "json" };
import ghes32 from "@octokit/webhooks-examples/ghes-32/index.json" with { type: "json" };
import ghes33 from "@octokit/webhooks-examples/ghes-33/index.json" with { type: "json" };
import ghes34 from "@octokit/webhooks-examples/ghes-34/index.json" with { type: "json" };
import ghes35 from "@octokit/webhooks-examples/ghes-35/index.json" with { type: "json" };
import type { components } from "@octokit/openapi-webhooks-types";
import { type Payload, schemaProblems, submittedReview } from "../fixtures/github/webhooks.ts";
import { json, withIntake } from "../support/http_harness.ts";

interface ExampleGroup {
  name: string;
  examples: Payload[];
}

/** github.com's examples, then each GitHub Enterprise Server version's. */
const SOURCES = {
  "api.github.com": examples,
  ghes31,
  ghes32,
  ghes33,
  ghes34,
  ghes35,
} as unknown as Record<string, ExampleGroup[]>;
const GROUPS = Object.values(SOURCES).flat();
const ALL = Object.entries(SOURCES).flatMap(([source, groups]) =>
  groups.flatMap((g) => g.examples.map((payload) => ({ source, event: g.name, payload })))
);

/** Deliveries AI Runner records, given a head branch `ai/<KEY>` in the base repository. */
function acted(event: string, payload: Payload): boolean {
  return (event === "pull_request" && payload.action === "closed") ||
    (event === "pull_request_review" && payload.action === "submitted");
}

Deno.test("github examples: every published example answers 2xx and appends nothing", async () => {
  assert.ok(ALL.length >= 700, `only ${ALL.length} examples found`);
  assert.ok(GROUPS.some((g) => /\d/.test(g.name)), "an event name with digits is among them");
  await withIntake(async (intake) => {
    const answers = new Map<number, number>();
    for (const { source, event, payload } of ALL) {
      const res = await intake.github(event, payload);
      const body = await json(res);
      assert.ok(
        res.status >= 200 && res.status < 300,
        `${source} ${event}.${payload.action ?? ""} answered ${res.status}: ${
          JSON.stringify(body)
        }`,
      );
      assert.equal(body.status, event === "ping" ? "pong" : "ignored", `${event}`);
      answers.set(res.status, (answers.get(res.status) ?? 0) + 1);
    }
    // None of the examples is on an ai/<KEY> branch: nothing may be recorded.
    assert.equal(await intake.store.headPosition(), 0);
    assert.equal((answers.get(202) ?? 0) + (answers.get(200) ?? 0), ALL.length);
  });
});

Deno.test("github examples: every closed PR and submitted review on an ai/ branch records its fact", async () => {
  const relevant = ALL.filter(({ event, payload }) => acted(event, payload));
  assert.ok(relevant.length >= 4, `only ${relevant.length} relevant examples`);
  await withIntake(async (intake) => {
    let n = 0;
    for (const { event, payload } of relevant) {
      for (const merged of event === "pull_request" ? [false, true] : [false]) {
        const key = `WH-${++n}`;
        const p = structuredClone(payload);
        p.pull_request.head.ref = `ai/${key}`;
        if (merged) {
          p.pull_request.merged = true;
          p.pull_request.merged_at = p.pull_request.closed_at;
          p.pull_request.merged_by = structuredClone(p.sender);
        }
        // A fact counts only for the PR the runner recorded for the issue, in its repository.
        await intake.worked(key, p.repository.full_name, p.pull_request.number);
        const before = await intake.store.headPosition();
        const res = await intake.github(event, p);
        const body = await json(res);
        assert.equal(res.status, 200, `${event}.${p.action}: ${JSON.stringify(body)}`);
        const fact = event === "pull_request_review"
          ? "PrReviewed"
          : merged
          ? "PrMerged"
          : "PrClosed";
        assert.deepEqual(body, { status: "recorded", event: fact });
        const appended = (await intake.events()).filter((e) => e.position > before);
        const expected = fact === "PrReviewed" ? [fact] : [fact, "RunRequested"];
        assert.deepEqual(appended.map((e) => e.type), expected, `${event}.${p.action}`);
        assert.ok(appended.every((e) => e.stream === `issue-${key}`));
      }
    }
  });
});

Deno.test("github: a review whose user or submitted_at is null (schema allows both) is recorded", async () => {
  // GitHub's OpenAPI description of webhooks types both as nullable (this fails to
  // compile if that changes); octokit's older JSON schema still wants a user object.
  type Review = components["schemas"]["webhook-pull-request-review-submitted"]["review"];
  const nullUser: Review["user"] = null;
  const nullSubmittedAt: Review["submitted_at"] = null;
  const noUser = submittedReview("MWC-7", "approved");
  noUser.review.user = nullUser;
  const undated = submittedReview("MWC-8", "changes_requested");
  undated.review.submitted_at = nullSubmittedAt;
  assert.deepEqual(schemaProblems("pull_request_review$submitted", undated), []);
  await withIntake(async (intake) => {
    for (const payload of [noUser, undated]) {
      const key = payload.pull_request.head.ref.replace(/^ai\//, "");
      await intake.worked(key, payload.repository.full_name, payload.pull_request.number);
      const res = await intake.github("pull_request_review", payload);
      assert.equal(res.status, 200, JSON.stringify(await json(res.clone())));
      assert.deepEqual(await json(res), { status: "recorded", event: "PrReviewed" });
    }
    const [first, second] = (await intake.events()).filter((e) => e.type === "PrReviewed")
      .map((e) => e.data as Record<string, unknown>);
    assert.equal(first.reviewer, "ghost");
    assert.equal(first.state, "approved");
    assert.equal(second.reviewer, undated.review.user.login);
    assert.equal(second.submittedAt, undated.pull_request.updated_at);
  });
});

Deno.test("github: any well-formed event name is ignored with 2xx; a malformed one is refused", async () => {
  await withIntake(async (intake) => {
    for (const event of ["projects_v2_item", "projects_v2", "security_and_analysis", "x123"]) {
      const res = await intake.github(event, { action: "created" });
      assert.equal(res.status, 202, event);
      assert.equal((await json(res)).status, "ignored");
    }
    for (const event of ["Pull-Request", "pull request", "a".repeat(101)]) {
      const res = await intake.github(event, { action: "created" });
      assert.equal(res.status, 400, event);
      await res.body?.cancel();
    }
    assert.equal(await intake.store.headPosition(), 0);
  });
});
