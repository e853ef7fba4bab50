/**
 * The fake Jira refuses what real Jira refuses, and the client copes the way
 * it must on a real site: transition screens with required fields, the
 * comment size limit, ADF that Atlassian's official schema rejects, and the
 * rate-limit headers of a 429.
 */
import assert from "node:assert/strict";
import { HttpJiraClient } from "../../adapters/jira/client.ts";
import { adfSize, JIRA_COMMENT_LIMIT } from "../../adapters/jira/comment_limit.ts";
import { officialAdfProblems } from "../../adapters/standins/adf_schema.ts";
import {
  FAKE_JIRA_API_TOKEN,
  FAKE_JIRA_EMAIL,
  type FakeJira,
  type FakeWorkflow,
  RESOLUTION_SCREEN,
  SCREENED_WORKFLOW,
  startFakeJira,
} from "../../adapters/standins/jira_server.ts";
import { JiraError } from "../../domain/ports/jira.ts";
import { fillTransitionFields, findTransition } from "../../domain/transitions.ts";

const AUTH = `Basic ${btoa(`${FAKE_JIRA_EMAIL}:${FAKE_JIRA_API_TOKEN}`)}`;

async function withFake(
  body: (fake: FakeJira, client: HttpJiraClient) => Promise<void>,
  workflow: FakeWorkflow = SCREENED_WORKFLOW,
): Promise<void> {
  const fake = await startFakeJira({
    workflow,
    issues: [{ key: "MWC-1", summary: "Screens", status: "In Testing" }],
  });
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

async function call(
  fake: FakeJira,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> | null; headers: Headers }> {
  const response = await fetch(`${fake.url}${path}`, {
    method,
    headers: { Authorization: AUTH, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return {
    status: response.status,
    json: text ? JSON.parse(text) : null,
    headers: response.headers,
  };
}

const TRANSITIONS = "/rest/api/3/issue/MWC-1/transitions";

Deno.test("jira fake: a Done transition whose screen requires Resolution is refused without it", async () => {
  await withFake(async (fake) => {
    const bare = await call(fake, "POST", TRANSITIONS, { transition: { id: "41" } });
    assert.equal(bare.status, 400);
    assert.deepEqual(bare.json, {
      errorMessages: [],
      errors: { resolution: "Resolution is required." },
    });
    const notAllowed = await call(fake, "POST", TRANSITIONS, {
      transition: { id: "41" },
      fields: { resolution: { name: "Shipped" } },
    });
    assert.equal(notAllowed.status, 400);
    const offScreen = await call(fake, "POST", TRANSITIONS, {
      transition: { id: "41" },
      fields: { resolution: { name: "Done" }, customfield_10099: "x" },
    });
    assert.equal(offScreen.status, 400);
    assert.match(
      String((offScreen.json?.errors as Record<string, string>).customfield_10099),
      /not on the appropriate screen/,
    );
    assert.equal(fake.state.issue("MWC-1").status.name, "In Testing", "nothing moved");
    const ok = await call(fake, "POST", TRANSITIONS, {
      transition: { id: "41" },
      fields: { resolution: { name: "Done" } },
    });
    assert.equal(ok.status, 204);
    assert.equal(fake.state.issue("MWC-1").status.name, "Done");
  });
});

Deno.test("jira fake: screens are listed only with expand=transitions.fields", async () => {
  await withFake(async (fake) => {
    const plain = await call(fake, "GET", TRANSITIONS);
    const listed = plain.json?.transitions as Record<string, unknown>[];
    assert.ok(listed.every((t) => !("fields" in t)));
    assert.equal(listed.find((t) => t.id === "41")?.hasScreen, true);
    const expanded = await call(fake, "GET", `${TRANSITIONS}?expand=transitions.fields`);
    // deno-lint-ignore no-explicit-any
    const close = (expanded.json?.transitions as any[]).find((t) => t.id === "41");
    const resolution = close.fields.resolution;
    assert.equal(resolution.required, true);
    assert.deepEqual(resolution.schema, { type: "resolution", system: "resolution" });
    assert.equal(
      (resolution.allowedValues as unknown[]).length,
      RESOLUTION_SCREEN[0].allowedValues!.length,
    );
  });
});

Deno.test("jira client: lists screens, fills Resolution, and closes the ticket", async () => {
  await withFake(async (fake, client) => {
    const transitions = await client.listTransitions("MWC-1");
    assert.equal(fake.requests.at(-1)?.query.expand, "transitions.fields");
    const done = findTransition(transitions, "Done", "done")!;
    assert.deepEqual(done.fields?.map((f) => [f.id, f.required, f.schemaType]), [
      ["resolution", true, "resolution"],
    ]);
    const filled = fillTransitionFields(done, {});
    assert.ok(filled.ok);
    await client.transition("MWC-1", done.id, filled.fields);
    const issue = fake.state.issue("MWC-1");
    assert.equal(issue.status.name, "Done");
    assert.deepEqual(issue.screenFields, { resolution: { id: "10000" } }, "Resolution: Done");
    // Without the fields, Jira's refusal reaches the caller word for word, permanent.
    await client.transition("MWC-1", "51");
    const closeAgain = findTransition(await client.listTransitions("MWC-1"), "Done", "done")!;
    await assert.rejects(client.transition("MWC-1", closeAgain.id), (e: JiraError) => {
      assert.equal(e.status, 400);
      assert.equal(e.kind, "permanent");
      assert.match(e.message, /Resolution is required\./);
      return true;
    });
    // A transition without fields sends exactly what it always did.
    await client.transition("MWC-1", "31");
    assert.deepEqual(fake.requests.at(-1)?.body, { transition: { id: "31" } });
  });
});

Deno.test("jira client: a required field that cannot be filled is named with its allowed values", async () => {
  const workflow: FakeWorkflow = {
    ...SCREENED_WORKFLOW,
    transitions: SCREENED_WORKFLOW.transitions.map((t) =>
      t.id === "41"
        ? {
          ...t,
          screen: [...RESOLUTION_SCREEN, {
            id: "customfield_10060",
            name: "Release train",
            required: true,
            schemaType: "option",
            allowedValues: [{ id: "1", value: "Spring" }, { id: "2", value: "Autumn" }],
          }],
        }
        : t
    ),
  };
  await withFake(async (fake, client) => {
    const done = findTransition(await client.listTransitions("MWC-1"), "Done", "done")!;
    const refused = fillTransitionFields(done, {}, "JIRA_TRANSITION_DONE_FIELDS");
    assert.equal(refused.ok, false);
    if (!refused.ok) {
      assert.match(
        refused.message,
        /Release train \(customfield_10060; allowed values: "Spring", "Autumn"\)/,
      );
    }
    const filled = fillTransitionFields(done, { "Release train": "Autumn", resolution: "Done" });
    assert.ok(filled.ok);
    await client.transition("MWC-1", done.id, filled.fields);
    assert.deepEqual(fake.state.issue("MWC-1").screenFields, {
      resolution: { name: "Done" },
      customfield_10060: { value: "Autumn" },
    });
  }, workflow);
});

Deno.test("jira fake: a comment over 32,767 characters is refused with Jira's words", async () => {
  await withFake(async (fake) => {
    const text = "word ".repeat(7_000);
    const body = {
      type: "doc",
      version: 1,
      content: [{ type: "paragraph", content: [{ type: "text", text }] }],
    };
    assert.ok(adfSize(body) > JIRA_COMMENT_LIMIT);
    const res = await call(fake, "POST", "/rest/api/3/issue/MWC-1/comment", { body });
    assert.equal(res.status, 400);
    assert.deepEqual(res.json, {
      errorMessages: [],
      errors: {
        comment: "The entered text is too long. It exceeds the allowed limit of 32767 characters.",
      },
    });
    assert.equal(fake.state.comments("MWC-1").length, 0);
  });
});

Deno.test("jira client: a comment over the limit is shortened, never refused; its tail is kept", async () => {
  await withFake(async (fake, client) => {
    const feedback = Array.from(
      { length: 2_000 },
      (_, i) => `- Leigh: "point ${i} ${"z".repeat(50)}"`,
    );
    const markdown = [
      "**AI Runner opened a pull request:** [#7](https://github.com/o/r/pull/7)",
      "",
      ...feedback,
      "",
      "- **Pull request:** https://github.com/o/r/pull/7",
      "",
      "`ai-runner-run:run-77`",
    ].join("\n");
    await client.addComment("MWC-1", markdown);
    const [posted] = fake.state.postedComments("MWC-1");
    assert.ok(adfSize(posted.body) <= JIRA_COMMENT_LIMIT);
    assert.match(posted.text, /^\*\*AI Runner opened a pull request:\*\*/);
    assert.match(posted.text, /… shortened: [\d,]+ characters left out/);
    assert.match(posted.text, /https:\/\/github\.com\/o\/r\/pull\/7\n\n`ai-runner-run:run-77`$/);
  });
});

/** Kinds of ADF that Atlassian's schema rejects (and so does Jira). */
const INVALID_ADF: Record<string, unknown> = {
  "unknown attribute on a paragraph": {
    type: "paragraph",
    attrs: { colour: "red" },
    content: [{ type: "text", text: "x" }],
  },
  "marks on a block": { type: "paragraph", marks: [{ type: "strong" }], content: [] },
  "orderedList.order -1": {
    type: "orderedList",
    attrs: { order: -1 },
    content: [{ type: "listItem", content: [{ type: "paragraph", content: [] }] }],
  },
  "status colour pink": {
    type: "paragraph",
    content: [{ type: "status", attrs: { text: "WIP", color: "pink" } }],
  },
  "unknown property on text": {
    type: "paragraph",
    content: [{ type: "text", text: "x", style: "bold" }],
  },
  "link mark with an unknown attribute": {
    type: "paragraph",
    content: [{
      type: "text",
      text: "x",
      marks: [{ type: "link", attrs: { href: "https://x.example", onclick: "alert(1)" } }],
    }],
  },
  "strong mark with attributes": {
    type: "paragraph",
    content: [{ type: "text", text: "x", marks: [{ type: "strong", attrs: { weight: 900 } }] }],
  },
  "panel type that does not exist": {
    type: "panel",
    attrs: { panelType: "rainbow" },
    content: [{ type: "paragraph", content: [] }],
  },
  "mention with an unknown userType": {
    type: "paragraph",
    content: [{ type: "mention", attrs: { id: "123", userType: "ROBOT" } }],
  },
  "emoji without shortName": {
    type: "paragraph",
    content: [{ type: "emoji", attrs: { text: "😀" } }],
  },
  "date with a numeric timestamp": {
    type: "paragraph",
    content: [{ type: "date", attrs: { timestamp: 1700000000000 } }],
  },
  "rule with content": { type: "rule", content: [{ type: "paragraph", content: [] }] },
  "codeBlock language not a string": {
    type: "codeBlock",
    attrs: { language: 42 },
    content: [{ type: "text", text: "x" }],
  },
  "heading with an unknown attribute": {
    type: "heading",
    attrs: { level: 2, anchor: "x" },
    content: [{ type: "text", text: "x" }],
  },
};

Deno.test("jira fake: ADF that Atlassian's schema rejects is refused with 400", async () => {
  await withFake(async (fake) => {
    for (const [kind, block] of Object.entries(INVALID_ADF)) {
      const body = { type: "doc", version: 1, content: [block] };
      assert.notDeepEqual(officialAdfProblems(body), [], `the schema accepts ${kind}`);
      const res = await call(fake, "POST", "/rest/api/3/issue/MWC-1/comment", { body });
      assert.equal(res.status, 400, `${kind} was accepted`);
    }
    assert.equal(fake.state.comments("MWC-1").length, 0);
    // And a valid body with the same nodes done right is accepted.
    const good = {
      type: "doc",
      version: 1,
      content: [{
        type: "paragraph",
        content: [
          { type: "text", text: "ok ", marks: [{ type: "strong" }] },
          { type: "status", attrs: { text: "WIP", color: "purple" } },
        ],
      }],
    };
    assert.equal(
      (await call(fake, "POST", "/rest/api/3/issue/MWC-1/comment", { body: good })).status,
      201,
    );
  });
});

Deno.test("jira fake: a 429 carries the headers Jira Cloud sends", async () => {
  await withFake(async (fake) => {
    fake.injectFault({ status: 429, retryAfterSeconds: 30 });
    const res = await call(fake, "GET", "/rest/api/3/issue/MWC-1");
    assert.equal(res.status, 429);
    assert.equal(res.headers.get("retry-after"), "30");
    assert.match(res.headers.get("x-ratelimit-reset") ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\dZ$/);
    assert.ok(Date.parse(res.headers.get("x-ratelimit-reset")!) > Date.now());
    assert.equal(res.headers.get("x-ratelimit-nearlimit"), "true");
    assert.equal(res.headers.get("x-ratelimit-remaining"), "0");
    assert.ok(Number(res.headers.get("x-ratelimit-limit")) > 0);
    assert.match(res.headers.get("ratelimit-reason") ?? "", /^jira-(burst|cost|quota)-based$/);
  });
});
