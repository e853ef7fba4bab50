/**
 * `POST /jira/webhook` end to end: the real app over a real SQLite file.
 *
 * @module
 */
import assert from "node:assert/strict";
import { sha256Hex } from "../../adapters/http/crypto.ts";
import {
  AI_ACCOUNT_ID,
  assertRefused,
  JIRA_SECRET,
  jiraFixture,
  json,
  withIntake,
} from "../support/http_harness.ts";

const FIXTURES = [
  "automation_custom.json",
  "automation_issue_automation_format.json",
  "automation_issue_jira_format.json",
];

for (const name of FIXTURES) {
  Deno.test(`jira: ${name} queues a run for MWC-42`, async () => {
    await withIntake(async (intake) => {
      const fixture = await jiraFixture(name);
      const raw = JSON.stringify(fixture);
      const res = await intake.jira(raw);
      const body = await json(res);
      assert.equal(res.status, 200, JSON.stringify(body));
      assert.equal(body.status, "queued");
      assert.equal(typeof body.runId, "string");
      const events = await intake.events();
      assert.equal(events.length, 1);
      const [e] = events;
      assert.equal(e.type, "RunRequested");
      assert.equal(e.stream, "issue-MWC-42");
      if (e.type !== "RunRequested") return;
      assert.equal(e.data.runId, body.runId);
      assert.equal(e.data.issueKey, "MWC-42");
      assert.equal(e.data.source, "jira");
      assert.equal(e.data.deliveryId, `jira:sha256:${sha256Hex(raw)}`);
      assert.equal(e.metadata.deliveryId, e.data.deliveryId);
      assert.equal(e.metadata.correlationId, body.runId);
      if (name === "automation_custom.json") {
        assert.deepEqual(e.data.requestedBy, {
          accountId: "5b10ac8d82e05b22cc7d4ef5",
          displayName: "Leigh Reviewer",
        });
        assert.equal(e.metadata.actor, "jira:5b10ac8d82e05b22cc7d4ef5");
      } else {
        assert.equal(e.data.requestedBy, null);
        assert.equal(e.metadata.actor, "jira:automation");
      }
    });
  });
}

Deno.test("jira: the requester comes from the body's user", async () => {
  await withIntake(async (intake) => {
    const res = await intake.jira({
      issueKey: "MWC-7",
      user: { accountId: "557058:abc", displayName: "Sam" },
    });
    assert.equal(res.status, 200);
    const [e] = await intake.events();
    assert.equal(e.metadata.actor, "jira:557058:abc");
    assert.deepEqual((e.data as { requestedBy: unknown }).requestedBy, {
      accountId: "557058:abc",
      displayName: "Sam",
    });
  });
});

Deno.test("jira: the same body twice is a duplicate of the same run", async () => {
  await withIntake(async (intake) => {
    const body = { issueKey: "MWC-1", updated: "2025-03-14T09:26:53.589+0000" };
    const first = await json(await intake.jira(body));
    const res = await intake.jira(body);
    assert.equal(res.status, 200);
    const second = await json(res);
    assert.deepEqual(first.status, "queued");
    assert.deepEqual(second, { status: "duplicate", runId: first.runId });
    assert.equal(await intake.store.headPosition(), 1);
  });
});

Deno.test("jira: the same X-Idempotency-Key is a duplicate even with another body", async () => {
  await withIntake(async (intake) => {
    const headers = { "X-Idempotency-Key": "MWC-1:2025-03-14T09:26:53.589+0000" };
    const first = await json(await intake.jira({ issueKey: "MWC-1", n: 1 }, headers));
    const second = await json(await intake.jira({ issueKey: "MWC-1", n: 2 }, headers));
    assert.equal(first.status, "queued");
    assert.deepEqual(second, { status: "duplicate", runId: first.runId });
    const events = await intake.events();
    assert.equal(events.length, 1);
    assert.equal(events[0].metadata.deliveryId, `jira:key:${headers["X-Idempotency-Key"]}`);
  });
});

