/**
 * The doctor's sandbox check: with `SANDBOX=bwrap` (the default) it starts
 * the sandbox and proves it confines (a probe that tries to read a file
 * outside, reach the host's loopback and outlive its timeout must fail at all
 * three); with `SANDBOX=off` it warns that commands run unconfined.
 *
 * @module
 */
import type { Sandbox } from "../../domain/ports/sandbox.ts";
import { SandboxUnavailable } from "../../domain/ports/sandbox.ts";
import type { RunnerConfig } from "../config/env.ts";
import { BwrapSandbox } from "../sandbox/bwrap.ts";
import { probeSandbox } from "../sandbox/probe.ts";
import type { Report } from "./doctor_report.ts";

/** Checks the configured sandbox; `sandbox` replaces the real one in tests. */
export async function checkSandbox(
  config: Pick<RunnerConfig, "ops">,
  report: Report,
  sandbox: Sandbox = new BwrapSandbox(),
): Promise<void> {
  if (config.ops.sandbox === "off") {
    report.warn(
      "sandbox",
      "SANDBOX=off: setup, validation and the model's commands run UNCONFINED as the runner's " +
        "user, with its files, secrets and network",
      "use SANDBOX=off only for trusted local development; unset it (bwrap) in production",
    );
    return;
  }
  try {
    const findings = await probeSandbox(sandbox);
    const escaped = findings.filter((f) => !f.confined);
    if (escaped.length === 0) {
      report.ok("sandbox", `bubblewrap confines: ${findings.map((f) => f.detail).join("; ")}`);
      return;
    }
    for (const finding of escaped) {
      report.fail(
        "sandbox",
        `the probe was not confined (${finding.attack}): ${finding.detail}`,
        "check the bwrap version (0.8 or later) and README's 'The sandbox' section",
      );
    }
  } catch (error) {
    if (!(error instanceof SandboxUnavailable)) throw error;
    report.fail("sandbox", error.message.replace(/\. Fix: .*$/s, ""), error.fix);
  }
}
