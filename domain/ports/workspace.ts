/**
 * The workspace port: what the workflow needs inside a run's worktree besides
 * git: the model's tools (confined to the worktree), the repository's own
 * context for the prompt, and its validation commands.
 * Adapter: `adapters/workspace/`.
 *
 * @module
 */
import type { ToolExecutor } from "../agent/tool_executor.ts";

/** One validation command's outcome. */
export interface ValidationCommandResult {
  command: string;
  exitCode: number | null;
  durationMs: number;
  timedOut: boolean;
}

/** The outcome of a repository's validation commands. */
export interface ValidationRun {
  passed: boolean;
  commands: ValidationCommandResult[];
  /** Combined output (tail-bounded, secrets redacted). */
  output: string;
}

/** The model's tools over one worktree. */
export interface RunTools extends ToolExecutor {
  /** Files the tools changed, relative to the worktree root. */
  filesChanged(): Promise<string[]>;
}

/** The repository context given to the model. */
export interface RepoContext {
  /** AGENTS.md, CLAUDE.md, .github/copilot-instructions.md where present. */
  instructions: { file: string; text: string }[];
  /** A bounded listing of the repository's files. */
  fileTree: string;
}

/** Work inside a worktree. */
export interface Workspace {
  /** The model's tools; `validate` backs the `run_validation` tool. */
  openTools(
    root: string,
    validate?: (signal?: AbortSignal) => Promise<ValidationRun>,
  ): Promise<RunTools>;
  /** The repository's instructions and file tree. */
  context(root: string): Promise<RepoContext>;
  /**
   * Runs validation commands (shell command lines) in the worktree with a
   * timeout each, in an environment scrubbed of every secret.
   */
  validate(
    root: string,
    commands: readonly string[],
    timeoutSeconds: number,
    signal?: AbortSignal,
  ): Promise<ValidationRun>;
}
