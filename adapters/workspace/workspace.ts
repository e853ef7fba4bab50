/**
 * The {@link Workspace} adapter: the confined tools, the repo context and the
 * validation runner, over a run's worktree on local disk.
 *
 * @module
 */
import type {
  RepoFocus,
  RunTools,
  ValidationRun,
  Workspace,
} from "../../domain/ports/workspace.ts";
import { readRepoContext } from "./repo_context.ts";
import { createWorkspaceTools } from "./tools.ts";
import { runValidation } from "./validation.ts";

/** Work inside local worktrees; `redact` scrubs validation output. */
export class LocalWorkspace implements Workspace {
  constructor(private readonly redact: (text: string) => string) {}

  async openTools(
    root: string,
    validate?: (signal?: AbortSignal) => Promise<ValidationRun>,
  ): Promise<RunTools> {
    return await createWorkspaceTools({
      root,
      runValidation: validate
        ? async (signal) => {
          const run = await validate(signal);
          return { passed: run.passed, output: run.output };
        }
        : undefined,
    });
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
