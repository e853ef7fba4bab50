/**
 * Runs a repository's setup or validation commands (shell command lines from
 * the routing entry) in the sandbox, one at a time, each with a timeout; stops
 * at the first failure. Output is head-and-tail bounded and redacted.
 *
 * @module
 */
import type { Sandbox, SandboxNetwork } from "../../domain/ports/sandbox.ts";
import { shellCommand } from "../../domain/ports/sandbox.ts";
import type { ValidationCommandResult, ValidationRun } from "../../domain/ports/workspace.ts";

/** Output kept per command, in characters. */
const MAX_OUTPUT = 16_000;

/** How {@link runCommands} runs a set of commands. */
export interface CommandSet {
  sandbox: Sandbox;
  cwd: string;
  commands: readonly string[];
  timeoutSeconds: number;
  network: SandboxNetwork;
  env?: Readonly<Record<string, string>>;
  redact: (text: string) => string;
  signal?: AbortSignal;
}

/**
 * Runs `commands` in the sandbox; stops at the first failure. Rejects only
 * when the sandbox cannot start (fail closed).
 */
export async function runCommands(set: CommandSet): Promise<ValidationRun> {
  const results: ValidationCommandResult[] = [];
  let output = "";
  let passed = true;
  for (const command of set.commands) {
    if (set.signal?.aborted) {
      passed = false;
      break;
    }
    const result = await set.sandbox.run({
      argv: shellCommand(command),
      cwd: set.cwd,
      timeoutMs: set.timeoutSeconds * 1000,
      signal: set.signal,
      network: set.network,
      env: set.env,
      maxOutputChars: MAX_OUTPUT,
    });
    results.push({
      command,
      exitCode: result.exitCode,
      durationMs: result.durationMs,
      timedOut: result.timedOut,
    });
    const ending = result.timedOut
      ? `[timed out after ${set.timeoutSeconds} s; every process it started was killed]`
      : result.aborted
      ? "[cancelled]"
      : result.exitCode === null
      ? "[killed by a signal]"
      : `[exit ${result.exitCode}]`;
    output += `$ ${command}\n${result.output}${
      result.output.endsWith("\n") ? "" : "\n"
    }${ending}\n`;
    if (result.exitCode !== 0) {
      passed = false;
      break;
    }
  }
  return {
    passed,
    commands: results,
    output: set.redact(headAndTail(output, MAX_OUTPUT * 2)),
    sandbox: set.sandbox.kind,
  };
}

function headAndTail(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = Math.floor(max / 4);
  return `${text.slice(0, head)}\n[… ${text.length - max} characters cut …]\n${
    text.slice(text.length - (max - head))
  }`;
}