Deno.test("jira: a second request while one is queued is coalesced into it", async () => {
  await withIntake(async (intake) => {
    const first = await json(await intake.jira({ issueKey: "MWC-1", updated: "a" }));
    const second = await json(await intake.jira({ issueKey: "MWC-1", updated: "b" }));
    assert.equal(first.status, "queued");
    assert.deepEqual(second, { status: "coalesced", runId: first.runId });
    const third = await json(await intake.jira({ issueKey: "MWC-1", updated: "b" }));
    assert.deepEqual(third, { status: "duplicate", runId: first.runId });
    const types = (await intake.events()).map((e) => e.type);
    assert.deepEqual(types, ["RunRequested", "RunRequestCoalesced"]);
  });
});

Deno.test("jira: requests for different issues queue separate runs", async () => {
  await withIntake(async (intake) => {
    const a = await json(await intake.jira({ issueKey: "MWC-1" }));
    const b = await json(await intake.jira({ issueKey: "DOC-2" }));
    assert.equal(a.status, "queued");
    assert.equal(b.status, "queued");
    assert.notEqual(a.runId, b.runId);
    assert.deepEqual((await intake.events()).map((e) => e.stream), ["issue-MWC-1", "issue-DOC-2"]);
  });
});

const WRONG_SECRETS: [string, Record<string, string>][] = [
  ["missing", { "X-Jira-Webhook-Secret": "" }],
  ["wrong", { "X-Jira-Webhook-Secret": "not-the-secret" }],
  ["a prefix", { "X-Jira-Webhook-Secret": JIRA_SECRET.slice(0, -1) }],
  ["longer", { "X-Jira-Webhook-Secret": JIRA_SECRET + "x" }],
  ["differently cased", { "X-Jira-Webhook-Secret": JIRA_SECRET.toUpperCase() }],
];

for (const [what, headers] of WRONG_SECRETS) {
  Deno.test(`jira: a ${what} secret gets 401, nothing appended, nothing echoed`, async () => {
    await withIntake(async (intake) => {
      const sent = headers["X-Jira-Webhook-Secret"];
      const req = new Request("http://x/jira/webhook", {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          ...(sent ? { "X-Jira-Webhook-Secret": sent } : {}),
        },
        body: JSON.stringify({ issueKey: "MWC-1" }),
      });
      const res = await intake.app.request(req);
      const text = await res.clone().text();
      const body = await assertRefused(res, 401, "unauthorized");
      assert.ok(!text.includes(JIRA_SECRET), "the secret is not echoed");
      if (sent) assert.ok(!text.includes(sent), "the sent value is not echoed");
      assert.ok(!text.includes("MWC-1"), "the body is not echoed");
      assert.match(body.detail, /X-Jira-Webhook-Secret/);
      assert.equal(await intake.store.headPosition(), 0);
      assert.ok(!intake.logs.join("\n").includes(JIRA_SECRET), "the secret is not logged");
    });
  });
}

Deno.test("jira: an issue assigned to someone else is ignored (202), nothing appended", async () => {
  await withIntake(async (intake) => {
    const automation = await jiraFixture("automation_issue_automation_format.json");
    (automation.fields as Record<string, { accountId: string }>).assignee.accountId =
      "someone-else";
    const jira = await jiraFixture("automation_issue_jira_format.json");
    ((jira.issue as Record<string, unknown>).fields as Record<string, unknown>).assignee = null;
    const custom = { issueKey: "MWC-3", assigneeAccountId: "someone-else" };
    for (const body of [automation, jira, custom]) {
      const res = await intake.jira(body);
      const answer = await json(res);
      assert.equal(res.status, 202);
      assert.equal(answer.status, "ignored");
      assert.match(String(answer.reason), /AI Runner user/);
    }
    assert.equal(await intake.store.headPosition(), 0);
    const mine = await json(
      await intake.jira({ issueKey: "MWC-3", assigneeAccountId: AI_ACCOUNT_ID }),
    );
    assert.equal(mine.status, "queued");
  });
});

