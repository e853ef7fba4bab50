import assert from "node:assert/strict";
import type { JiraTransition } from "../../domain/ports/jira.ts";
import { findTransition, statusMatches } from "../../domain/transitions.ts";

const WORKFLOW: JiraTransition[] = [
  { id: "11", name: "Back to To Do", toStatus: "To Do", toCategoryKey: "new" },
  { id: "31", name: "Ready for Testing", toStatus: "In Testing", toCategoryKey: "indeterminate" },
  { id: "41", name: "Close Issue", toStatus: "Closed", toCategoryKey: "done" },
  { id: "51", name: "Won't Do", toStatus: "Rejected", toCategoryKey: "done" },
];

Deno.test("findTransition matches the transition's own name, case-insensitively", () => {
  assert.equal(findTransition(WORKFLOW, "close issue")?.id, "41");
  assert.equal(findTransition(WORKFLOW, "  READY  for testing ")?.id, "31");
});

Deno.test("findTransition matches the target status name", () => {
  assert.equal(findTransition(WORKFLOW, "In Testing")?.id, "31");
  assert.equal(findTransition(WORKFLOW, "closed")?.id, "41");
});

Deno.test("findTransition prefers a transition name over another's target status", () => {
  const list: JiraTransition[] = [
    { id: "1", name: "Start", toStatus: "Done", toCategoryKey: "done" },
    { id: "2", name: "Done", toStatus: "Finished", toCategoryKey: "done" },
  ];
  assert.equal(findTransition(list, "Done")?.id, "2");
});

Deno.test("findTransition falls back to the done category only when asked", () => {
  assert.equal(findTransition(WORKFLOW, "Done"), null);
  assert.equal(
    findTransition(WORKFLOW, "Done", "done")?.id,
    "41",
    "first done-category transition",
  );
  assert.equal(findTransition(WORKFLOW, "In Review", "done")?.id, "41");
  assert.equal(findTransition(WORKFLOW.slice(0, 2), "Done", "done"), null);
  assert.equal(findTransition([], "Done", "done"), null);
});

Deno.test("statusMatches compares names case-insensitively and, for done, the category", () => {
  assert.equal(
    statusMatches({ name: "In testing", categoryKey: "indeterminate" }, "In Testing"),
    true,
  );
  assert.equal(
    statusMatches({ name: "In Progress", categoryKey: "indeterminate" }, "In Testing"),
    false,
  );
  assert.equal(statusMatches({ name: "Closed", categoryKey: "done" }, "Done"), false);
  assert.equal(statusMatches({ name: "Closed", categoryKey: "done" }, "Done", "done"), true);
  assert.equal(statusMatches({ name: "To Do", categoryKey: "new" }, "Done", "done"), false);
});
