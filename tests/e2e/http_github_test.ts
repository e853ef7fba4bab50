/**
 * `POST /github/webhook` end to end, with GitHub's own example payloads
 * (`@octokit/webhooks-examples`) over a real SQLite file.
 *
 * @module
 */
import assert from "node:assert/strict";
import { githubSignature } from "../../adapters/http/crypto.ts";
import {
  closedPullRequest,
  githubExample,
  mergedPullRequest,
  type Payload,
  pingPayload,
  schemaProblems,
  submittedReview,
} from "../fixtures/github/webhooks.ts";
import { assertRefused, GITHUB_SECRET, json, withIntake } from "../support/http_harness.ts";

const DELIVERY = "72d3162e-cc78-11e3-81ab-4c9367dc0958";
/** The repository of GitHub's example payloads. */
const REPO = "Codertocat/Hello-World";

Deno.test("github: the derived fixtures are valid webhook payloads", () => {
  assert.deepEqual(schemaProblems("pull_request$closed", mergedPullRequest()), []);
  assert.deepEqual(schemaProblems("pull_request$closed", closedPullRequest()), []);
  assert.deepEqual(schemaProblems("pull_request_review$submitted", submittedReview()), []);
  assert.deepEqual(schemaProblems("ping$event", pingPayload()), []);
  const broken = mergedPullRequest();
  broken.pull_request.merged = "yes";
  assert.notDeepEqual(schemaProblems("pull_request$closed", broken), []);
});

Deno.test("github: GitHub's signature vector passes the signature check; a changed digit does not", async () => {
  await withIntake(async (intake) => {
    const vector = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    const good = await intake.github("ping", "Hello, World!", { "X-Hub-Signature-256": vector });
    // Signed correctly, so it gets past the signature and is refused as not JSON.
    await assertRefused(good, 400, "invalid_json");
    const flipped = vector.slice(0, -1) + "f";
    const bad = await intake.github("ping", "Hello, World!", { "X-Hub-Signature-256": flipped });
    await assertRefused(bad, 401, "unauthorized");
  });
});

Deno.test("github: a merged ai/<KEY> pull request appends PrMerged to the issue stream", async () => {
  await withIntake(async (intake) => {
    const seeded = await intake.worked("MWC-1", REPO, 2);
    const payload = mergedPullRequest("MWC-1");
    const res = await intake.github("pull_request", payload, { "X-GitHub-Delivery": DELIVERY });
    const body = await json(res);
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.deepEqual(body, { status: "recorded", event: "PrMerged" });
    const [e] = (await intake.events()).slice(seeded);
    assert.equal(e.stream, "issue-MWC-1");
    assert.equal(e.type, "PrMerged");
    assert.deepEqual(e.data, {
      deliveryId: DELIVERY,
      repo: REPO,
      number: 2,
      url: "https://github.com/Codertocat/Hello-World/pull/2",
      mergeSha: "c4295bd74fb0f4fda03689c3df3f2803b658fd85",
      mergedBy: "Codertocat",
      mergedAt: "2019-05-15T15:21:18Z",
    });
    assert.equal(e.metadata.actor, "github:Codertocat");
    assert.equal(e.metadata.deliveryId, DELIVERY);
  });
});

Deno.test("github: a redelivery (same X-GitHub-Delivery) is a duplicate", async () => {
  await withIntake(async (intake) => {
    const seeded = await intake.worked("MWC-1", REPO, 2);
    const payload = mergedPullRequest("MWC-1");
    const headers = { "X-GitHub-Delivery": DELIVERY };
    assert.equal(
      (await json(await intake.github("pull_request", payload, headers))).status,
      "recorded",
    );
    const again = await intake.github("pull_request", payload, headers);
    assert.equal(again.status, 200);
    assert.deepEqual(await json(again), { status: "duplicate", event: "PrMerged" });
    // PrMerged and the completion run it queued, once.
    assert.equal(await intake.store.headPosition(), seeded + 2);
  });
});

