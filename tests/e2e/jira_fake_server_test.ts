import assert from "node:assert/strict";
import {
  FAKE_JIRA_API_TOKEN,
  FAKE_JIRA_EMAIL,
  FAKE_REVIEWER,
  type FakeJira,
  startFakeJira,
} from "../../adapters/standins/jira_server.ts";

const AUTH = `Basic ${btoa(`${FAKE_JIRA_EMAIL}:${FAKE_JIRA_API_TOKEN}`)}`;

async function withFake(body: (fake: FakeJira) => Promise<void>): Promise<void> {
  const fake = await startFakeJira({
    issues: [{ key: "MWC-5", summary: "Shape check", description: "Hello *there*" }],
  });
  try {
    await body(fake);
  } finally {
    await fake.close();
  }
}

async function call(
  fake: FakeJira,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = { Authorization: AUTH, "Content-Type": "application/json" },
): Promise<{ status: number; json: Record<string, unknown> | null; headers: Headers }> {
  const response = await fetch(`${fake.url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    json: text ? JSON.parse(text) : null,
    headers: response.headers,
  };
}

const doc = (content: unknown[]) => ({ body: { type: "doc", version: 1, content } });

Deno.test("the fake answers 401 with Jira's JSON error without Basic auth", async () => {
  await withFake(async (fake) => {
    const none = await call(fake, "GET", "/rest/api/3/issue/MWC-5", undefined, {});
    assert.equal(none.status, 401);
    assert.deepEqual(Object.keys(none.json!), ["errorMessages", "errors"]);
    const wrong = await call(fake, "GET", "/rest/api/3/myself", undefined, {
      Authorization: `Basic ${btoa(`${FAKE_JIRA_EMAIL}:nope`)}`,
    });
    assert.equal(wrong.status, 401);
    assert.deepEqual(fake.requests.map((r) => r.authorized), [false, false]);
  });
});

Deno.test("the fake serves an IssueBean with an ADF description and the asked fields", async () => {
  await withFake(async (fake) => {
    const { status, json } = await call(
      fake,
      "GET",
      "/rest/api/3/issue/MWC-5?fields=summary,status,description",
    );
    assert.equal(status, 200);
    assert.equal(json!.key, "MWC-5");
    const fields = json!.fields as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(fields).sort(), ["description", "status", "summary"]);
    assert.equal(fields.description.type, "doc");
    assert.equal(fields.description.version, 1);
    assert.deepEqual(fields.status.statusCategory, {
      self: `${fake.url}/rest/api/3/statuscategory/2`,
      id: 2,
      key: "new",
      colorName: "blue-gray",
      name: "To Do",
    });
    const byId = await call(fake, "GET", `/rest/api/3/issue/${json!.id}`);
    assert.equal(byId.json!.key, "MWC-5", "issues are found by id too");
  });
});

Deno.test("the fake rejects comment bodies real Jira rejects", async () => {
  await withFake(async (fake) => {
    const path = "/rest/api/3/issue/MWC-5/comment";
    const plain = await call(fake, "POST", path, { body: "plain string" });
    assert.equal(plain.status, 400);
    assert.match(
      JSON.stringify(plain.json),
      /Operation value must be an Atlassian Document/,
    );
    const emptyText = await call(
      fake,
      "POST",
      path,
      doc([{ type: "paragraph", content: [{ type: "text", text: "" }] }]),
    );
    assert.equal(emptyText.status, 400);
    assert.match((emptyText.json!.errorMessages as string[])[0], /text must be a non-empty string/);
    const notDoc = await call(fake, "POST", path, { body: { type: "paragraph", content: [] } });
    assert.equal(notDoc.status, 400);
    const empty = await call(fake, "POST", path, doc([{ type: "paragraph", content: [] }]));
    assert.equal(empty.status, 400);
    assert.deepEqual(empty.json!.errors, { comment: "Comment body can not be empty!" });
    const noType = await call(fake, "POST", path, doc([]), { Authorization: AUTH });
    assert.equal(noType.status, 415);
    const badJson = await call(fake, "POST", path, "{not json");
    assert.equal(badJson.status, 400);
    assert.equal(fake.state.postedComments("MWC-5").length, 0);
  });
});

Deno.test("the fake creates a Comment (201) and pages comments as PageOfComments", async () => {
  await withFake(async (fake) => {
    fake.state.addComment("MWC-5", { author: FAKE_REVIEWER.accountId, body: "first" });
    const created = await call(
      fake,
      "POST",
      "/rest/api/3/issue/MWC-5/comment",
      doc([{ type: "paragraph", content: [{ type: "text", text: "second" }] }]),
    );
    assert.equal(created.status, 201);
    assert.match(created.headers.get("location")!, /\/rest\/api\/3\/issue\/\d+\/comment\/\d+$/);
    assert.match(String(created.json!.created), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
    const page = await call(fake, "GET", "/rest/api/3/issue/MWC-5/comment?startAt=1&maxResults=1");
    assert.deepEqual(
      { startAt: page.json!.startAt, maxResults: page.json!.maxResults, total: page.json!.total },
      { startAt: 1, maxResults: 1, total: 2 },
    );
    const [comment] = page.json!.comments as Record<string, unknown>[];
    assert.equal(comment.id, created.json!.id);
    for (const key of ["self", "author", "body", "updateAuthor", "created", "updated"]) {
      assert.ok(key in comment, key);
    }
    const badOrder = await call(fake, "GET", "/rest/api/3/issue/MWC-5/comment?orderBy=author");
    assert.equal(badOrder.status, 400);
  });
});

Deno.test("the fake lists Transitions with their target status and applies one (204)", async () => {
  await withFake(async (fake) => {
    const list = await call(fake, "GET", "/rest/api/3/issue/MWC-5/transitions");
    assert.equal(list.json!.expand, "transitions");
    const transitions = list.json!.transitions as Record<string, unknown>[];
    const names = transitions.map((t) => `${t.name} -> ${(t.to as { name: string }).name}`);
    assert.deepEqual(names, [
      "Start Progress -> In Progress",
      "Ready for Testing -> In Testing",
      "Close Issue -> Done",
    ]);
    for (const key of ["hasScreen", "isGlobal", "isInitial", "isAvailable", "isConditional"]) {
      assert.equal(typeof transitions[0][key], "boolean", key);
    }
    const moved = await call(fake, "POST", "/rest/api/3/issue/MWC-5/transitions", {
      transition: { id: "41" },
    });
    assert.equal(moved.status, 204);
    assert.equal(moved.json, null);
    assert.equal(fake.state.issue("MWC-5").status.categoryKey, "done");
  });
});

Deno.test("injected faults hit only matching requests, the given number of times", async () => {
  await withFake(async (fake) => {
    fake.injectFault({
      method: "GET",
      path: /\/transitions$/,
      status: 429,
      retryAfterSeconds: 3,
      times: 2,
    });
    const issue = await call(fake, "GET", "/rest/api/3/issue/MWC-5");
    assert.equal(issue.status, 200);
    const first = await call(fake, "GET", "/rest/api/3/issue/MWC-5/transitions");
    assert.equal(first.status, 429);
    assert.equal(first.headers.get("retry-after"), "3");
    assert.equal(first.headers.get("ratelimit-reason"), "jira-burst-based");
    assert.equal((await call(fake, "GET", "/rest/api/3/issue/MWC-5/transitions")).status, 429);
    assert.equal((await call(fake, "GET", "/rest/api/3/issue/MWC-5/transitions")).status, 200);
    assert.deepEqual(fake.requests.map((r) => r.fault ?? "-"), ["-", "429", "429", "-"]);
  });
});
