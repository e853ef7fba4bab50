/**
 * The workspace port: what the workflow needs inside a run's worktree besides
 * git: the model's tools (confined to the worktree), the repository's own
 * context for the prompt, and its setup and validation commands, which run in
 * the sandbox (`ports/sandbox.ts`).
 * Adapter: `adapters/workspace/`.
 *
 * @module
 */
import type { ToolExecutor } from "../agent/tool_executor.ts";
import type { SandboxKind } from "./sandbox.ts";

/** One validation (or setup) command's outcome. */
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
  /** Combined output (head and tail bounded, secrets redacted). */
  output: string;
  /** Which sandbox ran the commands (`off`: unconfined, `SANDBOX=off`). */
  sandbox?: SandboxKind;
}

/** The outcome of a repository's setup commands; same shape as validation. */
export type SetupRun = ValidationRun;

/** What {@link Workspace.setup} needs besides the commands. */
export interface SetupOptions {
  /** The only hosts setup may reach; absent: the network as the host has it. */
  allowHosts?: readonly string[];
  /** Declared, non-secret variables (the routing entry's `env`). */
  env?: Readonly<Record<string, string>>;
  /** Seconds each command may run. */
  timeoutSeconds: number;
}

/** Options of the model's tools. */
export interface ToolOptions {
  /** Declared, non-secret variables `run_command` sees (the routing entry's `env`). */
  env?: Readonly<Record<string, string>>;
  /** Longest a `run_command` may run, in seconds (the model may ask for less). */
  maxCommandSeconds?: number;
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
  /** What confines its commands (`off`: unconfined); recorded on the run's events. */
  readonly sandboxKind: SandboxKind;
  /**
   * The model's tools; `validate` backs the `run_validation` tool. `run_command`
   * and `search` run in the sandbox without network.
   */
  openTools(
    root: string,
    validate?: (signal?: AbortSignal) => Promise<ValidationRun>,
    options?: ToolOptions,
  ): Promise<RunTools>;
  /** The repository's instructions and file tree. */
  context(root: string): Promise<RepoContext>;
  /**
   * Runs validation commands (shell command lines) in the worktree, in the
   * sandbox without network, with a timeout each; stops at the first failure.
   * Rejects with `SandboxUnavailable` when the sandbox cannot start.
   */
  validate(
    root: string,
    commands: readonly string[],
    timeoutSeconds: number,
    signal?: AbortSignal,
    env?: Readonly<Record<string, string>>,
  ): Promise<ValidationRun>;
  /**
   * Runs the repository's setup commands (e.g. `npm ci`) in the worktree, in
   * the sandbox with the network, or only `allowHosts` when given; stops at the
   * first failure. Rejects with `SandboxUnavailable` when the sandbox cannot start.
   */
  setup(
    root: string,
    commands: readonly string[],
    options: SetupOptions,
    signal?: AbortSignal,
  ): Promise<SetupRun>;
}
