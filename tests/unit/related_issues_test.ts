/** The issues around a ticket: which to read, and how they read in the prompt. */
import assert from "node:assert/strict";
import type { JiraIssue } from "../../domain/ports/jira.ts";
import { formatRelatedIssues, relatedIssueKeys } from "../../domain/related_issues.ts";

const ISSUE: JiraIssue = {
  key: "OPS-2",
  id: "10002",
  summary: "Login page crashes",
  descriptionText: "",
  status: { name: "To Do", categoryKey: "new" },
  labels: [],
  components: [],
  assignee: null,
  updated: "2026-01-01T00:00:00.000Z",
  parent: { key: "OPS-1", summary: "Epic", status: "To Do", issueType: "Epic" },
  links: [
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
      summary: "Epic",
      status: "To Do",
      issueType: "Epic",
      type: "relates to",
      direction: "outward",
    },
    {
      key: "OPS-2",
      summary: "self",
      status: "",
      issueType: "",
      type: "clones",
      direction: "outward",
    },
  ],
  subtasks: [{ key: "OPS-3", summary: "Migration", status: "Done", issueType: "Sub-task" }],
};

Deno.test("related issues: parent, links and sub-tasks, each key once, never the issue itself", () => {
  assert.deepEqual(relatedIssueKeys(ISSUE), ["OPS-1", "OPS-4", "OPS-3"]);
  assert.deepEqual(relatedIssueKeys(ISSUE, 2), ["OPS-1", "OPS-4"]);
});

Deno.test("related issues: each reads with its relation, type, status, summary and short description", () => {
  const text = formatRelatedIssues(ISSUE, [
    {
      key: "OPS-4",
      summary: "Session store",
      status: "In Review",
      issueType: "Task",
      description: "Move sessions\nto Redis.",
    },
  ]);
  assert.equal(
    text,
    [
      "- parent: OPS-1 (Epic, To Do): Epic",
      "- this issue is blocked by: OPS-4 (Task, In Review): Session store",
      "  Move sessions",
      "  to Redis.",
      "- this issue relates to: OPS-1 (Epic, To Do): Epic",
      "- sub-task: OPS-3 (Sub-task, Done): Migration",
    ].join("\n"),
  );
});
