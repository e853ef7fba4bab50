/**
 * `deno task doctor` against the stand-in world: everything passes, then each
 * check fails in turn with its fix, and no secret is ever printed.
 */
import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../../adapters/config/env.ts";
import { type DoctorResult, runDoctor } from "../../adapters/cli/doctor.ts";
import { type CheckLine, formatLine } from "../../adapters/cli/doctor_report.ts";
import { FAKE_GITHUB_TOKEN, startFakeGitHub } from "../../adapters/standins/github_server.ts";
import {
  FAKE_JIRA_API_TOKEN,
  RESOLUTION_SCREEN,
  SCREENED_WORKFLOW,
  startFakeJira,
} from "../../adapters/standins/jira_server.ts";
import {
  PILOT_REPO,
  startWorld,
  type World,
  WORLD_SECRETS,
} from "../../adapters/standins/world.ts";

const ISSUE = { key: "MWC-1", summary: "Fix the install guide" };

/** Every secret a test used: none may appear in the doctor's output. */
const SECRETS = [
  ...Object.values(WORLD_SECRETS),
  FAKE_JIRA_API_TOKEN,
  FAKE_GITHUB_TOKEN,
  "wrong-jira-token-3b1f9a",
  "ghp_WrongWrongWrongWrongWrongWrongWrong01",
  "sk-ant-wrong-key-9f8e7d6c5b4a",
];

function text(result: DoctorResult): string {
  return result.lines.map((l) => formatLine(l, false)).join("\n");
}

function only(result: DoctorResult, check: string | RegExp): CheckLine[] {
  return result.lines.filter((l) =>
    typeof check === "string" ? l.check === check : check.test(l.check)
  );
}

/**
 * Runs the doctor against the world. The sandbox probe (a second or so: it waits out a
 * timeout) runs only where a test asks for it; elsewhere SANDBOX=off stands in.
 */
async function doctor(
  world: World,
  overrides: Record<string, string | undefined> = {},
  issueKey: string | null = ISSUE.key,
  probeSandbox = false,
): Promise<DoctorResult> {
  const env = { ...world.env, ...(probeSandbox ? {} : { SANDBOX: "off" }), ...overrides };
  const result = await runDoctor({ env, issueKey: issueKey ?? undefined });
  const out = text(result);
  for (const secret of SECRETS) assert.ok(!out.includes(secret), `a secret was printed:\n${out}`);
  for (const line of result.lines) {
    if (line.status === "fail") {
      assert.ok(line.fix, `a failed check without a fix: ${line.message}`);
    }
  }
  return result;
}

Deno.test("doctor: every check passes against the stand-ins", async () => {
  await using world = await startWorld({ issues: [ISSUE] });
  const result = await doctor(world, {}, ISSUE.key, true);
  assert.equal(result.exitCode, 0, text(result));
  assert.deepEqual(result.lines.filter((l) => l.status === "fail"), []);
  const passed = result.lines.filter((l) => l.status === "ok").map((l) => l.check);
  for (const check of ["config", "routing", "jira", "llm", "database", "sandbox"]) {
    assert.ok(passed.includes(check), `${check} did not pass:\n${text(result)}`);
  }
  assert.deepEqual(only(result, "transitions").map((l) => l.status), ["ok", "ok"]);
  assert.match(only(result, "transitions")[0].message, /"Ready for Testing" \(→ In Testing\)/);
  assert.match(only(result, "transitions")[1].message, /"Close Issue" \(→ Done\)/);
  assert.equal(only(result, `github ${PILOT_REPO}`)[0].status, "ok");
  assert.match(only(result, `github ${PILOT_REPO}`)[0].message, /read ✓, push ✓, pull requests/);
  assert.equal(only(result, "git online-docs")[0].status, "ok");
  assert.match(only(result, "git online-docs")[0].message, /main at [0-9a-f]{7}/);
  // The stand-ins listen on 127.0.0.1 with no proxy and no PUBLIC_URL: hints, not failures.
  const hints = only(result, "webhooks");
  assert.ok(hints.length >= 2 && hints.every((l) => l.status === "warn"));
  assert.match(hints.map((l) => l.message).join("\n"), /PUBLIC_URL is not set/);
  assert.match(hints.map((l) => l.fix).join("\n"), /TRUSTED_PROXIES=127\.0\.0\.1/);
});

