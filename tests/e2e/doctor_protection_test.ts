/**
 * `deno task doctor` reads each routed repository's merge gate through the
 * real octokit from the fake GitHub's strict endpoints (rulesets, classic
 * branch protection): a base branch that lets an unreviewed or unchecked PR
 * merge is a warning naming the setting to turn on.
 *
 * @module
 */
import assert from "node:assert/strict";
import { runDoctor } from "../../adapters/cli/doctor.ts";
import type { CheckLine } from "../../adapters/cli/doctor_report.ts";
import { startFakeGitHub } from "../../adapters/standins/github_server.ts";
import { PILOT_REPO, startWorld } from "../../adapters/standins/world.ts";

const ISSUE = { key: "MWC-1", summary: "Fix the install guide" };
const CHECK = `branch protection ${PILOT_REPO}@main`;

async function gateLine(env: Record<string, string | undefined>): Promise<CheckLine> {
  // (The sandbox probe is doctor_sandbox_test's; here it would only cost time.)
  const result = await runDoctor({ env: { ...env, SANDBOX: "off" }, issueKey: ISSUE.key });
  const lines = result.lines.filter((l) => l.check === CHECK);
  assert.equal(lines.length, 1, result.lines.map((l) => l.check).join(", "));
  return lines[0];
}

Deno.test("doctor: the base branch's rulesets must require a review and status checks", async () => {
  await using world = await startWorld({ issues: [ISSUE] });

  const none = await gateLine(world.env);
  assert.equal(none.status, "warn");
  assert.match(none.message, /does not require an approving review nor status checks/);
  assert.match(none.message, /classic branch protection unreadable \(the token's user needs admin/);
  assert.match(
    none.fix ?? "",
    /"Require a pull request before merging" with "Required approvals" ≥ 1/,
  );
  assert.match(none.fix ?? "", /"Require status checks to pass before merging"/);

  world.github.setBranchRuleset(PILOT_REPO, "main", { requiredApprovals: 0 });
  const noApproval = await gateLine(world.env);
  assert.equal(noApproval.status, "warn");
  assert.match(noApproval.fix ?? "", /"Required approvals" ≥ 1 \(a pull request is required/);

  world.github.setBranchRuleset(PILOT_REPO, "main", { requiredApprovals: 1 });
  const noChecks = await gateLine(world.env);
  assert.equal(noChecks.status, "warn");
  assert.match(noChecks.message, /does not require status checks before a merge/);
  assert.match(noChecks.message, /it requires 1 approving review\(s\) \(ruleset\)/);

  world.github.setBranchRuleset(PILOT_REPO, "main", {
    requiredApprovals: 1,
    statusChecks: ["docs-check"],
  });
  const gated = await gateLine(world.env);
  assert.equal(gated.status, "ok", gated.message);
  assert.match(
    gated.message,
    /requires 1 approving review\(s\) \(ruleset\) and status checks docs-check \(ruleset\)/,
  );
});

Deno.test("doctor: classic branch protection read with admin access counts too", async () => {
  await using world = await startWorld({ issues: [ISSUE] });
  const github = await startFakeGitHub({
    repos: [{
      fullName: PILOT_REPO,
      permissions: { admin: true },
      branchProtection: { main: { requiredApprovals: 2, statusChecks: ["ci/test"] } },
    }],
  });
  try {
    const line = await gateLine({ ...world.env, GITHUB_API_URL: github.url });
    assert.equal(line.status, "ok", line.message);
    assert.match(line.message, /2 approving review\(s\) \(branch protection\)/);
    assert.match(line.message, /status checks ci\/test \(branch protection\)/);
    const paths = github.requests.map((r) => r.path);
    assert.ok(paths.includes(`/repos/${PILOT_REPO}/rules/branches/main`), paths.join("\n"));
    assert.ok(paths.includes(`/repos/${PILOT_REPO}/branches/main/protection`));
    github.setBranchProtection(PILOT_REPO, "main", null);
    const unprotected = await gateLine({ ...world.env, GITHUB_API_URL: github.url });
    assert.equal(unprotected.status, "warn");
    assert.doesNotMatch(unprotected.message, /unreadable/, "404 Branch not protected is an answer");
  } finally {
    await github.close();
  }
});
