/**
 * The Jira Data Center client against the Data Center fake: the v2 shapes on
 * the wire (wiki markup strings, `{"name": …}`, Bearer PAT or Basic), required
 * transition fields, Data Center's rate-limit answers, attachments and issue
 * links, and the fake's own strictness.
 */
import assert from "node:assert/strict";
import {
  DataCenterJiraClient,
  type DataCenterJiraClientOptions,
} from "../../adapters/jira/datacenter/client.ts";
import {
  FAKE_DC_AI_USER,
  FAKE_DC_PAT,
  FAKE_DC_REPORTER,
  FAKE_DC_REVIEWER,
  type FakeJiraDc,
  type FakeJiraDcOptions,
  startFakeJiraDc,
} from "../../adapters/standins/jira_dc_server.ts";
import { JiraError } from "../../domain/ports/jira.ts";
import { findTransition } from "../../domain/transitions.ts";

interface Harness {
  fake: FakeJiraDc;
  client: DataCenterJiraClient;
  sleeps: number[];
  fetched: string[];
}

async function withDc(
  body: (h: Harness) => Promise<void>,
  options: { fake?: FakeJiraDcOptions; client?: Partial<DataCenterJiraClientOptions> } = {},
): Promise<void> {
  const fake = await startFakeJiraDc({
    issues: [
      {
        key: "MWC-1",
        summary: "Fix the install page",
        description: "h2. Steps\n# open {{docs/install.md}}\n# fix *recieve*",
        assignee: FAKE_DC_AI_USER.name,
        reporter: FAKE_DC_REPORTER.name,
        customFields: { customfield_10050: { value: "online-docs" } },
        attachments: [{ filename: "screenshot.png", mimeType: "image/png", content: "PNGDATA" }],
        links: [{
          type: "Blocks",
          inward: "is blocked by",
          outward: "blocks",
          to: "MWC-2",
          direction: "outward",
        }],
      },
      { key: "MWC-2", summary: "Publish the docs" },
    ],
    ...options.fake,
  });
  const clock = { now: Date.parse("2025-03-01T09:00:00Z") };
  const sleeps: number[] = [];
  const fetched: string[] = [];
  const client = new DataCenterJiraClient({
    baseUrl: fake.url,
    auth: { kind: "pat", token: FAKE_DC_PAT },
    initialDelayMs: 100,
    maxDelayMs: 1000,
    customFields: ["customfield_10050"],
    fetch: (input, init) => {
      fetched.push(String(input));
      return fetch(input, init);
    },
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
    await body({ fake, client, sleeps, fetched });
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
  assert.fail("expected a rejection");
}

Deno.test("jira dc client: v2 paths, Bearer PAT, wiki markup read as text", async () => {
  await withDc(async ({ fake, client }) => {
    const issue = await client.getIssue("MWC-1");
    assert.equal(issue.descriptionText, "## Steps\n1. open `docs/install.md`\n1. fix **recieve**");
    assert.deepEqual(issue.customFields, { customfield_10050: { value: "online-docs" } });
    assert.equal(issue.assignee?.accountId, "ai-runner");
    assert.equal(client.deployment, "datacenter");
    assert.ok(fake.requests.every((r) => r.auth === "bearer" && r.path.startsWith("/rest/api/2/")));
  });
});

Deno.test("jira dc client: comments go out as wiki markup strings", async () => {
  await withDc(async ({ fake, client }) => {
    await client.addComment(
      "MWC-1",
      "## Done\n**Bold** and *it*, [the PR](https://github.example/pr/1), `code`\n\n" +
        "```python\nprint(1)\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n> quoted\n\n" +
        "Thanks [@Leigh](mention:leigh)",
    );
    const posted = fake.requests.find((r) => r.method === "POST")!.body as { body: unknown };
    assert.equal(
      posted.body,
      "h2. Done\n\n*Bold* and _it_, [the PR|https://github.example/pr/1], {{code}}\n\n" +
        "{code:python}\nprint(1)\n{code}\n\n||a||b||\n|1|2|\n\n{quote}\nquoted\n{quote}\n\n" +
        "Thanks [~leigh]",
    );
  });
});

Deno.test("jira dc client: a comment over Jira's 32,767 characters is refused unsent", async () => {
  await withDc(async ({ fake, client }) => {
    const error = await rejection(client.addComment("MWC-1", "x".repeat(40_000)));
    assert.equal(error.status, null);
    assert.equal(fake.requests.filter((r) => r.method === "POST").length, 0);
  });
});

Deno.test("jira dc client: transitions list their screen fields; Done needs a Resolution", async () => {
  await withDc(async ({ fake, client }) => {
    const transitions = await client.listTransitions("MWC-1");
    const done = findTransition(transitions, "Done", "done")!;
    assert.equal(done.name, "Close Issue");
    assert.deepEqual(done.fields?.map((f) => [f.id, f.required, f.schemaType]), [
      ["resolution", true, "resolution"],
    ]);
    assert.deepEqual(done.fields?.[0].allowedValues?.map((v) => v.name), [
      "Done",
      "Won't Do",
      "Duplicate",
    ]);
    assert.equal(findTransition(transitions, "In Testing")?.fields?.length, 0);

    const missing = await rejection(client.transition("MWC-1", done.id));
    assert.equal(missing.status, 400);
    assert.equal(missing.kind, "permanent");
    assert.deepEqual(missing.jiraMessages, ["resolution: Resolution is required."]);
    const offScreen = await rejection(
      client.transition("MWC-1", findTransition(transitions, "In Testing")!.id, {
        resolution: { name: "Done" },
      }),
    );
    assert.match(offScreen.message, /cannot be set\. It is not on the appropriate screen/);
    assert.equal(fake.state.issue("MWC-1").status.name, "To Do");

    await client.transition("MWC-1", done.id, { resolution: { name: "Done" } });
    assert.equal(fake.state.issue("MWC-1").status.name, "Done");
    assert.equal(fake.state.issue("MWC-1").resolution, "Done");
    const sent = fake.requests.filter((r) => r.method === "POST").at(-1)!.body;
    assert.deepEqual(sent, { transition: { id: "41" }, fields: { resolution: { name: "Done" } } });
  });
});

Deno.test("jira dc client: assignment is {name}; an unknown user is a permanent 400", async () => {
  await withDc(async ({ fake, client }) => {
    await client.assign("MWC-1", FAKE_DC_REVIEWER.name);
    assert.deepEqual(fake.requests.at(-1)!.body, { name: "leigh" });
    assert.equal(fake.state.issue("MWC-1").assignee?.name, "leigh");
    const error = await rejection(client.assign("MWC-1", "5f1a2b3c4d5e6f0000a1001"));
    assert.equal(error.status, 400);
  });
});

Deno.test("jira dc client: Basic auth for a Server without PATs", async () => {
  const basic = { username: "ai-runner", password: "s3rver-password-long" };
  await withDc(async ({ fake, client }) => {
    assert.equal((await client.myself()).accountId, "ai-runner");
    assert.equal(fake.requests.at(-1)!.auth, "basic");
  }, {
    fake: { basic },
    client: { auth: { kind: "basic", username: basic.username, password: basic.password } },
  });
});

Deno.test("jira dc client: a 429 without Retry-After waits the bucket's refill interval", async () => {
  await withDc(async ({ fake, client, sleeps }) => {
    fake.injectFault({ status: 429, path: "/issue/MWC-1", intervalSeconds: 3 });
    await client.getIssue("MWC-1");
    assert.deepEqual(sleeps, [3000]);
  });
});

Deno.test("jira dc client: a Retry-After too long to sleep surfaces for the caller", async () => {
  await withDc(async ({ fake, client, sleeps }) => {
    fake.injectFault({ status: 429, path: "/comment", retryAfterSeconds: 600 });
    const error = await rejection(client.addComment("MWC-1", "hi"));
    assert.equal(error.kind, "transient");
    assert.equal(error.retryAfterMs, 600_000);
    assert.equal(error.ambiguous, false);
    assert.deepEqual(sleeps, []);
  });
});

Deno.test("jira dc client: a comment that may have been applied is not posted twice", async () => {
  await withDc(async ({ fake, client }) => {
    fake.injectFault({ status: 500, method: "POST", path: "/comment", applyThenFail: true });
    const error = await rejection(client.addComment("MWC-1", "once"));
    assert.equal(error.ambiguous, true);
    assert.equal(fake.state.postedComments("MWC-1").length, 1);
  });
});

Deno.test("jira dc client (attacker): the PAT never appears in an error, even when echoed", async () => {
  await withDc(async ({ fake, client }) => {
    fake.injectFault({
      status: 400,
      path: "/issue/MWC-1",
      body: { errorMessages: [`bad header Authorization: Bearer ${FAKE_DC_PAT}`], errors: {} },
    });
    const error = await rejection(client.getIssue("MWC-1"));
    assert.ok(!error.message.includes(FAKE_DC_PAT), error.message);
    assert.ok(!error.jiraMessages.join(" ").includes(FAKE_DC_PAT));
    assert.match(error.message, /\[REDACTED\]/);
  });
});

Deno.test("jira dc client: attachments and issue links in their v2 shapes", async () => {
  await withDc(async ({ client }) => {
    const [attachment] = await client.listAttachments("MWC-1");
    assert.equal(attachment.filename, "screenshot.png");
    assert.equal(attachment.mimeType, "image/png");
    assert.equal(attachment.size, 7);
    assert.equal(new TextDecoder().decode(await client.downloadAttachment(attachment)), "PNGDATA");
    const links = await client.listIssueLinks("MWC-1");
    assert.deepEqual(links.map((l) => [l.relation, l.key, l.summary, l.status]), [
      ["blocks", "MWC-2", "Publish the docs", "To Do"],
    ]);
  });
});

Deno.test("jira dc client (attacker): an attachment URL off the site never gets the credentials", async () => {
  await withDc(async ({ client, fetched }) => {
    const [attachment] = await client.listAttachments("MWC-1");
    const before = fetched.length;
    for (const contentUrl of ["https://evil.example/steal", "http://127.0.0.2:9/x"]) {
      const error = await rejection(client.downloadAttachment({ ...attachment, contentUrl }));
      assert.match(error.message, /not on http:\/\/127\.0\.0\.1/);
    }
    const tooBig = await rejection(client.downloadAttachment({ ...attachment, size: 1 << 30 }));
    assert.match(tooBig.message, /over the/);
    assert.equal(fetched.length, before, "nothing was fetched");
  });
});

Deno.test("jira dc client: serverInfo says Server", async () => {
  await withDc(async ({ client }) => {
    const info = await client.serverInfo();
    assert.equal(info.deploymentType, "Server");
    assert.match(info.version, /^\d+\.\d+\.\d+$/);
  });
});

Deno.test("jira dc fake: as strict as Jira DC about auth, bodies and users", async () => {
  await withDc(async ({ fake }) => {
    const send = (path: string, method: string, body?: unknown, auth = `Bearer ${FAKE_DC_PAT}`) =>
      fetch(`${fake.url}${path}`, {
        method,
        headers: { Authorization: auth, "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const status = async (res: Promise<Response>) => {
      const r = await res;
      await r.body?.cancel();
      return r.status;
    };
    assert.equal(await status(send("/rest/api/2/myself", "GET", undefined, "Bearer wrong")), 401);
    assert.equal(
      await status(send("/rest/api/2/myself", "GET", undefined, `Basic ${btoa("a:b")}`)),
      401,
    );
    const adf = { type: "doc", version: 1, content: [] };
    assert.equal(await status(send("/rest/api/2/issue/MWC-1/comment", "POST", { body: adf })), 400);
    assert.equal(
      await status(send("/rest/api/2/issue/MWC-1/assignee", "PUT", { accountId: "x" })),
      400,
    );
    assert.equal(await status(send("/rest/api/3/myself", "GET")), 404);
    assert.equal(fake.state.postedComments("MWC-1").length, 0);
  });
});