const BAD_BODIES: [string, string, number, string][] = [
  ["malformed JSON", '{"issueKey": "MWC-1"', 400, "invalid_json"],
  ["an empty body", "", 400, "invalid_json"],
  ["a JSON array", '["MWC-1"]', 400, "invalid_body"],
  ["a JSON string", '"MWC-1"', 400, "invalid_body"],
  ["null", "null", 400, "invalid_body"],
  ["a path as key", '{"issueKey": "../x"}', 400, "invalid_issue_key"],
  ["a key without number", '{"issueKey": "MWC-"}', 400, "invalid_issue_key"],
  ["a lower-case key", '{"issueKey": "mwc-1"}', 400, "invalid_issue_key"],
  ["a key numbered 0", '{"issueKey": "MWC-0"}', 400, "invalid_issue_key"],
  ["a key with a newline", '{"issueKey": "MWC-1\\n"}', 400, "invalid_issue_key"],
  [
    "10 KB of unicode as key",
    JSON.stringify({ issueKey: "Ж".repeat(10_240) }),
    400,
    "invalid_issue_key",
  ],
  ["a numeric key", '{"issueKey": 42}', 400, "invalid_issue_key"],
  ["issue_key instead of issueKey", '{"issue_key": "MWC-1"}', 400, "unknown_shape"],
  ["an unknown shape", '{"ticket": {"id": 1}}', 400, "unknown_shape"],
  ["an empty object", "{}", 400, "unknown_shape"],
  ["issue as a string", '{"issue": "MWC-1"}', 400, "invalid_field"],
  ["issue without key", '{"issue": {"id": 1}}', 400, "invalid_issue_key"],
  ["fields as an array", '{"key": "MWC-1", "fields": []}', 400, "invalid_field"],
  ["a non-numeric id", '{"key": "MWC-1", "id": "abc", "fields": {}}', 400, "invalid_field"],
  ["assignee as a string", '{"key": "MWC-1", "fields": {"assignee": "bob"}}', 400, "invalid_field"],
  ["initiator as a string", '{"issueKey": "MWC-1", "initiator": "bob"}', 400, "invalid_field"],
  [
    "user.accountId as a number",
    '{"issueKey": "MWC-1", "user": {"accountId": 5}}',
    400,
    "invalid_field",
  ],
  [
    "a huge displayName",
    JSON.stringify({ issueKey: "MWC-1", user: { displayName: "x".repeat(600) } }),
    400,
    "invalid_field",
  ],
];

for (const [what, raw, status, error] of BAD_BODIES) {
  Deno.test(`jira: ${what} gets ${status} ${error}, nothing appended`, async () => {
    await withIntake(async (intake) => {
      await assertRefused(await intake.jira(raw), status, error);
      assert.equal(await intake.store.headPosition(), 0);
    });
  });
}

Deno.test("jira: invalid UTF-8 gets 400", async () => {
  await withIntake(async (intake) => {
    const res = await intake.app.request("/jira/webhook", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Jira-Webhook-Secret": JIRA_SECRET },
      body: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
    });
    await assertRefused(res, 400, "invalid_json");
    assert.equal(await intake.store.headPosition(), 0);
  });
});

Deno.test("jira: a malformed X-Idempotency-Key gets 400", async () => {
  await withIntake(async (intake) => {
    for (const key of ["has space", "x".repeat(129), "ünïcode", "a;b"]) {
      await assertRefused(
        await intake.jira({ issueKey: "MWC-1" }, { "X-Idempotency-Key": key }),
        400,
        "invalid_idempotency_key",
      );
    }
    assert.equal(await intake.store.headPosition(), 0);
  });
});