Deno.test("doctor: without --issue the transition check is skipped and says how to run it", async () => {
  await using world = await startWorld({ issues: [ISSUE] });
  const result = await doctor(world, {}, null);
  assert.equal(result.exitCode, 0);
  const [line] = only(result, "transitions");
  assert.equal(line.status, "skip");
  assert.match(line.message, /deno task doctor --issue KEY/);
});

Deno.test("doctor: a bad Jira token fails the Jira check with the fix (also from *_FILE)", async () => {
  await using world = await startWorld({ issues: [ISSUE] });
  const direct = await doctor(world, { JIRA_API_TOKEN: "wrong-jira-token-3b1f9a" });
  const file = await Deno.makeTempFile();
  await Deno.writeTextFile(file, "wrong-jira-token-3b1f9a\n");
  const fromFile = await doctor(world, { JIRA_API_TOKEN: undefined, JIRA_API_TOKEN_FILE: file });
  await Deno.remove(file);
  for (const result of [direct, fromFile]) {
    assert.equal(result.exitCode, 1);
    const [jira] = only(result, "jira");
    assert.equal(jira.status, "fail");
    assert.match(jira.message, /401/);
    assert.match(jira.fix ?? "", /JIRA_API_TOKEN/);
    assert.match(jira.fix ?? "", /id\.atlassian\.com\/manage-profile\/security\/api-tokens/);
    assert.equal(only(result, "transitions")[0].status, "skip");
    // The other checks still ran.
    assert.equal(only(result, `github ${PILOT_REPO}`)[0].status, "ok");
    assert.equal(only(result, "llm")[0].status, "ok");
  }
});

Deno.test("doctor: a bad GitHub token fails the GitHub check with the fix", async () => {
  await using world = await startWorld({ issues: [ISSUE] });
  const result = await doctor(world, { GITHUB_TOKEN: "ghp_WrongWrongWrongWrongWrongWrongWrong01" });
  assert.equal(result.exitCode, 1);
  const [github] = only(result, `github ${PILOT_REPO}`);
  assert.equal(github.status, "fail");
  assert.match(github.message, /401/);
  assert.match(github.fix ?? "", /GITHUB_TOKEN/);
  assert.equal(only(result, "jira")[0].status, "ok");
});

Deno.test("doctor: a repo the token cannot push to fails with the permission to grant", async () => {
  await using world = await startWorld({ issues: [ISSUE] });
  const github = await startFakeGitHub({
    repos: [{ fullName: PILOT_REPO, permissions: { push: false } }],
  });
  try {
    const result = await doctor(world, { GITHUB_API_URL: github.url });
    assert.equal(result.exitCode, 1);
    const [line] = only(result, `github ${PILOT_REPO}`);
    assert.equal(line.status, "fail");
    assert.match(line.message, /read ✓, push ✗/);
    assert.match(line.fix ?? "", /Write access/);
  } finally {
    await github.close();
  }
});

Deno.test("doctor: a wrong LLM key fails the LLM check (both providers)", async () => {
  for (const provider of ["anthropic", "openai"] as const) {
    await using world = await startWorld({ issues: [ISSUE], provider });
    const key = provider === "openai" ? "OPENAI_API_KEY" : "ANTHROPIC_API_KEY";
    const result = await doctor(world, { [key]: "sk-ant-wrong-key-9f8e7d6c5b4a" });
    assert.equal(result.exitCode, 1);
    const [llm] = only(result, "llm");
    assert.equal(llm.status, "fail", text(result));
    assert.match(llm.message, /401/);
    assert.match(llm.fix ?? "", new RegExp(`${key} is not accepted`));
    assert.equal(world.llm.requests.at(-1)?.authorized, false);
  }
});