Deno.test("github: a merge lands on a stream that already has runs", async () => {
  await withIntake(async (intake) => {
    const seeded = await intake.worked("MWC-1", REPO, 2);
    assert.equal((await intake.jira({ issueKey: "MWC-1" })).status, 200);
    const res = await intake.github("pull_request", mergedPullRequest("MWC-1"));
    assert.equal(res.status, 200);
    const events = (await intake.events()).slice(seeded);
    // The run still queued is cancelled (a merged PR needs no more iterations), and a
    // completion run is queued to report the merge on Jira.
    assert.deepEqual(events.map((e) => [e.stream, e.version - seeded, e.type]), [
      ["issue-MWC-1", 1, "RunRequested"],
      ["issue-MWC-1", 2, "PrMerged"],
      ["issue-MWC-1", 3, "RunCancelled"],
      ["issue-MWC-1", 4, "RunRequested"],
    ]);
    const completion = events[3];
    assert.ok(completion.type === "RunRequested" && completion.data.kind === "completion");
  });
});

Deno.test("github: closed without merging appends PrClosed (closed by the sender)", async () => {
  await withIntake(async (intake) => {
    const seeded = await intake.worked("DOC-12", REPO, 2);
    const payload = closedPullRequest("DOC-12");
    payload.sender.login = "octocat";
    const res = await intake.github("pull_request", payload, { "X-GitHub-Delivery": DELIVERY });
    assert.deepEqual(await json(res), { status: "recorded", event: "PrClosed" });
    const [e] = (await intake.events()).slice(seeded);
    assert.equal(e.stream, "issue-DOC-12");
    assert.deepEqual(e.data, {
      deliveryId: DELIVERY,
      repo: REPO,
      number: 2,
      url: "https://github.com/Codertocat/Hello-World/pull/2",
      closedBy: "octocat",
      closedAt: "2019-05-15T15:21:18Z",
    });
  });
});

for (
  const [sent, recorded] of [["approved", "approved"], ["CHANGES_REQUESTED", "changes_requested"], [
    "commented",
    "commented",
  ]]
) {
  Deno.test(`github: a submitted review (${sent}) appends PrReviewed (${recorded})`, async () => {
    await withIntake(async (intake) => {
      const payload = submittedReview("MWC-5", sent);
      const seeded = await intake.worked("MWC-5", REPO, payload.pull_request.number);
      const res = await intake.github("pull_request_review", payload, {
        "X-GitHub-Delivery": DELIVERY,
      });
      assert.deepEqual(await json(res), { status: "recorded", event: "PrReviewed" });
      const [e] = (await intake.events()).slice(seeded);
      assert.equal(e.stream, "issue-MWC-5");
      assert.deepEqual(e.data, {
        deliveryId: DELIVERY,
        repo: REPO,
        number: payload.pull_request.number,
        reviewId: payload.review.id,
        url: payload.review.html_url,
        reviewer: payload.review.user.login,
        state: recorded,
        submittedAt: payload.review.submitted_at,
      });
    });
  });
}

Deno.test("github: ping answers pong and appends nothing", async () => {
  await withIntake(async (intake) => {
    const res = await intake.github("ping", pingPayload());
    assert.equal(res.status, 200);
    assert.deepEqual(await json(res), { status: "pong" });
    assert.equal(await intake.store.headPosition(), 0);
  });
});

Deno.test("github: other branches, actions, events and forks are ignored (202)", async () => {
  await withIntake(async (intake) => {
    const fork = mergedPullRequest("MWC-1");
    fork.pull_request.head.repo = { ...fork.pull_request.head.repo, id: 999 };
    const deletedFork = mergedPullRequest("MWC-1");
    deletedFork.pull_request.head.repo = null;
    const notAKey = mergedPullRequest("MWC-1");
    notAKey.pull_request.head.ref = "ai/../../etc";
    const cases: [string, unknown][] = [
      ["pull_request", githubExample("pull_request", "closed")], // head ref "changes"
      ["pull_request", notAKey],
      ["pull_request", { ...mergedPullRequest("MWC-1"), action: "opened" }],
      ["pull_request", fork],
      ["pull_request", deletedFork],
      ["pull_request_review", { ...submittedReview("MWC-1"), action: "edited" }],
      ["pull_request_review", submittedReview("MWC-1", "pending")],
      ["issues", githubExample("issues", "opened")],
      ["push", githubExample("push")],
    ];
    for (const [event, payload] of cases) {
      const res = await intake.github(event, payload);
      const body = await json(res);
      assert.equal(res.status, 202, `${event}: ${JSON.stringify(body)}`);
      assert.equal(body.status, "ignored");
      assert.equal(typeof body.reason, "string");
    }
    assert.equal(await intake.store.headPosition(), 0);
  });
});