Deno.test("jira: a body that is not declared JSON gets 415", async () => {
  await withIntake(async (intake) => {
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "application/jsonx"]) {
      const body = await assertRefused(
        await intake.jira({ issueKey: "MWC-1" }, { "Content-Type": type }),
        415,
        "unsupported_media_type",
      );
      assert.match(body.detail, /application\/json/);
    }
    const res = await intake.app.request("/jira/webhook", {
      method: "POST",
      headers: { "X-Jira-Webhook-Secret": JIRA_SECRET },
      body: new Blob([JSON.stringify({ issueKey: "MWC-1" })]).stream(),
    });
    await assertRefused(res, 415);
    const ok = await intake.jira({ issueKey: "MWC-1" }, {
      "Content-Type": "application/json; charset=UTF-8",
    });
    assert.equal(ok.status, 200);
    assert.equal(await intake.store.headPosition(), 1);
  });
});

Deno.test("jira: a body over the limit gets 413, by Content-Length and by streamed size", async () => {
  await withIntake(async (intake) => {
    const big = JSON.stringify({ issueKey: "MWC-1", pad: "x".repeat(2048) });
    await assertRefused(await intake.jira(big), 413, "payload_too_large");
    // A declared Content-Length over the limit is refused before reading anything.
    const declared = await intake.jira({ issueKey: "MWC-1" }, { "Content-Length": "2000000" });
    await assertRefused(declared, 413, "payload_too_large");
    // Streamed without Content-Length: the limit holds on the bytes read.
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > 10_000) return controller.close();
        const chunk = new TextEncoder().encode(
          sent === 0 ? '{"issueKey":"MWC-1","pad":"' : "x".repeat(500),
        );
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const res = await intake.app.request("/jira/webhook", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Jira-Webhook-Secret": JIRA_SECRET },
      body: stream,
      duplex: "half",
    } as RequestInit);
    await assertRefused(res, 413, "payload_too_large");
    assert.ok(sent < 10_000, "reading stopped at the limit");
    assert.equal(await intake.store.headPosition(), 0);
    const fits = await intake.jira({ issueKey: "MWC-1", pad: "x".repeat(100) });
    assert.equal(fits.status, 200);
  }, { options: { bodyLimitBytes: 1024 } });
});

Deno.test("jira: a body that never finishes gets 408 after the request timeout", async () => {
  await withIntake(async (intake) => {
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"issueKey":'));
      },
      cancel() {
        cancelled = true;
      },
    });
    const res = await intake.app.request("/jira/webhook", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Jira-Webhook-Secret": JIRA_SECRET },
      body: stream,
      duplex: "half",
    } as RequestInit);
    await assertRefused(res, 408, "request_timeout");
    assert.ok(cancelled, "the body stream was cancelled");
    assert.equal(await intake.store.headPosition(), 0);
  }, { options: { requestTimeoutMs: 50 } });
});

Deno.test("jira: other methods get 405 with Allow: POST", async () => {
  await withIntake(async (intake) => {
    const res = await intake.app.request("/jira/webhook", { method: "GET" });
    await assertRefused(res, 405, "method_not_allowed");
    assert.equal(res.headers.get("allow"), "POST");
  });
});

// --- who may ask for work (issue 13) -----------------------------------------------------

const REQUESTERS = {
  requesters: { accountIds: ["acc-allowed"], reviewerAccountId: "acc-reviewer" },
};
const asked = (by: string | null, updated = "2026-01-01T10:00:00.000+0000") => ({
  issueKey: "MWC-42",
  updated,
  ...(by ? { initiator: { accountId: by, displayName: by } } : {}),
});

