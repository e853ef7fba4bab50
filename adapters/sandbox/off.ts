/**
 * The `SANDBOX=off` {@link Sandbox}, for trusted local development only:
 * commands run as the runner's own user with its filesystem and network. It
 * still scrubs the environment, applies the limits with `prlimit`, runs the
 * command in its own session and kills that session's process group on
 * timeout or abort; a process that leaves the group is not caught. Every
 * result says `sandbox: "off"`.
 *
 * @module
 */
import type { Sandbox, SandboxCommand, SandboxResult } from "../../domain/ports/sandbox.ts";
import type { Logger } from "../../domain/ports/logger.ts";
import { baseEnv } from "./layout.ts";
import { prlimitArgs, resolveLimits } from "./limits.ts";
import { supervise } from "./supervise.ts";

/** The loud warning `SANDBOX=off` gives at start. */
export const SANDBOX_OFF_WARNING = "SANDBOX=off: setup, validation and the model's commands run " +
  "UNCONFINED, as the runner's user, with its files, secrets and network. Use it only for " +
  "trusted local development; every affected run records sandbox: off";

/** Commands run without confinement. */
export class OffSandbox implements Sandbox {
  readonly kind = "off" as const;

  constructor(logger?: Logger) {
    logger?.warn(SANDBOX_OFF_WARNING);
  }

  check(): Promise<void> {
    return Promise.resolve();
  }

  async run(command: SandboxCommand): Promise<SandboxResult> {
    const started = performance.now();
    const home = await Deno.makeTempDir({ prefix: "ai-runner-unsandboxed-home-" });
    try {
      const env = { ...baseEnv(), HOME: home, ...command.env };
      // `setsid` makes the command a session and group leader, so the group can be killed.
      const child = new Deno.Command("setsid", {
        args: ["prlimit", ...prlimitArgs(resolveLimits(command.limits)), ...command.argv],
        cwd: command.cwd,
        clearEnv: true,
        env,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const seen = await supervise(child, started, {
        timeoutMs: command.timeoutMs,
        signal: command.signal,
        maxOutputChars: command.maxOutputChars ?? 32_000,
        kill: (c) => {
          try {
            Deno.kill(-c.pid, "SIGKILL");
          } catch {
            try {
              c.kill("SIGKILL");
            } catch { /* gone */ }
          }
          return Promise.resolve();
        },
      });
      return {
        exitCode: seen.killed ? null : seen.code,
        timedOut: seen.timedOut,
        aborted: seen.aborted,
        output: seen.output,
        truncated: seen.truncated,
        durationMs: seen.durationMs,
        sandbox: "off",
      };
    } finally {
      await Deno.remove(home, { recursive: true }).catch(() => {});
    }
  }
}
