/**
 * Who may steer the model (domain/trust.ts) and the refusal notice's text.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  type CollaboratorPermission,
  githubTrust,
  githubTrustSettings,
  needsGroupLookup,
  needsPermissionLookup,
  requesterCountsForFeedback,
  type RequesterPolicy,
  requesterVerdict,
} from "../../domain/trust.ts";
import { requestRefusedComment } from "../../domain/workflow/notice.ts";

const settings = githubTrustSettings(["Trusted-Friend"], ["ai-runner-bot", "ai-runner[bot]"]);
const perm = (
  permission: CollaboratorPermission["permission"],
  roleName: string | null = null,
) => ({
  permission,
  roleName: roleName ?? permission,
});

Deno.test("github: write, maintain and admin access are trusted", () => {
  for (const p of [perm("write"), perm("admin"), perm("write", "maintain")]) {
    assert.deepEqual(githubTrust({ login: "leigh", type: "User" }, p, settings), {
      trusted: true,
      basis: "write_access",
    });
  }
});

Deno.test("attack: read, triage and no access (GitHub's 404) are not trusted", () => {
  for (const p of [perm("read"), perm("read", "triage"), perm("none")]) {
    assert.deepEqual(githubTrust({ login: "mallory", type: "User" }, p, settings), {
      trusted: false,
      reason: "no_write_access",
    });
  }
});

Deno.test("github: a permission that could not be read fails closed", () => {
  assert.deepEqual(githubTrust({ login: "leigh" }, null, settings), {
    trusted: false,
    reason: "permission_unknown",
  });
  assert.deepEqual(githubTrust({ login: "leigh" }, undefined, settings), {
    trusted: false,
    reason: "permission_unknown",
  });
});

Deno.test("github: GITHUB_TRUSTED_LOGINS are trusted whatever their access, any case", () => {
  assert.deepEqual(githubTrust({ login: "trusted-friend" }, perm("none"), settings), {
    trusted: true,
    basis: "trusted_login",
  });
  assert.equal(needsPermissionLookup({ login: "TRUSTED-FRIEND" }, settings), false);
  assert.equal(needsPermissionLookup({ login: "someone" }, settings), true);
});

Deno.test("attack: bots and the runner itself are never trusted, even with admin access", () => {
  const cases: [Parameters<typeof githubTrust>[0], string][] = [
    [{ login: "dependabot[bot]", type: "Bot" }, "bot"],
    [{ login: "renovate[bot]" }, "bot"],
    [{ login: "some-app", type: "Bot" }, "bot"],
    [{ login: "ai-runner-bot", type: "User" }, "own"],
    [{ login: "AI-Runner[bot]", type: "Bot" }, "own"],
    [{ login: null }, "unknown_author"],
  ];
  for (const [author, reason] of cases) {
    assert.deepEqual(githubTrust(author, perm("admin"), settings), { trusted: false, reason });
    assert.equal(needsPermissionLookup(author, settings), false);
  }
  // Listing a bot does not make it trusted.
  const listed = githubTrustSettings(["dependabot[bot]"], []);
  assert.equal(githubTrust({ login: "dependabot[bot]" }, perm("admin"), listed).trusted, false);
});

const policy = (ids: string[]): RequesterPolicy => ({
  requesterAccountIds: new Set(ids),
  reviewerAccountId: "acc-reviewer",
});

Deno.test("jira: with no requester list anybody may ask, but nobody becomes trusted by asking", () => {
  const reporter = { accountId: "acc-reporter", displayName: "Reporter" };
  assert.deepEqual(requesterVerdict(reporter, policy([])), { allowed: true, basis: "open" });
  // The reporter-becomes-trusted attack: assigning the ticket must not trust their comments.
  assert.equal(requesterCountsForFeedback(reporter, policy([])), false);
  assert.equal(requesterCountsForFeedback(null, policy([])), false);
  assert.equal(
    requesterCountsForFeedback({ accountId: "acc-reviewer" }, policy([])),
    true,
  );
});

Deno.test("jira: with a requester list, only listed people and the reviewer may ask", () => {
  const p = policy(["acc-allowed"]);
  assert.deepEqual(requesterVerdict({ accountId: "acc-allowed" }, p), {
    allowed: true,
    basis: "listed",
  });
  assert.deepEqual(requesterVerdict({ accountId: "acc-reviewer" }, p), {
    allowed: true,
    basis: "reviewer",
  });
  assert.equal(requesterCountsForFeedback({ accountId: "acc-allowed" }, p), true);
  const mallory = requesterVerdict({ accountId: "acc-m", displayName: "Mallory" }, p);
  assert.equal(mallory.allowed, false);
  assert.match(!mallory.allowed ? mallory.reason : "", /Mallory is not among/);
  assert.equal(requesterCountsForFeedback({ accountId: "acc-m" }, p), false);
  const nobody = requesterVerdict(null, p);
  assert.equal(nobody.allowed, false);
  assert.match(!nobody.allowed ? nobody.reason : "", /does not say who asked/);
});

Deno.test("the refusal notice says nothing will happen, who can ask, and carries the marker", () => {
  const text = requestRefusedComment({
    issueKey: "MWC-42",
    runId: "n1",
    refusal: {
      deliveryId: "d1",
      requestedBy: { accountId: "acc-m", displayName: "Mallory [click](https://evil)" },
      requestedAt: "2026-01-01T00:00:00.000Z",
      reason: "x",
      noticeRunId: "n1",
    },
    whoCanAsk: ["Leigh Reviewer", "Sam Lead"],
  });
  assert.match(text, /will not work on MWC-42/);
  assert.match(text, /no run was started/);
  assert.match(text, /Leigh Reviewer, Sam Lead/);
  assert.match(text, /ai-runner-run:n1/);
  assert.ok(!text.includes("](https://evil)"), "a display name cannot carry a link");
});

Deno.test("jira: JIRA_REQUESTER_GROUPS lets members ask, and fails closed when groups are unknown", () => {
  const p: RequesterPolicy = {
    requesterAccountIds: new Set(),
    requesterGroups: new Set(["docs-writers"]),
    reviewerAccountId: "acc-reviewer",
  };
  const writer = { accountId: "acc-w", displayName: "Wren" };
  assert.equal(needsGroupLookup(writer, p), true);
  assert.equal(needsGroupLookup({ accountId: "acc-reviewer" }, p), false);
  assert.equal(needsGroupLookup(null, p), false);
  assert.deepEqual(requesterVerdict(writer, p, ["jira-users", "docs-writers"]), {
    allowed: true,
    basis: "group",
  });
  assert.equal(requesterVerdict(writer, p, ["jira-users"]).allowed, false);
  const failed = requesterVerdict(writer, p, null);
  assert.ok(!failed.allowed && /could not check whether Wren/.test(failed.reason));
  // Groups configured: not open any more.
  assert.equal(requesterVerdict({ accountId: "acc-x" }, p, []).allowed, false);
  // The basis recorded at intake decides feedback trust.
  assert.equal(requesterCountsForFeedback(writer, p, "group"), true);
  assert.equal(requesterCountsForFeedback(writer, p, "open"), false);
});
