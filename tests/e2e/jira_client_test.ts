import assert from "node:assert/strict";
import { Ajv } from "ajv";
import { HttpJiraClient, type HttpJiraClientOptions } from "../../adapters/jira/client.ts";
import { JsonLogger } from "../../adapters/log/json_logger.ts";
import { Redactor } from "../../adapters/log/redact.ts";
import { JiraError } from "../../domain/ports/jira.ts";
import { findTransition, statusMatches } from "../../domain/transitions.ts";
import {
  FAKE_AI_USER,
  FAKE_JIRA_API_TOKEN,
  FAKE_JIRA_EMAIL,
  FAKE_REPORTER,
  FAKE_REVIEWER,
  type FakeJira,
  type FakeJiraOptions,
  startFakeJira,
} from "../../adapters/standins/jira_server.ts";
import schema from "../../adapters/standins/adf-schema-full.json" with { type: "json" };
import description from "../fixtures/jira/description.adf.json" with { type: "json" };

const { $schema: _draft, ...schemaBody } = schema as Record<string, unknown>;
const adfSchemaValid = new Ajv({ strict: false }).compile(schemaBody);

const START = Date.parse("2025-03-01T09:00:00Z");
const BASIC = btoa(`${FAKE_JIRA_EMAIL}:${FAKE_JIRA_API_TOKEN}`);

interface Harness {
  fake: FakeJira;
  client: HttpJiraClient;
  /** Every wait the client asked for, in order (retries and write spacing). */
  sleeps: number[];
  clock: { now: number };
}

/**
 * Runs `body` against a fresh fake Jira and a real client whose clock is
 * virtual: sleeping is recorded and advances the clock, nothing really waits.
 */
async function withJira(
  body: (h: Harness) => Promise<void>,
  options: { fake?: FakeJiraOptions; client?: Partial<HttpJiraClientOptions> } = {},
): Promise<void> {
  const fake = await startFakeJira({
    issues: [{
      key: "MWC-1",
      summary: "Fix the install page",
      description: description as never,
      labels: ["docs", "ai"],
      components: ["online-docs"],
      reporter: FAKE_REPORTER.accountId,
      assignee: FAKE_AI_USER.accountId,
      customFields: { customfield_10050: { value: "online-docs" } },
    }, { key: "MWC-2", summary: "Another" }],
    ...options.fake,
  });
  const clock = { now: START };
  const sleeps: number[] = [];
  const client = new HttpJiraClient({
    baseUrl: fake.url,
    email: FAKE_JIRA_EMAIL,
    apiToken: FAKE_JIRA_API_TOKEN,
    initialDelayMs: 100,
    maxDelayMs: 1000,
    perIssueWriteSpacingMs: 500,
    sleep: (ms) => {
      sleeps.push(ms);
      clock.now += ms;
      return Promise.resolve();
    },
    now: () => clock.now,
    random: () => 0.5,
    ...options.client,
  });
  try {
    await body({ fake, client, sleeps, clock });
  } finally {
    await fake.close();
  }
}

async function rejection(promise: Promise<unknown>): Promise<JiraError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof JiraError, `not a JiraError: ${error}`);
    return error;
  }
  assert.fail("expected a JiraError");
}

function assertNoSecret(text: string): void {
  assert.ok(!text.includes(FAKE_JIRA_API_TOKEN), `token leaked: ${text}`);
  assert.ok(!text.includes(BASIC), `basic credentials leaked: ${text}`);
}

