/**
 * Step `push`: publishes the recorded commit on `ai/<KEY>`, fast-forward only.
 * On a fresh worktree (another host) the recorded commit is made again from the
 * restored changes and must come out identical.
 *
 * @module
 */
import type { EventOf } from "../../events.ts";
import { RunStopped } from "../failure.ts";
import type { RunContext } from "../run_context.ts";
import { commitScannedTree } from "./commit.ts";

/** Pushes and records `BranchPushed`. */
export async function push(ctx: RunContext): Promise<EventOf<"BranchPushed">> {
  const { git, settings } = ctx.deps;
  const worktree = await ctx.worktree();
  const committed = ctx.required("commit", "ChangesCommitted");
  if (await git.head(worktree) !== committed.sha) {
    if (!committed.committedAt) {
      throw new RunStopped("push", "permanent", `commit ${committed.sha} is not in this worktree`);
    }
    const made = await commitScannedTree(ctx, committed.committedAt);
    if (made?.sha !== committed.sha) {
      throw new RunStopped(
        "push",
        "permanent",
        `could not make commit ${committed.sha} again (got ${made?.sha ?? "nothing"})`,
      );
    }
  }
  const repo = await ctx.route();
  // To the URL routing names: never one read back from the (hostile) repository's config.
  const pushed = await git.push(worktree, {
    branch: worktree.branch,
    token: await ctx.gitToken(repo),
    cloneUrl: settings.cloneUrl(repo),
  });
  return {
    type: "BranchPushed",
    data: { runId: ctx.runId, branch: worktree.branch, sha: pushed.sha ?? committed.sha },
  };
}
