/**
 * The doctor on Jira Data Center: every check passes against the DC world,
 * and `JIRA_DEPLOYMENT` is checked against `/rest/api/2/serverInfo` (DC says
 * `deploymentType: "Server"`, Cloud says `"Cloud"`), each mismatch failing
 * with the fix. No secret is ever printed.
 */
import assert from "node:assert/strict";
import { type DoctorResult, runDoctor } from "../../adapters/cli/doctor.ts";
import { formatLine } from "../../adapters/cli/doctor_report.ts";
import { FAKE_DC_PAT, startFakeJiraDc } from "../../adapters/standins/jira_dc_server.ts";
import {
  type LoopbackJira,
  startWorld,
  type World,
  WORLD_SECRETS,
} from "../../adapters/standins/world.ts";

const ISSUE = { key: "MWC-1", summary: "Fix the install guide" };
const WRONG_PAT = "wrong-dc-pat-7c6b5a49382716";

async function doctor(
  world: World<LoopbackJira>,
  overrides: Record<string, string | undefined> = {},
): Promise<{ result: DoctorResult; text: string }> {
  const env = { ...world.env, SANDBOX: "off", ...overrides }; // the probe is tested elsewhere
  const result = await runDoctor({ env, issueKey: ISSUE.key });
  const text = result.lines.map((l) => formatLine(l, false)).join("\n");
  for (const secret of [...Object.values(WORLD_SECRETS), FAKE_DC_PAT, WRONG_PAT]) {
    assert.ok(!text.includes(secret), `a secret was printed:\n${text}`);
  }
  return { result, text };
}

function line(result: DoctorResult, check: string) {
  const found = result.lines.filter((l) => l.check === check);
  assert.ok(found.length > 0, `no ${check} line`);
  return found[0];
}

Deno.test("doctor dc: every check passes against the Data Center stand-ins", async () => {
  await using world = await startWorld({ jira: "datacenter", issues: [ISSUE] });
  const { result, text } = await doctor(world);
  assert.deepEqual(result.lines.filter((l) => l.status === "fail"), [], text);
  assert.equal(result.exitCode, 0);
  const deployment = line(result, "jira deployment");
  assert.equal(deployment.status, "ok");
  assert.match(deployment.message, /JIRA_DEPLOYMENT=datacenter matches: a Jira Data Center/);
  assert.match(deployment.message, /deploymentType "Server"/);
  assert.match(line(result, "jira").message, /as AI Runner \(ai-runner\)/);
  assert.deepEqual(result.lines.filter((l) => l.check === "transitions").map((l) => l.status), [
    "ok",
    "ok",
  ]);
});

Deno.test("doctor dc: JIRA_DEPLOYMENT=cloud against a Data Center fails with the fix", async () => {
  await using world = await startWorld({ jira: "datacenter", issues: [ISSUE] });
  const { result } = await doctor(world, {
    JIRA_DEPLOYMENT: "cloud",
    JIRA_EMAIL: "ai-runner@example.com",
  });
  const deployment = line(result, "jira deployment");
  assert.equal(deployment.status, "fail");
  assert.match(
    deployment.message,
    /is a Jira Data Center \/ Server 9\.12\.15 .* JIRA_DEPLOYMENT=cloud/,
  );
  assert.match(deployment.fix ?? "", /set JIRA_DEPLOYMENT=datacenter/);
  assert.equal(result.exitCode, 1);
});

Deno.test("doctor dc: JIRA_DEPLOYMENT=datacenter against a Cloud site fails with the fix", async () => {
  await using world = await startWorld({ jira: "datacenter", issues: [ISSUE] });
  const cloudish = await startFakeJiraDc({ deploymentType: "Cloud" });
  try {
    const { result } = await doctor(world, { JIRA_BASE_URL: cloudish.url });
    const deployment = line(result, "jira deployment");
    assert.equal(deployment.status, "fail");
    assert.match(deployment.message, /is a Jira Cloud site .* JIRA_DEPLOYMENT=datacenter/);
    assert.match(deployment.fix ?? "", /set JIRA_DEPLOYMENT=cloud/);
  } finally {
    await cloudish.close();
  }
});

Deno.test("doctor dc: a wrong personal access token fails the login with the DC fix", async () => {
  await using world = await startWorld({ jira: "datacenter", issues: [ISSUE] });
  const { result } = await doctor(world, { JIRA_API_TOKEN: WRONG_PAT });
  const jira = line(result, "jira");
  assert.equal(jira.status, "fail");
  assert.match(jira.message, /HTTP 401/);
  assert.match(jira.fix ?? "", /personal access token/);
  assert.doesNotMatch(jira.fix ?? "", /JIRA_EMAIL/);
});

Deno.test("doctor dc: an unreachable serverInfo is a warning on Data Center", async () => {
  await using world = await startWorld({ jira: "datacenter", issues: [ISSUE] });
  const { result } = await doctor(world, { JIRA_BASE_URL: `${world.jira.url}/wrong-context` });
  const deployment = line(result, "jira deployment");
  assert.equal(deployment.status, "warn");
  assert.match(deployment.fix ?? "", /context path/);
});