Deno.test("github: missing or wrong signatures get 401 and append nothing", async () => {
  await withIntake(async (intake) => {
    const raw = JSON.stringify(mergedPullRequest("MWC-1"));
    const variants: Record<string, string>[] = [
      { "X-Hub-Signature-256": "" },
      { "X-Hub-Signature-256": githubSignature("another secret", raw) },
      { "X-Hub-Signature-256": githubSignature(GITHUB_SECRET, raw + " ") },
      { "X-Hub-Signature-256": githubSignature(GITHUB_SECRET, raw).replace("sha256=", "sha1=") },
      { "X-Hub-Signature-256": "sha256=zz" },
    ];
    for (const headers of variants) {
      const res = await intake.github("pull_request", raw, headers);
      const text = await res.clone().text();
      await assertRefused(res, 401, "unauthorized");
      assert.ok(!text.includes(GITHUB_SECRET));
    }
    assert.equal(await intake.store.headPosition(), 0);
  });
});

Deno.test("github: missing X-GitHub-Delivery or X-GitHub-Event gets 400", async () => {
  await withIntake(async (intake) => {
    const payload = mergedPullRequest("MWC-1");
    await assertRefused(
      await intake.github("pull_request", payload, { "X-GitHub-Delivery": "" }),
      400,
      "invalid_delivery",
    );
    await assertRefused(
      await intake.github("pull_request", payload, { "X-GitHub-Delivery": "bad delivery id!" }),
      400,
      "invalid_delivery",
    );
    await assertRefused(await intake.github("", payload), 400, "invalid_event_header");
    assert.equal(await intake.store.headPosition(), 0);
  });
});

Deno.test("github: wrong types in the right places get 400", async () => {
  await withIntake(async (intake) => {
    const mutate: ((p: Payload) => void)[] = [
      (p) => (p.pull_request.merged = "yes"),
      (p) => (p.pull_request.number = "2"),
      (p) => (p.pull_request.html_url = 5),
      (p) => (p.pull_request.merged_at = "yesterday"),
      (p) => (p.pull_request.merge_commit_sha = "not a sha"),
      (p) => (p.pull_request.merged_by = "octocat"),
      (p) => (p.pull_request = []),
      (p) => (p.pull_request.head = null),
      (p) => (p.action = 7),
    ];
    for (const m of mutate) {
      const payload = mergedPullRequest("MWC-1");
      m(payload);
      await assertRefused(await intake.github("pull_request", payload), 400);
    }
    // null is allowed (a deleted account); a string where the user object goes is not.
    const review = submittedReview("MWC-1");
    review.review.user = "octocat";
    await assertRefused(await intake.github("pull_request_review", review), 400);
    await assertRefused(await intake.github("pull_request", "[1,2,3]"), 400);
    assert.equal(await intake.store.headPosition(), 0);
  });
});

Deno.test("github: a form-encoded delivery gets 415 telling the operator to choose JSON", async () => {
  await withIntake(async (intake) => {
    const form = "payload=" + encodeURIComponent(JSON.stringify(pingPayload()));
    const res = await intake.github("ping", form, {
      "Content-Type": "application/x-www-form-urlencoded",
    });
    const body = await assertRefused(res, 415, "unsupported_media_type");
    assert.match(body.detail, /application\/json/);
    assert.match(body.detail, /form/);
  });
});

Deno.test("github: a body over the limit gets 413", async () => {
  await withIntake(async (intake) => {
    const payload = mergedPullRequest("MWC-1");
    payload.pull_request.body = "x".repeat(40_000);
    await assertRefused(await intake.github("pull_request", payload), 413, "payload_too_large");
    assert.equal(await intake.store.headPosition(), 0);
  }, { options: { bodyLimitBytes: 32_768 } });
});

// --- facts only where they belong (issue 13) --------------------------------------------

/** A merged payload moved to another repository (ids and names), as an outsider can send it. */
function inRepository(payload: Payload, fullName: string, id = 4242): Payload {
  const [owner, name] = fullName.split("/");
  for (
    const repo of [
      payload.repository,
      payload.pull_request.base.repo,
      payload.pull_request.head.repo,
    ]
  ) {
    repo.id = id;
    repo.full_name = fullName;
    repo.name = name;
    repo.owner.login = owner;
  }
  return payload;
}

