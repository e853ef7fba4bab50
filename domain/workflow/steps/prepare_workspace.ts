/**
 * Step `prepare_workspace`: routes the issue to a repository and gives the run
 * its worktree on `ai/<KEY>`, recording where it starts.
 *
 * @module
 */
import type { EventOf } from "../../events.ts";
import type { RunContext } from "../run_context.ts";

/** Prepares the worktree and records `WorkspacePrepared`. */
export async function prepareWorkspace(ctx: RunContext): Promise<EventOf<"WorkspacePrepared">> {
  const repo = await ctx.route();
  const worktree = await ctx.worktree();
  const setup = ctx.setupRun;
  return {
    type: "WorkspacePrepared",
    data: {
      runId: ctx.runId,
      repoId: repo.id,
      github: repo.github,
      branch: worktree.branch,
      baseBranch: repo.baseBranch,
      startSha: worktree.startSha,
      continued: worktree.continued,
      sandbox: ctx.deps.workspace.sandboxKind,
      ...(setup
        ? {
          setup: {
            passed: setup.passed,
            commands: setup.commands,
            log: setup.output
              ? await ctx.putText(ctx.deps.secrets.redact(setup.output), "text/plain")
              : undefined,
          },
        }
        : {}),
    },
  };
}
