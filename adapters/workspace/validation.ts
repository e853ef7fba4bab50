/**
 * Runs a repository's validation commands (shell command lines from the routing
 * entry) in a worktree: one at a time, each with a timeout, in an environment
 * scrubbed of every secret (only a minimal PATH, HOME and locale pass), output
 * tail-bounded and redacted.
 *
 * @module
 */
import type { ValidationCommandResult, ValidationRun } from "../../domain/ports/workspace.ts";

/** Output kept per command (its tail), in characters. */
const MAX_OUTPUT = 16_000;

/** The environment validation commands see: nothing secret, nothing of the runner's. */
export function scrubbedEnv(home: string): Record<string, string> {
  const path = Deno.env.get("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
  return {
    PATH: path,
    HOME: home,
    LANG: "C.UTF-8",
    LC_ALL: "C.UTF-8",
    TERM: "dumb",
    CI: "true",
    NO_COLOR: "1",
    DENO_DIR: Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME") ?? home}/.cache/deno`,
  };
}

function tail(text: string, max: number): string {
  return text.length > max ? `[… ${text.length - max} characters cut]\n${text.slice(-max)}` : text;
}

/**
 * Runs `commands` in `cwd`; stops at the first failure. `redact` scrubs the
 * output; `timeoutSeconds` bounds each command (the process group is killed).
 */
export async function runValidation(
  cwd: string,
  commands: readonly string[],
  timeoutSeconds: number,
  redact: (text: string) => string,
  signal?: AbortSignal,
): Promise<ValidationRun> {
  const home = await Deno.makeTempDir({ prefix: "ai-runner-validate-" });
  const results: ValidationCommandResult[] = [];
  let output = "";
  let passed = true;
  try {
    for (const command of commands) {
      const started = performance.now();
      const child = new Deno.Command("sh", {
        args: ["-c", command],
        cwd,
        env: scrubbedEnv(home),
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      let timedOut = false;
      const kill = () => {
        try {
          child.kill("SIGKILL");
        } catch { /* already gone */ }
      };
      const timer = setTimeout(() => {
        timedOut = true;
        kill();
      }, timeoutSeconds * 1000);
      signal?.addEventListener("abort", kill, { once: true });
      const { code, stdout, stderr } = await child.output();
      clearTimeout(timer);
      signal?.removeEventListener("abort", kill);
      const text = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
      const exitCode = timedOut ? null : code;
      results.push({
        command,
        exitCode,
        durationMs: Math.round(performance.now() - started),
        timedOut,
      });
      output += `$ ${command}\n${tail(text, MAX_OUTPUT)}\n` +
        (timedOut ? `[timed out after ${timeoutSeconds} s]\n` : `[exit ${code}]\n`);
      if (timedOut || code !== 0) {
        passed = false;
        break;
      }
      if (signal?.aborted) break;
    }
  } finally {
    await Deno.remove(home, { recursive: true }).catch(() => {});
  }
  return { passed, commands: results, output: redact(tail(output, MAX_OUTPUT * 2)) };
}
