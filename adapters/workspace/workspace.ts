/**
 * The {@link Workspace} adapter: the confined tools, the repo context and the
 * setup and validation runner, over a run's worktree on local disk; every
 * command runs in the injected {@link Sandbox}.
 *
 * @module
 */
import type { Sandbox, SandboxKind } from "../../domain/ports/sandbox.ts";
import type {
  OpenToolsOptions,
  RepoFocus,
  RunTools,
  SetupOptions,
  SetupRun,
  ValidationRun,
  Workspace,
} from "../../domain/ports/workspace.ts";
import { findInstructionFiles, withNestedInstructions } from "./instructions.ts";
import { readRepoContext } from "./repo_context.ts";
import { createWorkspaceTools } from "./tools.ts";
import { runCommands } from "./validation.ts";

/** Work inside local worktrees; `redact` scrubs command output. */
export class LocalWorkspace implements Workspace {
  constructor(
    private readonly redact: (text: string) => string,
    private readonly sandbox: Sandbox,
  ) {}

  get sandboxKind(): SandboxKind {
    return this.sandbox.kind;
  }

  async openTools(
    root: string,
    validate?: (signal?: AbortSignal) => Promise<ValidationRun>,
    options: OpenToolsOptions = {},
  ): Promise<RunTools> {
    const tools = await createWorkspaceTools({
      root,
      runValidation: validate
        ? async (signal) => {
          const run = await validate(signal);
          return { passed: run.passed, output: run.output };
        }
        : undefined,
      sandbox: this.sandbox,
      commandEnv: options.env,
      redact: this.redact,
      limits: options.maxCommandSeconds ? { maxCommandSeconds: options.maxCommandSeconds } : {},
    });
    if (!options.nestedInstructions) return tools;
    // Read now, before the model writes anything: what it writes is never an instruction.
    const { files } = await findInstructionFiles(root, {}, options.untrustedPaths);
    return withNestedInstructions(tools, files);
  }

  context(root: string, focus?: RepoFocus) {
    return readRepoContext(root, focus);
  }

  validate(
    root: string,
    commands: readonly string[],
    timeoutSeconds: number,
    signal?: AbortSignal,
    env?: Readonly<Record<string, string>>,
  ): Promise<ValidationRun> {
    return runCommands({
      sandbox: this.sandbox,
      cwd: root,
      commands,
      timeoutSeconds,
      network: { mode: "none" },
      env,
      redact: this.redact,
      signal,
    });
  }

  setup(
    root: string,
    commands: readonly string[],
    options: SetupOptions,
    signal?: AbortSignal,
  ): Promise<SetupRun> {
    return runCommands({
      sandbox: this.sandbox,
      cwd: root,
      commands,
      timeoutSeconds: options.timeoutSeconds,
      network: options.allowHosts
        ? { mode: "allowHosts", hosts: options.allowHosts }
        : { mode: "open" },
      env: options.env,
      redact: this.redact,
      signal,
    });
  }
}
