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
  /**
   * The repository map within a budget: the tree with file counts, ranked
   * toward the ticket's focus, and the top-level symbols of the most relevant files.
   */
  fileTree: string;
  /** How the map was made: files walked, whether symbols came from ctags, what was left out. */
  map?: {
    totalFiles: number;
    symbols: "ctags" | "none";
    relevant: string[];
    notes: string[];
    /** Every file walked (at most 50,000): e.g. `repoFiles` for `checkClaims`. */
    files: string[];
  };
}

/** What the repository map is ranked toward: the ticket's text and the paths it names. */
export interface RepoFocus {
  /** Summary, description, feedback: free text. */
  text: string;
  /** Paths named explicitly (review comments' files, earlier runs' files). */
  paths?: readonly string[];
  /** Characters the map may take (default 12,000, about 3,000 tokens). */
  budgetChars?: number;
}

/** How {@link Workspace.openTools} sets the tools up. */
export interface OpenToolsOptions extends ToolOptions {
  /**
   * Show nested instruction files (`AGENTS.md`, `CLAUDE.md` in subdirectories,
   * read when the tools open) with the first tool result under their directory.
   */
  nestedInstructions?: boolean;
  /**
   * Paths the run's branch changes against its base (an earlier iteration's
   * work, possibly the model's): instruction files among them are not taken
   * as instructions, so a model cannot write its own rules for a later run.
   */
  untrustedPaths?: readonly string[];
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
    options?: OpenToolsOptions,
  ): Promise<RunTools>;
  /** The repository's instructions and its map (ranked toward `focus` when given). */
  context(root: string, focus?: RepoFocus): Promise<RepoContext>;
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