Deno.test("doctor: a workflow without In Testing fails the transition check and explains", async () => {
  await using world = await startWorld();
  const jira = await startFakeJira({
    workflow: {
      statuses: [
        { id: "1", name: "To Do", categoryKey: "new" },
        { id: "2", name: "In Review", categoryKey: "indeterminate" },
        { id: "3", name: "Closed", categoryKey: "done" },
      ],
      transitions: [
        { id: "11", name: "Send to review", to: "In Review", from: ["To Do"] },
        { id: "21", name: "Resolve", to: "Closed", from: ["To Do", "In Review"] },
        { id: "31", name: "Reopen", to: "To Do", from: ["Closed"] },
      ],
    },
    issues: [ISSUE, { key: "MWC-2", status: "Closed" }],
  });
  try {
    const result = await doctor(world, { JIRA_BASE_URL: jira.url });
    assert.equal(result.exitCode, 1);
    const [inTesting, done] = only(result, "transitions");
    assert.equal(inTesting.status, "fail");
    assert.match(inTesting.message, /JIRA_TRANSITION_IN_TESTING="In Testing"/);
    assert.match(inTesting.message, /current status To Do/);
    assert.match(inTesting.message, /"Send to review" → In Review/);
    assert.match(inTesting.fix ?? "", /lists transitions from an issue's current status/);
    // Done is found by the target's status category, as the worker finds it.
    assert.equal(done.status, "ok");
    assert.match(done.message, /"Resolve" \(→ Closed\)/);

    // From a closed issue only Reopen is listed: the doctor says why.
    const closed = await doctor(world, { JIRA_BASE_URL: jira.url }, "MWC-2");
    const lines = only(closed, "transitions");
    assert.equal(lines[0].status, "fail");
    assert.match(lines[0].message, /current status Closed \(available: "Reopen" → To Do\)/);
    assert.equal(lines[1].status, "warn");
    assert.match(lines[1].message, /already is in Closed/);
  } finally {
    await jira.close();
  }
});

Deno.test("doctor: an unknown sample issue fails the transition check with the fix", async () => {
  await using world = await startWorld({ issues: [ISSUE] });
  const result = await doctor(world, {}, "MWC-404");
  const [line] = only(result, "transitions");
  assert.equal(line.status, "fail");
  assert.match(line.fix ?? "", /check the key MWC-404/);
});

Deno.test("doctor: an unreachable git remote or a missing base branch fails the git check", async () => {
  await using world = await startWorld({ issues: [ISSUE] });
  const write = async (repo: Record<string, unknown>) => {
    const path = `${world.dir}/routing-${crypto.randomUUID()}.json`;
    await Deno.writeTextFile(
      path,
      JSON.stringify({ repos: [{ id: "online-docs", github: PILOT_REPO, ...repo }] }),
    );
    return path;
  };
  const missing = await doctor(world, {
    RUNNER_CONFIG: await write({ cloneUrl: `${world.dir}/remote/no-such-repo.git` }),
  });
  assert.equal(missing.exitCode, 1);
  const [gone] = only(missing, "git online-docs");
  assert.equal(gone.status, "fail");
  assert.match(gone.fix ?? "", /cloneUrl/);

  const trunk = await doctor(world, {
    RUNNER_CONFIG: await write({ cloneUrl: world.remote, baseBranch: "trunk" }),
  });
  const [branch] = only(trunk, "git online-docs");
  assert.equal(branch.status, "fail");
  assert.match(branch.message, /no branch trunk/);
  assert.match(branch.fix ?? "", /baseBranch/);
});

Deno.test("doctor: a bad routing file fails the routing check; repo checks are skipped", async () => {
  await using world = await startWorld({ issues: [ISSUE] });
  const path = `${world.dir}/bad-routing.json`;
  await Deno.writeTextFile(path, JSON.stringify({ repos: [{ id: "docs", github: "not a repo" }] }));
  const result = await doctor(world, { RUNNER_CONFIG: path });
  assert.equal(result.exitCode, 1);
  const [routing] = only(result, "routing");
  assert.equal(routing.status, "fail");
  assert.match(routing.message, /repos\.0\.github/);
  assert.match(routing.fix ?? "", /runner\.config\.schema\.json/);
  assert.deepEqual(only(result, /^(github|git)$/).map((l) => l.status), ["skip", "skip"]);
});

Deno.test("doctor: a bad configuration lists every problem, each with its fix", async () => {
  await using world = await startWorld({ issues: [ISSUE] });
  const env = {
    ...world.env,
    JIRA_BASE_URL: "not a url",
    JIRA_EMAIL: undefined,
    GITHUB_TOKEN: undefined,
    LLM_PROVIDER: "gemini",
    PORT: "80000",
    GITHUB_APP_ID: "12345",
    LEASE_SECONDS: "1",
  };
  let problems: string[] = [];
  try {
    loadConfig(["server", "worker"], env);
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    problems = e.problems;
  }
  assert.ok(problems.length >= 6, `expected many problems, got ${problems.join("; ")}`);
  const result = await doctor(world, env);
  assert.equal(result.exitCode, 1);
  const config = only(result, "config");
  assert.deepEqual(config.map((l) => l.message), problems);
  assert.ok(config.every((l) => l.status === "fail"));
  const fixes = config.map((l) => l.fix).join("\n");
  assert.match(fixes, /set JIRA_EMAIL /);
  assert.match(fixes, /correct PORT /);
  assert.match(fixes, /set GITHUB_APP_PRIVATE_KEY .*GITHUB_APP_PRIVATE_KEY_FILE/);
  assert.equal(only(result, "connections")[0].status, "skip");
  assert.equal(only(result, "jira").length, 0, "no connection is tried on a bad configuration");
});

Deno.test("doctor: PUBLIC_URL gives the webhook URLs and is checked for an answer", async () => {
  await using world = await startWorld({ issues: [ISSUE] });
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) =>
      new Response(new URL(req.url).pathname === "/healthz" ? "ok" : "no", {
        status: new URL(req.url).pathname === "/healthz" ? 200 : 404,
      }),
  );
  try {
    const url = `http://127.0.0.1:${server.addr.port}`;
    const result = await doctor(world, { PUBLIC_URL: url, TRUSTED_PROXIES: "127.0.0.1,::1" });
    assert.equal(result.exitCode, 0);
    const hints = only(result, "webhooks");
    assert.deepEqual(hints.map((l) => l.status), ["ok", "ok", "ok"], text(result));
    assert.match(hints[1].message, new RegExp(`POST ${url}/jira/webhook`));
    assert.match(hints[1].message, new RegExp(`${url}/github/webhook`));
    assert.match(hints[2].message, /healthz answered 200/);
  } finally {
    await server.shutdown();
  }
  const unreachable = await doctor(world, { PUBLIC_URL: "https://runner.invalid" });
  const last = only(unreachable, "webhooks").at(-1);
  assert.equal(last?.status, "warn");
  assert.match(last?.message ?? "", /did not answer from this machine/);
});

