/**
 * Step `prepare_workspace`: routes the issue to a repository and gives the run
 * its worktree on `ai/<KEY>`, recording where it starts.
 *
 * @module
 */
import type { EventOf } from "../../events.ts";
import { handleCommand } from "../../command_handler.ts";
import { dailyBudgetDecision, utcDay } from "../../pricing.ts";
import type { RepoRoute } from "../../routing.ts";
import { RunDeferred } from "../failure.ts";
import type { RunContext } from "../run_context.ts";

/**
 * A repository over its daily LLM budget: the run waits for the next UTC day,
 * and the issue is told once (its own marker, so it is never taken for the
 * run's result comment).
 */
async function awaitDailyBudget(ctx: RunContext, repo: RepoRoute): Promise<void> {
  const { spentOnDay, clock, jira, store } = ctx.deps;
  if (repo.dailyBudgetUsd === undefined || !spentOnDay) return;
  const now = clock().getTime();
  const day = utcDay(now);
  const decision = dailyBudgetDecision({
    repoId: repo.id,
    spentTodayUsd: await spentOnDay(repo.id, day),
    capUsd: repo.dailyBudgetUsd,
    now,
  });
  if (decision.run) return;
  const marker = `ai-runner-wait:${ctx.runId}:${day}`;
  const comments = await jira.listComments(ctx.issueKey);
  if (!comments.some((c) => c.bodyText.includes(marker))) {
    const { id } = await jira.addComment(
      ctx.issueKey,
      `**AI Runner will start on ${ctx.issueKey} later:** ${decision.reason}.\n\n\`${marker}\``,
    );
    await handleCommand(store, ctx.issueKey, {
      type: "RecordIssueEffect",
      effect: { type: "JiraCommented", data: { runId: null, commentId: id, purpose: "waiting" } },
    }, { actor: `worker:${ctx.deps.workerId}`, causationId: `run:${ctx.runId}` });
  }
  throw new RunDeferred(new Date(decision.waitUntil), decision.reason);
}

/** Prepares the worktree and records `WorkspacePrepared`. */
export async function prepareWorkspace(ctx: RunContext): Promise<EventOf<"WorkspacePrepared">> {
  const repo = await ctx.route();
  await awaitDailyBudget(ctx, repo);
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
      ...(repo.awaitChecks ? { awaitChecks: repo.awaitChecks } : {}),
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
