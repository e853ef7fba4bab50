/**
 * Unit tests of reading Jira bodies and interpreting GitHub deliveries (pure).
 *
 * @module
 */
import assert from "node:assert/strict";
import { parseJiraBody } from "../../adapters/http/jira/parse.ts";
import { interpretGithubDelivery } from "../../adapters/http/github/parse.ts";
import {
  closedPullRequest,
  mergedPullRequest,
  submittedReview,
} from "../fixtures/github/webhooks.ts";

const fixture = async (name: string) =>
  JSON.parse(await Deno.readTextFile(new URL(`../fixtures/jira/${name}`, import.meta.url)));

Deno.test("jira: the three documented bodies name MWC-42 and its assignee", async () => {
  const custom = parseJiraBody(await fixture("automation_custom.json"));
  assert.deepEqual(custom, {
    ok: true,
    value: {
      shape: "custom",
      issueKey: "MWC-42",
      assigneeAccountId: undefined,
      requester: { accountId: "5b10ac8d82e05b22cc7d4ef5", displayName: "Leigh Reviewer" },
    },
  });
  for (
    const [name, shape] of [["automation_issue_automation_format.json", "automation"], [
      "automation_issue_jira_format.json",
      "jira",
    ]]
  ) {
    const parsed = parseJiraBody(await fixture(name));
    assert.ok(parsed.ok);
    assert.equal(parsed.value.shape, shape);
    assert.equal(parsed.value.issueKey, "MWC-42");
    assert.equal(parsed.value.assigneeAccountId, "712020:a1b2c3d4-ai-runner");
    assert.equal(parsed.value.requester, null);
  }
});

Deno.test("jira: optional parts are read leniently, wrong types strictly", () => {
  const minimal = parseJiraBody({ key: "AB_1-9" });
  assert.ok(
    minimal.ok && minimal.value.issueKey === "AB_1-9" &&
      minimal.value.assigneeAccountId === undefined,
  );
  const emptySmartValues = parseJiraBody({
    issueKey: "MWC-1",
    initiator: { accountId: "", displayName: "" },
  });
  assert.ok(emptySmartValues.ok && emptySmartValues.value.requester === null);
  const unassigned = parseJiraBody({ issue: { key: "MWC-1", fields: { assignee: null } } });
  assert.ok(unassigned.ok && unassigned.value.assigneeAccountId === null);
  const stringId = parseJiraBody({ issue: { key: "MWC-1", id: "10001" } });
  assert.ok(stringId.ok);
  for (
    const bad of [
      { key: "MWC-1", id: -3 },
      { key: "MWC-1", id: 1.5 },
      { key: "MWC-1", self: 5 },
      { key: "MWC-1", fields: { assignee: {} } },
      { issueKey: "MWC-1", assigneeAccountId: 5 },
      { issueKey: "A".repeat(51) + "-1" },
      { issueKey: "MWC-1234567890123456" },
    ]
  ) {
    assert.equal(parseJiraBody(bad).ok, false, JSON.stringify(bad));
  }
  const alias = parseJiraBody({ issue_key: "MWC-1" });
  assert.ok(!alias.ok && alias.code === "unknown_shape" && alias.detail.includes('"issueKey"'));
});

Deno.test("github: interpretations of merged, closed, reviewed, ping and others", () => {
  const merged = interpretGithubDelivery("pull_request", "d-1", mergedPullRequest("MWC-1"));
  assert.equal(merged.kind, "fact");
  assert.ok(
    merged.kind === "fact" && merged.fact.type === "PrMerged" && merged.issueKey === "MWC-1",
  );
  const closed = interpretGithubDelivery("pull_request", "d-2", closedPullRequest("MWC-1"));
  assert.ok(closed.kind === "fact" && closed.fact.type === "PrClosed");
  const noSha = mergedPullRequest("MWC-1");
  noSha.pull_request.merge_commit_sha = null;
  noSha.pull_request.merged_by = null;
  const m2 = interpretGithubDelivery("pull_request", "d-3", noSha);
  assert.ok(m2.kind === "fact" && m2.fact.type === "PrMerged");
  assert.deepEqual(m2.kind === "fact" && [m2.fact.data], [{
    deliveryId: "d-3",
    repo: "Codertocat/Hello-World",
    number: 2,
    url: "https://github.com/Codertocat/Hello-World/pull/2",
    mergeSha: null,
    mergedBy: null,
    mergedAt: "2019-05-15T15:21:18Z",
  }]);
  const dismissed = interpretGithubDelivery(
    "pull_request_review",
    "d-4",
    submittedReview("MWC-1", "DISMISSED"),
  );
  assert.ok(
    dismissed.kind === "fact" && dismissed.fact.type === "PrReviewed" &&
      dismissed.fact.data.state === "dismissed",
  );
  assert.deepEqual(interpretGithubDelivery("ping", "d-5", {}), { kind: "pong" });
  assert.equal(interpretGithubDelivery("check_run", "d-6", {}).kind, "ignored");
  assert.equal(interpretGithubDelivery("pull_request", "d-7", null).kind, "invalid");
  const noMergedAt = mergedPullRequest("MWC-1");
  noMergedAt.pull_request.merged_at = null;
  assert.equal(interpretGithubDelivery("pull_request", "d-8", noMergedAt).kind, "invalid");
  const badUrl = mergedPullRequest("MWC-1");
  badUrl.pull_request.html_url = "not a url";
  assert.equal(interpretGithubDelivery("pull_request", "d-9", badUrl).kind, "invalid");
});