Deno.test("doctor: deno task doctor runs as a process and exits 0 against the stand-ins", async () => {
  await using world = await startWorld({ issues: [ISSUE] });
  const root = new URL("../../", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", "doctor", "--issue", ISSUE.key],
    cwd: root,
    env: world.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, `${stdout}\n${new TextDecoder().decode(out.stderr)}`);
  assert.match(stdout, /^✓ jira: logged in/m);
  assert.match(stdout, /^✓ transitions: JIRA_TRANSITION_DONE/m);
  assert.match(stdout, /every check passed/);
  assert.ok(!stdout.includes("\x1b["), "no colours when stdout is not a terminal");
  for (const secret of SECRETS) assert.ok(!stdout.includes(secret), "a secret was printed");
});

Deno.test("doctor: a Done transition whose screen needs a field that cannot be filled fails ahead of time", async () => {
  await using world = await startWorld();
  const jira = await startFakeJira({
    workflow: {
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
    },
    issues: [ISSUE],
  });
  try {
    const result = await doctor(world, { JIRA_BASE_URL: jira.url });
    const [inTesting, done] = only(result, "transitions");
    assert.equal(inTesting.status, "ok");
    assert.equal(done.status, "fail");
    assert.match(done.message, /"Close Issue" \(→ Done\) cannot be taken/);
    assert.match(
      done.message,
      /Release train \(customfield_10060; allowed values: "Spring", "Autumn"\)/,
    );
    assert.match(done.fix ?? "", /JIRA_TRANSITION_DONE_FIELDS/);

    // Configured, it passes; Resolution alone is filled with a default.
    const configured = await doctor(world, {
      JIRA_BASE_URL: jira.url,
      JIRA_TRANSITION_DONE_FIELDS: '{"Release train": "Spring"}',
    });
    const [, ok] = only(configured, "transitions");
    assert.equal(ok.status, "ok", ok.message);
    assert.match(ok.message, /fields customfield_10060, resolution filled/);
  } finally {
    await jira.close();
  }
});
