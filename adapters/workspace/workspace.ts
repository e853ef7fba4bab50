/**
 * The {@link Workspace} adapter: the confined tools, the repo context and the
 * validation runner, over a run's worktree on local disk.
 *
 * @module
 */
import type {
  OpenToolsOptions,
  RepoFocus,
  RunTools,
  ValidationRun,
  Workspace,
} from "../../domain/ports/workspace.ts";
import { findInstructionFiles, withNestedInstructions } from "./instructions.ts";
import { readRepoContext } from "./repo_context.ts";
import { createWorkspaceTools } from "./tools.ts";
import { runValidation } from "./validation.ts";

/** Work inside local worktrees; `redact` scrubs validation output. */
export class LocalWorkspace implements Workspace {
  constructor(private readonly redact: (text: string) => string) {}

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
  ) {
    return runValidation(root, commands, timeoutSeconds, this.redact, signal);
  }
}
