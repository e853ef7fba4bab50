/**
 * `run_command {command, timeoutSeconds?}`: one shell command line in the
 * sandbox (no network, the worktree read-write, nothing else of the host),
 * answering its exit code and bounded output (head and tail).
 *
 * @module
 */
import type { ToolOutcome } from "../../domain/agent/tool_executor.ts";
import { shellCommand } from "../../domain/ports/sandbox.ts";
import { fail, ok, type ToolContext } from "./context.ts";
import { positiveIntField, stringField } from "./input.ts";

/** Longest command line accepted, in characters. */
const MAX_COMMAND_CHARS = 10_000;

/** `run_command {command, timeoutSeconds?}` */
export async function runCommand(
  ctx: ToolContext,
  input: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<ToolOutcome> {
  if (!ctx.sandbox) {
    return fail("run_command is not available in this session; use run_validation");
  }
  const field = stringField(input, "command", true);
  if (!field.ok) return fail(field.error);
  const command = field.value!;
  if (!command.trim()) return fail("`command` must not be empty");
  if (command.length > MAX_COMMAND_CHARS) {
    return fail(`\`command\` is too long (${MAX_COMMAND_CHARS} characters at most)`);
  }
  if (command.includes("\0")) return fail("`command` contains a NUL character");
  const timeoutField = positiveIntField(input, "timeoutSeconds");
  if (!timeoutField.ok) return fail(timeoutField.error);
  const max = ctx.limits.maxCommandSeconds;
  const timeoutSeconds = Math.min(timeoutField.value ?? ctx.limits.defaultCommandSeconds, max);

  const result = await ctx.sandbox.run({
    argv: shellCommand(command),
    cwd: ctx.root.real,
    timeoutMs: timeoutSeconds * 1000,
    signal,
    network: { mode: "none" },
    env: ctx.commandEnv,
    maxOutputChars: Math.floor(ctx.limits.maxOutputChars / 2),
  });
  const output = ctx.redact(result.output).trimEnd();
  const shown = output ? `\n${output}` : " (no output)";
  if (result.timedOut) {
    return fail(
      `Timed out after ${timeoutSeconds} s; the command and every process it started were ` +
        `killed. Output so far:${shown}`,
    );
  }
  if (result.aborted) return fail(`Cancelled.${shown}`);
  if (result.exitCode === null) return fail(`Killed by a signal (a limit?).${shown}`);
  const status = `Exit code ${result.exitCode}.${shown}`;
  return result.exitCode === 0 ? ok(status) : fail(status);
}
