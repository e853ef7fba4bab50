/** The audit timeline says which Jira a run talked to (`IssueFetched.jiraDeployment`). */
import assert from "node:assert/strict";
import { describeEvent } from "../../projections/issue_story.ts";
import { type RecordedEvent, validateEventData } from "../../domain/events.ts";

function issueFetched(extra: Record<string, unknown>): RecordedEvent {
  return {
    type: "IssueFetched",
    data: {
      runId: "run-1",
      summary: "Fix the typos",
      status: "To Do",
      labels: [],
      components: [],
      assigneeAccountId: "ai-runner",
      commentCount: 0,
      feedbackCommentIds: [],
      ...extra,
    },
    position: 1,
    stream: "issue-MWC-1",
    version: 1,
    schemaVersion: 1,
    metadata: { actor: "worker:w1" },
    recordedAt: "2025-06-02T09:00:00.000Z",
    hash: "0".repeat(64),
  } as unknown as RecordedEvent;
}

Deno.test("audit: IssueFetched names the Jira deployment when the event carries it", () => {
  assert.match(
    describeEvent(issueFetched({ jiraDeployment: "datacenter" })),
    /^issue fetched from Jira Data Center: "Fix the typos" \(To Do\)/,
  );
  assert.match(
    describeEvent(issueFetched({ jiraDeployment: "cloud" })),
    /^issue fetched from Jira Cloud:/,
  );
  assert.match(describeEvent(issueFetched({})), /^issue fetched: "Fix the typos"/);
});

Deno.test("events: jiraDeployment is optional and only cloud or datacenter", () => {
  const base = issueFetched({}).data as Record<string, unknown>;
  assert.doesNotThrow(() => validateEventData("IssueFetched", base));
  assert.doesNotThrow(() =>
    validateEventData("IssueFetched", { ...base, jiraDeployment: "datacenter" })
  );
  assert.throws(() => validateEventData("IssueFetched", { ...base, jiraDeployment: "server" }));
});
