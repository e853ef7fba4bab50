/**
 * The whole ticket from the fake Jira through the real client: attachments
 * (metadata, and bytes behind Jira's 303 to its media store), issue links in
 * both directions, the parent and sub-tasks, and related issues read briefly
 * in one enhanced search (`POST /rest/api/3/search/jql`).
 */
import assert from "node:assert/strict";
import { HttpJiraClient } from "../../adapters/jira/client.ts";
import {
  FAKE_JIRA_API_TOKEN,
  FAKE_JIRA_EMAIL,
  FAKE_REPORTER,
  type FakeJira,
  type FakeJiraOptions,
  startFakeJira,
} from "../../adapters/standins/jira_server.ts";
import { JiraError } from "../../domain/ports/jira.ts";
import { prepareAttachments } from "../../domain/attachments.ts";

const PNG_1x1 = Uint8Array.from(
  atob(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  ),
  (c) => c.charCodeAt(0),
);

async function withJira(
  body: (fake: FakeJira, client: HttpJiraClient) => Promise<void>,
  options: FakeJiraOptions = {},
): Promise<void> {
  const fake = await startFakeJira({
    ...options,
    issues: [
      { key: "OPS-1", summary: "Epic: logging", issueType: "Epic", description: "The epic." },
      {
        key: "OPS-2",
        summary: "Login page crashes",
        parent: "OPS-1",
        reporter: FAKE_REPORTER.accountId,
        description: "See the screenshot and the log.",
        attachments: [
          { filename: "screen.png", mimeType: "image/png", content: PNG_1x1 },
          { filename: "server.log", mimeType: "text/plain", content: "ERROR boom\n".repeat(100) },
        ],
      },
      { key: "OPS-3", summary: "Write the migration", issueType: "Sub-task", parent: "OPS-2" },
      {
        key: "OPS-4",
        summary: "Session store",
        status: "In Progress",
        description: "A long description. ".repeat(100),
      },
    ],
  });
  fake.state.linkIssues("Blocks", "OPS-4", "OPS-2"); // OPS-4 blocks OPS-2
  fake.state.linkIssues("Relates", "OPS-2", "OPS-1");
  const client = new HttpJiraClient({
    baseUrl: fake.url,
    email: FAKE_JIRA_EMAIL,
    apiToken: FAKE_JIRA_API_TOKEN,
    maxRetries: 0,
    perIssueWriteSpacingMs: 0,
  });
  try {
    await body(fake, client);
  } finally {
    await fake.close();
  }
}

Deno.test("jira: the issue carries its attachments, links, parent and sub-tasks", async () => {
  await withJira(async (_fake, client) => {
    const issue = await client.getIssue("OPS-2");
    assert.deepEqual(
      issue.attachments?.map((a) => [a.filename, a.mimeType, a.size, a.author?.accountId]),
      [
        ["screen.png", "image/png", PNG_1x1.length, FAKE_REPORTER.accountId],
        ["server.log", "text/plain", 1100, FAKE_REPORTER.accountId],
      ],
    );
    assert.deepEqual(issue.links, [
      {
        key: "OPS-4",
        summary: "Session store",
        status: "In Progress",
        issueType: "Task",
        type: "is blocked by",
        direction: "inward",
      },
      {
        key: "OPS-1",
        summary: "Epic: logging",
        status: "To Do",
        issueType: "Epic",
        type: "relates to",
        direction: "outward",
      },
    ]);
    assert.equal(issue.parent?.key, "OPS-1");
    assert.deepEqual(issue.subtasks?.map((s) => [s.key, s.issueType]), [["OPS-3", "Sub-task"]]);
    const epic = await client.getIssue("OPS-1");
    assert.equal(epic.parent, undefined);
    assert.deepEqual(epic.attachments, []);
  });
});

