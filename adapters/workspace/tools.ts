/**
 * The tools the LLM works through, confined to one worktree (DESIGN §5):
 * `list_files`, `read_file`, `search`, `write_file`, `edit_file`,
 * `delete_file`, `run_command`, `run_validation` and `finish`. No path outside
 * the worktree (`..`, absolute paths, symlinks, `.git`); commands and search
 * patterns run only in the sandbox, never on the runner's event loop.
 *
 * Every refusal or failure is an answer with `isError` that tells the model
 * what to do instead; nothing a tool meets is thrown out of the loop.
 *
 * @module
 */
import type { ToolExecutor, ToolOutcome } from "../../domain/agent/tool_executor.ts";
import type { ToolDefinition } from "../../domain/ports/llm.ts";
import { type Sandbox, SandboxUnavailable } from "../../domain/ports/sandbox.ts";
import { ChangeTracker } from "./changes.ts";
import { runCommand } from "./command_tool.ts";
import { DEFAULT_LIMITS, fail, ok, type ToolContext, type WorkspaceToolLimits } from "./context.ts";
import { stringField } from "./input.ts";
import { WorktreeRoot } from "./paths.ts";
import { listFiles, readFile, search } from "./read_tools.ts";
import { WORKSPACE_TOOL_DEFINITIONS, type WorkspaceToolName } from "./schemas.ts";
import { headAndTail } from "./text.ts";
import { deleteFile, editFile, writeFile } from "./write_tools.ts";

export { WORKSPACE_TOOL_DEFINITIONS, WORKSPACE_TOOL_SCHEMAS } from "./schemas.ts";
export type { WorkspaceToolName } from "./schemas.ts";
export { DEFAULT_LIMITS, type WorkspaceToolLimits } from "./context.ts";

/** The outcome of the repository's validation commands. */
export interface ValidationReport {
  passed: boolean;
  /** Combined output of the commands (already scrubbed of secrets). */
  output: string;
}

/** Runs the repository's validation (injected by the worker). */
export type RunValidation = (signal?: AbortSignal) => Promise<ValidationReport>;

/** How {@link createWorkspaceTools} is set up. */
export interface WorkspaceToolsOptions {
  /** The worktree; every path is confined to it. */
  root: string;
  /** The repository's validation; without it `run_validation` says none is configured. */
  runValidation?: RunValidation;
  limits?: Partial<WorkspaceToolLimits>;
  /** Where `run_command` and `search` run; without it `run_command` is unavailable. */
  sandbox?: Sandbox;
  /** Declared, non-secret variables `run_command` sees (the routing entry's `env`). */
  commandEnv?: Readonly<Record<string, string>>;
  /** Scrubs command output of secrets; default: as it is. */
  redact?: (text: string) => string;
}

/** Most characters of a `finish` summary (the event keeps 10 000). */
const MAX_SUMMARY_CHARS = 10_000;

/** The workspace tools of one worktree; a {@link ToolExecutor}. */
export class WorkspaceTools implements ToolExecutor {
  readonly definitions: readonly ToolDefinition[] = WORKSPACE_TOOL_DEFINITIONS;
  readonly #ctx: ToolContext;
  readonly #runValidation?: RunValidation;
  #validationRuns = 0;

  /** Use {@link createWorkspaceTools}. */
  constructor(ctx: ToolContext, runValidation?: RunValidation) {
    this.#ctx = ctx;
    this.#runValidation = runValidation;
  }

  /** Runs one call; never rejects for anything the model sent or the tool met. */
  async execute(
    name: string,
    input: Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<ToolOutcome> {
    const args = input && typeof input === "object" && !Array.isArray(input) ? input : {};
    try {
      switch (name as WorkspaceToolName) {
        case "list_files":
          return await listFiles(this.#ctx, args);
        case "read_file":
          return await readFile(this.#ctx, args);
        case "search":
          return await search(this.#ctx, args, signal);
        case "write_file":
          return await writeFile(this.#ctx, args);
        case "edit_file":
          return await editFile(this.#ctx, args);
        case "delete_file":
          return await deleteFile(this.#ctx, args);
        case "run_command":
          return await runCommand(this.#ctx, args, signal);
        case "run_validation":
          return await this.#validate(signal);
        case "finish":
          return finish(args);
        default:
          return fail(`Unknown tool "${name}".`);
      }
    } catch (error) {
      if (error instanceof SandboxUnavailable) {
        return fail(`${name} cannot run: ${error.message}. Tell the reviewer in your summary.`);
      }
      return fail(`${name} failed: ${describe(error)}`);
    }
  }

  /** Files whose content differs from before the session, sorted. */
  filesChanged(): Promise<string[]> {
    return this.#ctx.changes.filesChanged();
  }

  /** Approximate size of the changes, in bytes. */
  diffBytes(): Promise<number> {
    return this.#ctx.changes.diffBytes();
  }

  async #validate(signal?: AbortSignal): Promise<ToolOutcome> {
    if (!this.#runValidation) {
      return ok("No validation commands are configured for this repository.");
    }
    if (this.#validationRuns >= this.#ctx.limits.maxValidationRuns) {
      return fail(
        `run_validation was already used ${this.#validationRuns} times, the most allowed; ` +
          "finish with what you have and say what is left in the summary",
      );
    }
    this.#validationRuns++;
    const report = await this.#runValidation(signal);
    const output = headAndTail(report.output.trim(), this.#ctx.limits.maxOutputChars / 2);
    return report.passed
      ? ok(`Validation passed.${output ? `\n${output}` : ""}`)
      : fail(`Validation FAILED. Fix the problems and run it again.\n${output}`);
  }
}

/** Opens the tools of a worktree (its root must exist). */
export async function createWorkspaceTools(
  options: WorkspaceToolsOptions,
): Promise<WorkspaceTools> {
  const root = await WorktreeRoot.open(options.root);
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const changes = new ChangeTracker((rel) => root.absolute(rel));
  return new WorkspaceTools({
    root,
    limits,
    changes,
    sandbox: options.sandbox,
    commandEnv: options.commandEnv ?? {},
    redact: options.redact ?? ((text) => text),
  }, options.runValidation);
}

function finish(input: Record<string, unknown>): ToolOutcome {
  const field = stringField(input, "summary", true);
  if (!field.ok) return fail(field.error);
  const summary = field.value!.trim();
  if (!summary) return fail("`summary` must say what you changed");
  if (summary.length > MAX_SUMMARY_CHARS) {
    return fail(`\`summary\` is ${summary.length} characters; keep it under ${MAX_SUMMARY_CHARS}`);
  }
  return { content: "Finished.", isError: false, finish: { summary } };
}

function describe(error: unknown): string {
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.NotFound) return "not found (it may have just been removed)";
  if (error instanceof Deno.errors.IsADirectory) return "it is a directory";
  return error instanceof Error ? error.message : String(error);
}