Deno.test("getIssue reads the fields the worker needs, description as text", async () => {
  await withJira(async ({ fake, client }) => {
    const issue = await client.getIssue("MWC-1");
    assert.equal(issue.key, "MWC-1");
    assert.match(issue.id, /^\d+$/);
    assert.equal(issue.summary, "Fix the install page");
    assert.deepEqual(issue.status, { name: "To Do", categoryKey: "new" });
    assert.equal(issue.issueType, "Task");
    assert.deepEqual(issue.labels, ["docs", "ai"]);
    assert.deepEqual(issue.components, ["online-docs"]);
    assert.deepEqual(issue.assignee, {
      accountId: FAKE_AI_USER.accountId,
      displayName: "AI Runner",
    });
    assert.deepEqual(issue.reporter, {
      accountId: FAKE_REPORTER.accountId,
      displayName: "Pat Reporter",
    });
    assert.match(issue.updated, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.ok(issue.descriptionText.includes("Hi @Leigh Reviewer"), issue.descriptionText);
    assert.ok(issue.descriptionText.includes("```yaml\nsteps:"), issue.descriptionText);
    assert.equal(issue.customFields, undefined);
    const query = fake.requests[0].query;
    assert.equal(
      query.fields,
      "summary,description,status,labels,components,assignee,reporter,issuetype,updated," +
        "attachment,issuelinks,parent,subtasks",
    );
  });
});

Deno.test("getIssue returns the custom fields it is configured for", async () => {
  await withJira(async ({ client }) => {
    const issue = await client.getIssue("MWC-1");
    assert.deepEqual(issue.customFields, {
      customfield_10050: { value: "online-docs" },
      customfield_99999: null,
    });
  }, { client: { customFields: ["customfield_10050", "customfield_99999"] } });
});

Deno.test("listComments reads every page, oldest first, with edits", async () => {
  await withJira(async ({ fake, client }) => {
    const base = Date.parse("2025-02-01T00:00:00Z");
    for (let i = 0; i < 120; i++) {
      fake.state.addComment("MWC-1", {
        author: i % 2 ? FAKE_REVIEWER.accountId : FAKE_REPORTER.accountId,
        body: `Comment **${i}**`,
        created: new Date(base + i * 60_000),
      });
    }
    const edited = fake.state.comments("MWC-1")[7];
    fake.state.editComment("MWC-1", edited.id, "Comment 7, edited", new Date(base + 3_600_000));

    const comments = await client.listComments("MWC-1");
    assert.equal(comments.length, 120);
    assert.deepEqual(comments.map((c) => c.bodyText).slice(0, 3), [
      "Comment **0**",
      "Comment **1**",
      "Comment **2**",
    ]);
    assert.equal(comments[119].bodyText, "Comment **119**");
    assert.deepEqual(comments[1].author, {
      accountId: FAKE_REVIEWER.accountId,
      displayName: "Leigh Reviewer",
    });
    assert.equal(comments[7].bodyText, "Comment 7, edited");
    assert.equal(comments[7].created, "2025-02-01T00:07:00.000Z");
    assert.equal(comments[7].updated, "2025-02-01T01:00:00.000Z");
    assert.equal(new Set(comments.map((c) => c.id)).size, 120);
    const pages = fake.requests.filter((r) => r.path.endsWith("/comment"));
    assert.deepEqual(pages.map((r) => r.query.startAt), ["0", "50", "100"]);
    assert.ok(pages.every((r) => r.query.maxResults === "100" && r.query.orderBy === "created"));
  }, { fake: { maxCommentsPerPage: 50 } });
});

Deno.test("listComments pages with the page size it is given; none is an empty list", async () => {
  await withJira(async ({ fake, client }) => {
    assert.deepEqual(await client.listComments("MWC-2"), []);
    for (let i = 0; i < 3; i++) {
      fake.state.addComment("MWC-1", { author: FAKE_REVIEWER.accountId, body: `c${i}` });
    }
    assert.equal((await client.listComments("MWC-1")).length, 3);
    const pages = fake.requests.filter((r) => r.path === "/rest/api/3/issue/MWC-1/comment");
    assert.deepEqual(pages.map((r) => [r.query.startAt, r.query.maxResults]), [
      ["0", "2"],
      ["2", "2"],
    ]);
  }, { client: { commentPageSize: 2 } });
});

Deno.test("addComment posts Markdown as a valid ADF document", async () => {
  await withJira(async ({ fake, client }) => {
    const markdown =
      "## Changes ready\n\nOpened [PR #17](https://github.com/acme/online-docs/pull/17)" +
      "\n\n- `install.md`\n\n```bash\nnpx docs-cli build\n```\n\n`ai-runner-run:r-123`";
    const { id } = await client.addComment("MWC-1", markdown);
    const posted = fake.state.postedComments("MWC-1");
    assert.equal(posted.length, 1);
    assert.equal(posted[0].id, id);
    assert.equal(posted[0].author.accountId, FAKE_AI_USER.accountId);
    assert.ok(adfSchemaValid(posted[0].body), JSON.stringify(adfSchemaValid.errors));
    assert.equal(posted[0].body.content[0].type, "heading");
    assert.ok(posted[0].text.includes("[PR #17](https://github.com/acme/online-docs/pull/17)"));
    assert.ok(posted[0].text.includes("`ai-runner-run:r-123`"), "the run marker survives");
    const request = fake.requests.find((r) => r.method === "POST")!;
    assert.deepEqual(Object.keys(request.body as object), ["body"]);
    assert.equal(request.status, 201);
    const back = await client.listComments("MWC-1");
    assert.ok(back[0].bodyText.includes("```bash\nnpx docs-cli build\n```"));
    assert.equal(back.filter((c) => c.bodyText.includes("ai-runner-run:r-123")).length, 1);
  });
});

Deno.test("addComment refuses an empty comment without calling Jira", async () => {
  await withJira(async ({ fake, client }) => {
    const error = await rejection(client.addComment("MWC-1", "  \n"));
    assert.equal(error.kind, "permanent");
    assert.equal(error.status, null);
    assert.match(error.message, /add comment to MWC-1.*empty/);
    assert.equal(fake.requests.length, 0);
  });
});

Deno.test("transitions are found by target status, moved, and Done by name", async () => {
  await withJira(async ({ fake, client }) => {
    const fromToDo = await client.listTransitions("MWC-1");
    const testing = findTransition(fromToDo, "In Testing");
    assert.deepEqual(testing, {
      id: "31",
      name: "Ready for Testing",
      toStatus: "In Testing",
      toCategoryKey: "indeterminate",
      fields: [],
    });
    await client.transition("MWC-1", testing!.id);
    assert.equal(fake.state.issue("MWC-1").status.name, "In Testing");
    const issue = await client.getIssue("MWC-1");
    assert.equal(statusMatches(issue.status, "in testing"), true);

    const fromTesting = await client.listTransitions("MWC-1");
    assert.equal(findTransition(fromTesting, "In Testing"), null, "no transition to itself");
    const done = findTransition(fromTesting, "Done", "done");
    assert.equal(done?.name, "Close Issue");
    await client.transition("MWC-1", done!.id);
    assert.deepEqual(fake.state.issue("MWC-1").status, {
      id: "10002",
      name: "Done",
      categoryKey: "done",
    });
  });
});

Deno.test("Done falls back to the done category when no name matches", async () => {
  await withJira(async ({ fake, client }) => {
    const list = await client.listTransitions("MWC-1");
    assert.equal(findTransition(list, "Done"), null);
    const done = findTransition(list, "Done", "done");
    assert.equal(done?.toStatus, "Closed");
    await client.transition("MWC-1", done!.id);
    assert.equal(fake.state.issue("MWC-1").status.name, "Closed");
    assert.equal(statusMatches((await client.getIssue("MWC-1")).status, "Done", "done"), true);
  }, {
    fake: {
      workflow: {
        statuses: [
          { id: "1", name: "Open", categoryKey: "new" },
          { id: "6", name: "Closed", categoryKey: "done" },
        ],
        transitions: [{ id: "2", name: "Close Issue", to: "Closed" }],
      },
    },
  });
});

Deno.test("a transition Jira does not offer is a permanent error with Jira's message", async () => {
  await withJira(async ({ fake, client }) => {
    const error = await rejection(client.transition("MWC-1", "99"));
    assert.equal(error.kind, "permanent");
    assert.equal(error.status, 400);
    assert.equal(error.operation, "transition");
    assert.match(error.message, /transition MWC-1 \(transition 99\).*HTTP 400/);
    assert.ok(error.message.includes("Transition id '99' is not valid for this issue."));
    assert.equal(fake.requests.length, 1, "not retried");
  });
});

Deno.test("assign hands the issue over, unassigns, and rejects unknown accounts", async () => {
  await withJira(async ({ fake, client }) => {
    await client.assign("MWC-1", FAKE_REVIEWER.accountId);
    assert.equal(fake.state.issue("MWC-1").assignee?.displayName, "Leigh Reviewer");
    await client.assign("MWC-1", null);
    assert.equal(fake.state.issue("MWC-1").assignee, null);
    const put = fake.requests.filter((r) => r.method === "PUT").map((r) => r.body);
    assert.deepEqual(put, [{ accountId: FAKE_REVIEWER.accountId }, { accountId: null }]);
    const error = await rejection(client.assign("MWC-1", "nobody-123"));
    assert.equal(error.kind, "permanent");
    assert.match(error.message, /User 'nobody-123' cannot be assigned issues/);
  });
});

Deno.test("myself names the account behind the credentials", async () => {
  await withJira(async ({ client }) => {
    assert.deepEqual(await client.myself(), {
      accountId: FAKE_AI_USER.accountId,
      displayName: "AI Runner",
    });
  });
});

Deno.test("429 with Retry-After: the client waits exactly that long, then succeeds", async () => {
  const lines: string[] = [];
  const logger = new JsonLogger({
    level: "debug",
    sink: (l) => lines.push(l),
    redactor: new Redactor([FAKE_JIRA_API_TOKEN]),
  });
  await withJira(async ({ fake, client, sleeps }) => {
    fake.injectFault({
      method: "GET",
      path: "/issue/MWC-1",
      status: 429,
      retryAfterSeconds: 7,
      times: 2,
    });
    const issue = await client.getIssue("MWC-1");
    assert.equal(issue.key, "MWC-1");
    assert.deepEqual(sleeps, [7000, 7000]);
    assert.deepEqual(fake.requests.map((r) => r.status), [429, 429, 200]);
    const retries = lines.map((l) => JSON.parse(l)).filter((l) =>
      l.msg === "jira request retrying"
    );
    assert.equal(retries.length, 2);
    assert.equal(retries[0].waitMs, 7000);
    assert.equal(retries[0].retryAfterHonoured, true);
  }, { client: { logger } });
});

Deno.test("429 without Retry-After waits until X-RateLimit-Reset (ISO timestamp)", async () => {
  await withJira(async ({ fake, client, sleeps }) => {
    fake.injectFault({ status: 429, rateLimitReset: "2025-03-01T09:01Z" });
    await client.myself();
    assert.deepEqual(sleeps, [60_000]);
  }, { client: { maxRetryAfterMs: 120_000 } });
});

Deno.test("a wait longer than maxRetryAfterMs is handed to the caller, not slept", async () => {
  await withJira(async ({ fake, client, sleeps }) => {
    fake.injectFault({ status: 429, retryAfterSeconds: 600 });
    const error = await rejection(client.getIssue("MWC-1"));
    assert.equal(error.kind, "transient");
    assert.equal(error.status, 429);
    assert.equal(error.retryAfterMs, 600_000);
    assert.deepEqual(sleeps, []);
    assert.equal(fake.requests.length, 1);
    assert.match(error.message, /asked to wait 600 s/);
  });
});

Deno.test("503 and 500 are retried with exponential backoff", async () => {
  await withJira(async ({ fake, client, sleeps }) => {
    fake.injectFault({ status: 503 });
    fake.injectFault({ status: 500 });
    fake.injectFault({ status: 502 });
    assert.equal((await client.listTransitions("MWC-1")).length > 0, true);
    assert.deepEqual(sleeps, [100, 200, 400]);
    assert.deepEqual(fake.requests.map((r) => r.status), [503, 500, 502, 200]);
  });
});

Deno.test("retries stop after maxRetries with a transient error", async () => {
  await withJira(async ({ fake, client, sleeps }) => {
    fake.injectFault({ status: 503, times: 5 });
    const error = await rejection(client.getIssue("MWC-1"));
    assert.equal(error.kind, "transient");
    assert.equal(error.status, 503);
    assert.equal(error.ambiguous, false);
    assert.match(error.message, /get issue MWC-1 failed: HTTP 503.*gave up after 3 attempt/);
    assert.deepEqual(sleeps, [100, 200]);
    assert.equal(fake.requests.length, 3);
  }, { client: { maxRetries: 2 } });
});

Deno.test("POST comment is retried on 429 and posted once", async () => {
  await withJira(async ({ fake, client, sleeps }) => {
    fake.injectFault({ method: "POST", path: "/comment", status: 429, retryAfterSeconds: 2 });
    await client.addComment("MWC-1", "Result");
    assert.equal(fake.state.postedComments("MWC-1").length, 1);
    assert.deepEqual(sleeps, [2000]);
  });
});

Deno.test("POST comment is not retried when the outcome is unknown", async () => {
  await withJira(async ({ fake, client, sleeps }) => {
    fake.injectFault({ method: "POST", path: "/comment", status: 504, applyThenFail: true });
    const error = await rejection(client.addComment("MWC-1", "Result"));
    assert.equal(error.kind, "transient");
    assert.equal(error.ambiguous, true);
    assert.match(error.message, /add comment to MWC-1 failed: HTTP 504.*may have been applied/);
    assert.equal(fake.state.postedComments("MWC-1").length, 1, "landed once, not twice");
    assert.equal(fake.requests.length, 1);
    assert.deepEqual(sleeps, []);
  });
});

Deno.test("a request that times out is retried when idempotent", async () => {
  await withJira(async ({ fake, client }) => {
    fake.injectFault({ path: "/myself", delayMs: 10_000 });
    assert.equal((await client.myself()).displayName, "AI Runner");
    assert.equal(fake.requests.filter((r) => r.path === "/rest/api/3/myself").length, 2);
  }, { client: { requestTimeoutMs: 100 } });
});

Deno.test("a refused connection: reads and writes retry (nothing was sent), then fail transient", async () => {
  const closed = await startFakeJira();
  await closed.close();
  const sleeps: number[] = [];
  const client = new HttpJiraClient({
    baseUrl: closed.url,
    email: FAKE_JIRA_EMAIL,
    apiToken: FAKE_JIRA_API_TOKEN,
    maxRetries: 2,
    initialDelayMs: 10,
    perIssueWriteSpacingMs: 0,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    random: () => 0.5,
  });
  const read = await rejection(client.getIssue("MWC-1"));
  assert.equal(read.kind, "transient");
  assert.equal(read.status, null);
  assert.match(read.message, /get issue MWC-1 failed: no response.*gave up after 3 attempt/);
  const write = await rejection(client.addComment("MWC-1", "hello"));
  assert.equal(write.ambiguous, false, "a refused connection never reached Jira");
  assert.deepEqual(sleeps, [10, 20, 10, 20]);
  assertNoSecret(read.message + write.message);
});

Deno.test("401 is permanent, says what to check, and never shows the token", async () => {
  await withJira(async ({ fake, client, sleeps }) => {
    const error = await rejection(client.getIssue("MWC-1"));
    assert.equal(error.kind, "permanent");
    assert.equal(error.status, 401);
    assert.equal(error.issueKey, "MWC-1");
    assert.match(error.message, /^Jira get issue MWC-1 failed: HTTP 401/);
    assert.match(error.message, /You are not authenticated/);
    assert.match(error.message, /check JIRA_EMAIL and JIRA_API_TOKEN/);
    assert.ok(!error.message.includes("wrong-token-abcdef"));
    assert.ok(!error.message.includes(btoa(`${FAKE_JIRA_EMAIL}:wrong-token-abcdef`)));
    assert.equal(fake.requests.length, 1, "not retried");
    assert.equal(fake.requests[0].authorized, false);
    assert.deepEqual(sleeps, []);
  }, { client: { apiToken: "wrong-token-abcdef" } });
});

Deno.test("404 is permanent with Jira's message", async () => {
  await withJira(async ({ fake, client }) => {
    const error = await rejection(client.listComments("NOPE-9"));
    assert.equal(error.kind, "permanent");
    assert.equal(error.status, 404);
    assert.match(error.message, /list comments of NOPE-9.*HTTP 404/);
    assert.ok(
      error.message.includes("Issue does not exist or you do not have permission to see it."),
    );
    assert.equal(fake.requests.length, 1);
  });
});

Deno.test("secrets echoed by Jira are scrubbed from error messages", async () => {
  await withJira(async ({ fake, client }) => {
    fake.injectFault({
      status: 400,
      body: { errorMessages: [`bad header Basic ${BASIC} for token ${FAKE_JIRA_API_TOKEN}`] },
    });
    const error = await rejection(client.getIssue("MWC-1"));
    assertNoSecret(error.message);
    assertNoSecret(error.jiraMessages.join(" "));
    assert.match(error.message, /\[REDACTED\]/);
  });
});

Deno.test("writes to one issue are spaced; reads and other issues are not", async () => {
  await withJira(async ({ fake, client, sleeps, clock }) => {
    await client.getIssue("MWC-1");
    await client.addComment("MWC-1", "Result");
    await client.listTransitions("MWC-1");
    await client.transition("MWC-1", "31");
    await client.assign("MWC-2", FAKE_REVIEWER.accountId);
    clock.now += 120;
    await client.assign("MWC-1", FAKE_REVIEWER.accountId);
    assert.deepEqual(sleeps, [500, 380]);
    assert.deepEqual(
      fake.requests.map((r) => `${r.method} ${r.path.replace("/rest/api/3/issue/", "")}`),
      [
        "GET MWC-1",
        "POST MWC-1/comment",
        "GET MWC-1/transitions",
        "POST MWC-1/transitions",
        "PUT MWC-2/assignee",
        "PUT MWC-1/assignee",
      ],
    );
  });
});

Deno.test("userGroups reads a user's group names; an unknown account is a 404 JiraError", async () => {
  await withJira(async ({ client, fake }) => {
    assert.deepEqual(await client.userGroups(FAKE_REVIEWER.accountId), ["docs-writers"]);
    assert.deepEqual(await client.userGroups(FAKE_REPORTER.accountId), []);
    const error = await client.userGroups("no-such-account").catch((e) => e);
    assert.ok(error instanceof JiraError);
    assert.equal(error.status, 404);
    const request = fake.requests.find((r) => r.path === "/rest/api/3/user/groups");
    assert.equal(request?.query.accountId, FAKE_REVIEWER.accountId);
  }, {
    fake: { users: [{ ...FAKE_REVIEWER, groups: ["docs-writers"] }, FAKE_REPORTER] },
  });
});
