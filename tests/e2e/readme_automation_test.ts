/**
 * The Jira Automation body README.md tells operators to paste renders valid
 * JSON the intake accepts, whatever the smart values hold: hostile display
 * names, and dates rendered empty. `asJsonString` is kept for text, as
 * Atlassian documents it (support.atlassian.com … smart-values-json-functions);
 * dates use a date format (`jiraDateTime`, … smart-values-date-and-time-functions).
 */
import assert from "node:assert/strict";
import { json, withIntake } from "../support/http_harness.ts";

const README = Deno.readTextFileSync(new URL("../../README.md", import.meta.url));

/** The Custom data body of the Automation rule, as README.md shows it. */
function automationBody(): string {
  const m = /web request body _Custom data_:\s*```json\n([\s\S]*?)```/.exec(README);
  assert.ok(m, "README.md has the Automation rule's Custom data body");
  return m[1].split("\n").map((l) => l.trim()).join("\n").trim();
}

const DATE_FIELDS = new Set([
  "issue.created",
  "issue.updated",
  "issue.duedate",
  "issue.resolutiondate",
  "now",
]);

/** Atlassian's `jiraDateTime`: `1979-11-01T06:23:12.0-0500`. */
function jiraDateTime(date: Date): string {
  return date.toISOString().replace(/\.(\d)\d\dZ$/, ".$1+0000");
}

/**
 * Renders smart values the way Automation does for the forms the body uses:
 * `{{text.asJsonString}}` → the text as a JSON string, `{{date.jiraDateTime}}`
 * → the formatted date; a value Automation cannot produce renders empty.
 */
function render(template: string, values: Record<string, string | Date | null>): string {
  return template.replace(/\{\{([\w.]+)\}\}/g, (_, expression: string) => {
    const [path, fn] = [
      expression.slice(0, expression.lastIndexOf(".")),
      expression.slice(expression.lastIndexOf(".") + 1),
    ];
    const value = values[path];
    if (value === null || value === undefined) return "";
    if (fn === "asJsonString") return typeof value === "string" ? JSON.stringify(value) : "";
    if (fn === "jiraDateTime") return value instanceof Date ? jiraDateTime(value) : "";
    return String(value);
  });
}

Deno.test("README Automation body: asJsonString only on text, never on a date", () => {
  const body = automationBody();
  const uses = [...body.matchAll(/\{\{([\w.]+)\.asJsonString\}\}/g)].map((m) => m[1]);
  assert.ok(uses.includes("issue.key"));
  for (const path of uses) assert.ok(!DATE_FIELDS.has(path), `asJsonString on the date ${path}`);
  assert.match(body, /"updated": "\{\{issue\.updated\.jiraDateTime\}\}"/);
});

Deno.test("README Automation body: valid JSON the intake queues, hostile names and empty dates too", async () => {
  const template = automationBody();
  const cases: Record<string, string | Date | null>[] = [
    {
      "issue.key": "MWC-42",
      "issue.updated": new Date("2025-03-14T09:26:53.589Z"),
      "initiator.accountId": "5b10ac8d82e05b22cc7d4ef5",
      "initiator.displayName": 'Leigh "Lee" O\'Neil \\ {{x}}\n',
    },
    {
      "issue.key": "MWC-43",
      "issue.updated": null, // a date Automation could not render
      "initiator.accountId": "5b10ac8d82e05b22cc7d4ef5",
      "initiator.displayName": "Sam",
    },
  ];
  await withIntake(async (intake) => {
    for (const values of cases) {
      const rendered = render(template, values);
      const parsed = JSON.parse(rendered); // throws on invalid JSON
      assert.equal(parsed.issueKey, values["issue.key"]);
      assert.equal(parsed.initiator.displayName, values["initiator.displayName"]);
      const res = await intake.jira(rendered);
      const body = await json(res);
      assert.equal(res.status, 200, JSON.stringify(body));
      assert.equal(body.status, "queued");
    }
  });
});
