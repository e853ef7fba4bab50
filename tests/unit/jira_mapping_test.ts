import assert from "node:assert/strict";
import { toComment, toIsoTime, toIssue, toTransition } from "../../adapters/jira/mapping.ts";
import { hintFor, jiraMessagesOf, SecretScrubber } from "../../adapters/jira/error_text.ts";

Deno.test("Jira times become ISO-8601 UTC", () => {
  assert.equal(toIsoTime("2021-01-17T12:34:00.000+0000"), "2021-01-17T12:34:00.000Z");
  assert.equal(toIsoTime("2021-01-17T12:34:00.000+0530"), "2021-01-17T07:04:00.000Z");
  assert.equal(toIsoTime("2021-01-17T12:34:00.000-02:00"), "2021-01-17T14:34:00.000Z");
  assert.equal(toIsoTime("yesterday"), "yesterday");
  assert.equal(toIsoTime(undefined), "");
});

Deno.test("an IssueBean with missing parts still maps", () => {
  const issue = toIssue({ key: "MWC-1", id: "10001", fields: { description: null } }, [
    "customfield_10020",
  ]);
  assert.deepEqual(issue, {
    key: "MWC-1",
    id: "10001",
    summary: "",
    descriptionText: "",
    status: { name: "", categoryKey: "" },
    labels: [],
    components: [],
    assignee: null,
    updated: "",
    customFields: { customfield_10020: null },
    attachments: [],
    links: [],
  });
});

Deno.test("a comment without author is Anonymous, and updated defaults to created", () => {
  const c = toComment({ id: "7", body: "plain", created: "2024-05-01T09:30:00.000+0000" });
  assert.deepEqual(c, {
    id: "7",
    author: { accountId: "", displayName: "Anonymous" },
    bodyText: "plain",
    created: "2024-05-01T09:30:00.000Z",
    updated: "2024-05-01T09:30:00.000Z",
  });
});

Deno.test("a transition maps its target status and category", () => {
  assert.deepEqual(
    toTransition({
      id: "2",
      name: "Close Issue",
      to: { name: "Closed", statusCategory: { key: "done" } },
    }),
    { id: "2", name: "Close Issue", toStatus: "Closed", toCategoryKey: "done" },
  );
});

Deno.test("Jira's error messages are read from errorMessages, errors and non-JSON bodies", () => {
  assert.deepEqual(
    jiraMessagesOf(
      JSON.stringify({
        errorMessages: ["Issue does not exist or you do not have permission to see it."],
        errors: { comment: "Comment body can not be empty!" },
      }),
    ),
    [
      "Issue does not exist or you do not have permission to see it.",
      "comment: Comment body can not be empty!",
    ],
  );
  assert.deepEqual(jiraMessagesOf("<html><body>Bad gateway</body></html>"), ["Bad gateway"]);
  assert.deepEqual(jiraMessagesOf(""), []);
  assert.match(hintFor(401), /JIRA_API_TOKEN/);
});

Deno.test("the scrubber hides the token and its Basic encoding", () => {
  const token = "ATATT3xFfGF0-secret-token";
  const basic = btoa(`me@example.com:${token}`);
  const s = new SecretScrubber([token, basic]);
  const out = s.scrub(`token ${token} header Basic ${basic} other Basic QUJDREVGR0hJSktM`);
  assert.ok(!out.includes(token) && !out.includes(basic) && !out.includes("QUJDREVGR0hJSktM"), out);
  assert.equal(out.split("[REDACTED]").length - 1, 3);
});

Deno.test("a transition's screen fields (expand=transitions.fields) map to a list", () => {
  // The shape of Jira's FieldMetadata (Jira Cloud REST v3 OpenAPI, `IssueTransition.fields`).
  const t = toTransition({
    id: "41",
    name: "Close Issue",
    to: { name: "Done", statusCategory: { key: "done" } },
    hasScreen: true,
    fields: {
      resolution: {
        required: true,
        schema: { type: "resolution", system: "resolution" },
        name: "Resolution",
        key: "resolution",
        hasDefaultValue: false,
        operations: ["set"],
        allowedValues: [
          { self: "https://x/rest/api/3/resolution/1", id: "1", name: "Done" },
          { self: "https://x/rest/api/3/resolution/2", id: "2", name: "Won't Do" },
        ],
      },
      customfield_10060: {
        required: false,
        schema: { type: "option", custom: "…:select", customId: 10060 },
        name: "Release train",
        key: "customfield_10060",
        allowedValues: [{ id: "7", value: "Spring" }, { junk: true }],
      },
    },
  });
  assert.deepEqual(t.fields, [
    {
      id: "resolution",
      name: "Resolution",
      required: true,
      schemaType: "resolution",
      allowedValues: [{ id: "1", name: "Done" }, { id: "2", name: "Won't Do" }],
    },
    {
      id: "customfield_10060",
      name: "Release train",
      required: false,
      schemaType: "option",
      allowedValues: [{ id: "7", value: "Spring" }],
    },
  ]);
  assert.equal(toTransition({ id: "1", name: "x", to: {} }).fields, undefined);
});