Deno.test("jira: attachment bytes come through Jira's 303 to the media store, bounded", async () => {
  await withJira(async (fake, client) => {
    const issue = await client.getIssue("OPS-2");
    const [png, log] = issue.attachments!;
    const image = await client.attachmentContent(png.id, 1_000_000);
    assert.deepEqual(image.bytes, PNG_1x1);
    assert.equal(image.mimeType, "image/png");
    assert.equal(image.truncated, false);
    const cut = await client.attachmentContent(log.id, 64);
    assert.equal(cut.bytes.length, 64);
    assert.equal(cut.truncated, true);
    const redirects = fake.requests.filter((r) => r.path.startsWith("/rest/api/3/attachment"));
    assert.ok(redirects.every((r) => r.status === 303), JSON.stringify(redirects));
    assert.equal(fake.mediaRequests.length, 2);
    await assert.rejects(client.attachmentContent("99999", 10), (e: JiraError) => e.status === 404);
    await assert.rejects(client.attachmentContent("../myself", 10), JiraError);
  });
});

Deno.test("jira attacker: the media store on another origin never gets Jira's credentials", async () => {
  await withJira(async (fake, client) => {
    const issue = await client.getIssue("OPS-2");
    const content = await client.attachmentContent(issue.attachments![0].id, 1_000_000);
    assert.deepEqual(content.bytes, PNG_1x1);
    assert.equal(fake.mediaRequests.length, 1);
    assert.equal(fake.mediaRequests[0].authorization, null);
  }, { separateMediaHost: true });
});

Deno.test("jira: related issues are read briefly in one enhanced search", async () => {
  await withJira(async (fake, client) => {
    const briefs = await client.briefIssues(["OPS-4", "OPS-1", "ops-3"], 50);
    assert.deepEqual(briefs.map((b) => [b.key, b.status, b.issueType]), [
      ["OPS-4", "In Progress", "Task"],
      ["OPS-1", "To Do", "Epic"],
      ["OPS-3", "To Do", "Sub-task"],
    ]);
    assert.ok(briefs[0].description.length <= 50 && briefs[0].description.endsWith("…"));
    assert.equal(briefs[1].description, "The epic.");
    const searches = fake.requests.filter((r) => r.path === "/rest/api/3/search/jql");
    assert.equal(searches.length, 1);
    assert.equal(searches[0].method, "POST");
  });
});

Deno.test("jira: a related key Jira cannot find is dropped, and text that is not a key never reaches JQL", async () => {
  await withJira(async (fake, client) => {
    const briefs = await client.briefIssues([
      "OPS-4",
      "GONE-9",
      'OPS-1) OR project = "SECRET',
      "OPS-1",
    ]);
    assert.deepEqual(briefs.map((b) => b.key), ["OPS-4", "OPS-1"]);
    const jqls = fake.requests.filter((r) => r.path === "/rest/api/3/search/jql")
      .map((r) => (r.body as { jql: string }).jql);
    assert.deepEqual(jqls, ["key in (OPS-4, GONE-9, OPS-1)", "key in (OPS-4, OPS-1)"]);
    assert.deepEqual(await client.briefIssues([]), []);
  });
});

Deno.test("fake jira: the enhanced search refuses the old startAt paging, as Jira does", async () => {
  await withJira(async (fake) => {
    const response = await fetch(`${fake.url}/rest/api/3/search/jql`, {
      method: "POST",
      headers: {
        Authorization: `Basic ${btoa(`${FAKE_JIRA_EMAIL}:${FAKE_JIRA_API_TOKEN}`)}`,
        "Content-Type": "application/json",
      },
      body: JSON.stringify({ jql: "key in (OPS-1)", startAt: 0 }),
    });
    assert.equal(response.status, 400);
    assert.match((await response.json()).errorMessages[0], /Invalid request payload/);
  });
});

Deno.test("jira: the fake's screenshot arrives as an image and its log as text for the prompt", async () => {
  await withJira(async (_fake, client) => {
    const issue = await client.getIssue("OPS-2");
    const prepared = await prepareAttachments(
      issue.attachments ?? [],
      (id, max) => client.attachmentContent(id, max),
    );
    assert.deepEqual(prepared.images.map((i) => [i.filename, i.mediaType, i.width]), [
      ["screen.png", "image/png", 1],
    ]);
    assert.equal(prepared.images[0].base64, btoa(String.fromCharCode(...PNG_1x1)));
    assert.deepEqual(prepared.texts.map((t) => [t.filename, t.text.length, t.truncated]), [
      ["server.log", 1100, false],
    ]);
  });
});