Deno.test("attack: a signed merge from a repository not in RUNNER_CONFIG is ignored (202) and logged", async () => {
  await withIntake(async (intake) => {
    const seeded = await intake.worked("MWC-9", REPO, 2);
    const payload = inRepository(mergedPullRequest("MWC-9"), "mallory/unrelated");
    payload.pull_request.merged_by.login = "mallory";
    const res = await intake.github("pull_request", payload);
    const body = await json(res);
    assert.equal(res.status, 202, JSON.stringify(body));
    assert.equal(body.status, "ignored");
    assert.match(String(body.reason), /mallory\/unrelated is not a repository in RUNNER_CONFIG/);
    assert.equal(await intake.store.headPosition(), seeded);
    assert.ok(
      intake.logs.some((l) => l.includes("github fact ignored") && l.includes("mallory/unrelated")),
    );
  }, { options: { githubRepos: [REPO] } });
});

Deno.test("attack: a signed merge for an issue the runner never worked is ignored (202)", async () => {
  // No routed-repository list here: the decider alone refuses it.
  await withIntake(async (intake) => {
    const payload = inRepository(mergedPullRequest("MWC-9"), "mallory/unrelated");
    const res = await intake.github("pull_request", payload);
    const body = await json(res);
    assert.equal(res.status, 202, JSON.stringify(body));
    assert.equal(body.status, "ignored");
    assert.match(String(body.reason), /has not worked on MWC-9/);
    assert.equal(await intake.store.headPosition(), 0);
    assert.ok(intake.logs.some((l) => l.includes("github fact ignored")));
  });
});

Deno.test("attack: a merge of another PR number, or from another routed repository, is ignored", async () => {
  await withIntake(async (intake) => {
    const seeded = await intake.worked("MWC-1", REPO, 2);
    const other = mergedPullRequest("MWC-1");
    other.pull_request.number = 3;
    let res = await intake.github("pull_request", other);
    assert.equal(res.status, 202);
    assert.match(String((await json(res)).reason), /is #2, not #3/);
    res = await intake.github("pull_request", inRepository(mergedPullRequest("MWC-1"), "acme/api"));
    assert.equal(res.status, 202);
    assert.match(
      String((await json(res)).reason),
      /worked in Codertocat\/Hello-World, not acme\/api/,
    );
    assert.equal(await intake.store.headPosition(), seeded);
  }, { options: { githubRepos: [REPO, "acme/api"] } });
});

Deno.test("attack: a merge or close replayed with new X-GitHub-Delivery ids is recorded once", async () => {
  await withIntake(async (intake) => {
    const seeded = await intake.worked("MWC-1", REPO, 2);
    const closed = closedPullRequest("MWC-1");
    const statuses: unknown[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await json(await intake.github("pull_request", closed))).status);
    }
    assert.deepEqual(statuses, ["recorded", "duplicate", "duplicate", "duplicate"]);
    const types = (await intake.events()).slice(seeded).map((e) => e.type);
    assert.deepEqual(types, ["PrClosed", "RunRequested"]);
  }, { options: { githubRepos: [REPO] } });
});

Deno.test("positive control: the genuine merge of the recorded PR is recorded once, with one completion", async () => {
  await withIntake(async (intake) => {
    const seeded = await intake.worked("MWC-1", REPO, 2);
    const merged = mergedPullRequest("MWC-1");
    for (let i = 0; i < 3; i++) await intake.github("pull_request", merged);
    const added = (await intake.events()).slice(seeded);
    assert.deepEqual(added.map((e) => e.type), ["PrMerged", "RunRequested"]);
    const completion = added[1];
    assert.ok(completion.type === "RunRequested" && completion.data.kind === "completion");
  }, { options: { githubRepos: [REPO.toLowerCase()] } });
});

Deno.test("with no PR recorded, a merge of the branch the runner pushed is accepted", async () => {
  await withIntake(async (intake) => {
    const seeded = await intake.worked("MWC-1", REPO, null);
    const res = await intake.github("pull_request", mergedPullRequest("MWC-1"));
    assert.deepEqual(await json(res), { status: "recorded", event: "PrMerged" });
    assert.equal(await intake.store.headPosition(), seeded + 2);
  });
});