Deno.test("attack: with JIRA_REQUESTER_ACCOUNT_IDS, anyone else's assignment is refused and queues only a notice", async () => {
  await withIntake(async (intake) => {
    const res = await intake.jira(asked("acc-mallory"));
    const body = await json(res);
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.status, "refused");
    assert.match(String(body.reason), /not among the people allowed/);
    const events = await intake.events();
    assert.deepEqual(events.map((e) => e.type), ["RunRequestRefused", "RunRequested"]);
    const [refused, notice] = events;
    assert.ok(refused.type === "RunRequestRefused" && notice.type === "RunRequested");
    assert.equal(refused.data.requestedBy?.accountId, "acc-mallory");
    assert.equal(refused.data.noticeRunId, notice.data.runId);
    assert.equal(notice.data.kind, "notice");
    assert.ok(intake.logs.some((l) => l.includes("run request refused")));
    // The same delivery again changes nothing; a request without a requester is refused too.
    assert.equal((await json(await intake.jira(asked("acc-mallory")))).status, "duplicate");
    const anonymous = await json(await intake.jira(asked(null, "2026-01-01T11:00:00.000+0000")));
    assert.equal(anonymous.status, "refused");
    assert.match(String(anonymous.reason), /does not say who asked/);
    const kinds = (await intake.events()).map((e) =>
      e.type === "RunRequested" ? e.data.kind ?? "change" : e.type
    );
    assert.ok(!kinds.includes("change"), `no change run may be queued: ${kinds.join(", ")}`);
  }, { options: REQUESTERS });
});

Deno.test("positive control: a listed requester and the reviewer queue runs", async () => {
  await withIntake(async (intake) => {
    assert.equal((await json(await intake.jira(asked("acc-allowed")))).status, "queued");
    const other = asked("acc-reviewer", "2026-01-02T10:00:00.000+0000");
    assert.equal(
      (await json(await intake.jira({ ...other, issueKey: "MWC-43" }))).status,
      "queued",
    );
  }, { options: REQUESTERS });
});

Deno.test("an allowed request after a refusal drops the waiting notice and queues the run", async () => {
  await withIntake(async (intake) => {
    await intake.jira(asked("acc-mallory"));
    const res = await json(await intake.jira(asked("acc-allowed", "2026-01-01T12:00:00.000Z")));
    assert.equal(res.status, "queued");
    const types = (await intake.events()).map((e) => e.type);
    assert.deepEqual(types, ["RunRequestRefused", "RunRequested", "RunCancelled", "RunRequested"]);
  }, { options: REQUESTERS });
});

Deno.test("JIRA_REQUESTER_GROUPS: members of a listed Jira group may ask; others, or a failed lookup, are refused", async () => {
  const lookups: string[] = [];
  const groups: Record<string, string[]> = {
    "acc-writer": ["docs-writers", "jira-users"],
    "acc-visitor": ["jira-users"],
  };
  await withIntake(async (intake) => {
    const member = await json(await intake.jira(asked("acc-writer")));
    assert.equal(member.status, "queued");
    const [queued] = await intake.events();
    assert.ok(queued.type === "RunRequested");
    assert.equal(queued.data.requesterBasis, "group");
    // Cached: a second request by the same person needs no second lookup.
    await intake.jira({
      ...asked("acc-writer", "2026-01-03T10:00:00.000+0000"),
      issueKey: "MWC-5",
    });
    assert.equal(lookups.filter((a) => a === "acc-writer").length, 1);
    const visitor = await json(await intake.jira({ ...asked("acc-visitor"), issueKey: "MWC-6" }));
    assert.equal(visitor.status, "refused");
    const broken = await json(await intake.jira({ ...asked("acc-broken"), issueKey: "MWC-7" }));
    assert.equal(broken.status, "refused");
    assert.match(String(broken.reason), /could not check .* assign the ticket again/);
    // The listed account needs no lookup at all.
    assert.equal(
      (await json(await intake.jira({ ...asked("acc-allowed"), issueKey: "MWC-8" }))).status,
      "queued",
    );
    assert.ok(!lookups.includes("acc-allowed"));
  }, {
    options: {
      requesters: {
        accountIds: ["acc-allowed"],
        groups: ["docs-writers"],
        reviewerAccountId: "acc-r",
      },
    },
    requesterGroups: (accountId) => {
      lookups.push(accountId);
      if (accountId === "acc-broken") return Promise.reject(new Error("Jira is down"));
      return Promise.resolve(groups[accountId] ?? []);
    },
  });
});
