/**
 * The doctor's sandbox check: bubblewrap passes only when the probe's three
 * attacks fail; a sandbox that cannot start fails with the fix; SANDBOX=off is
 * a loud warning; and the probe does notice a sandbox that lets them through.
 */
import assert from "node:assert/strict";
import { checkSandbox } from "../../adapters/cli/doctor_sandbox.ts";
import { Report } from "../../adapters/cli/doctor_report.ts";
import { BwrapSandbox } from "../../adapters/sandbox/bwrap.ts";
import { OffSandbox } from "../../adapters/sandbox/off.ts";
import { probeSandbox, processIds } from "../../adapters/sandbox/probe.ts";

const bwrap = { ops: { sandbox: "bwrap" } } as const;

Deno.test("doctor sandbox: bubblewrap confines all three probes", async () => {
  const report = new Report();
  await checkSandbox(bwrap as never, report, new BwrapSandbox());
  assert.equal(report.lines.length, 1);
  const [line] = report.lines;
  assert.equal(line.status, "ok", line.message);
  assert.match(line.message, /not there.*out of reach.*whole tree/);
});

Deno.test("doctor sandbox: no bwrap fails with the fix", async () => {
  const report = new Report();
  await checkSandbox(bwrap as never, report, new BwrapSandbox({ bwrapPath: "/nonexistent/bwrap" }));
  assert.equal(report.lines[0].status, "fail");
  assert.match(report.lines[0].fix ?? "", /apt-get install bubblewrap/);
  assert.equal(report.exitCode, 1);
});

Deno.test("doctor sandbox: SANDBOX=off is a loud warning", async () => {
  const report = new Report();
  await checkSandbox({ ops: { sandbox: "off" } } as never, report);
  assert.equal(report.lines[0].status, "warn");
  assert.match(report.lines[0].message, /UNCONFINED/);
});

Deno.test("probe: an unconfined runner fails all three attacks", async () => {
  const mark = 6_000_000 + Math.floor(Math.random() * 1_000_000);
  try {
    const findings = await probeSandbox(new OffSandbox(), mark);
    assert.deepEqual(findings.map((f) => [f.attack, f.confined]), [
      ["read_outside", false],
      ["reach_loopback", false],
      ["outlive_timeout", false],
    ]);
  } finally {
    // The escaped `setsid sleep` this test's probe started, by its id.
    for (const pid of await processIds(`sleep ${mark}`)) Deno.kill(pid, "SIGKILL");
  }
});
