/**
 * The run workflow: one claimed run worked step by step until its step table
 * (`domain/run/steps.ts`) says it is done. Each step performs its effect and
 * returns an event; the lease holder records it. A resumed run reads what was
 * recorded and continues with the first step not recorded: a step is
 * remembered by its name, never done twice.
 *
 * @module
 */
import { nextStep, type RunOutcome } from "../run/steps.ts";
import { RunStopped } from "./failure.ts";
import { RunContext, type RunHandle, type WorkflowDeps } from "./run_context.ts";
import { completedFact, postComment } from "./steps/jira_comment.ts";
import { jiraAssign } from "./steps/jira_assign.ts";
import { STEPS } from "./steps/mod.ts";

export type { IssueSnapshot, RunHandle, WorkflowDeps } from "./run_context.ts";
export type { RunOutcome } from "../run/steps.ts";
export type { SecretFilter } from "../ports/secrets.ts";

/** Runs (or resumes) one claimed run to its end; throws for the worker to classify. */
export class RunWorkflow {
  readonly #ctx: RunContext;

  constructor(deps: WorkflowDeps, run: RunHandle) {
    this.#ctx = new RunContext(deps, run);
  }

  /** Runs every step not yet recorded. Returns the outcome for `RunSucceeded`. */
  async execute(): Promise<{ outcome: RunOutcome; summary: string }> {
    const ctx = this.#ctx;
    await ctx.load();
    try {
      for (;;) {
        const next = nextStep(ctx.runState);
        if (next.done) {
          await ctx.releaseWorktree();
          return { outcome: next.outcome, summary: this.#summary() };
        }
        ctx.enter(next.step);
        await ctx.record(await STEPS[next.step](ctx));
      }
    } catch (error) {
      // Keep the worktree of a run that may resume; drop it on a definite stop.
      if (error instanceof RunStopped) await ctx.releaseWorktree();
      throw error;
    }
  }

  #summary(): string {
    const ctx = this.#ctx;
    const run = ctx.runState;
    if (run.kind === "change") {
      const checks = ctx.recorded("await_checks", "ChecksAwaited");
      if (checks?.repairQueued) {
        return `checks failed on the pull request (${
          checks.failed.map((f) => f.name).join(", ")
        }); a repair run was queued`;
      }
      return ctx.recorded("generate_changes", "ChangesGenerated")?.summary ?? "";
    }
    if (run.kind === "notice") return "told the requester why no run was started";
    const fact = completedFact(ctx);
    if (fact.type === "PrClosed") return `PR #${fact.data.number} closed unmerged`;
    const moved = ctx.recorded("jira_transition", "JiraTransitioned");
    return moved?.alreadyThere
      ? `PR #${fact.data.number} merged; the issue was already ${moved.toStatus}`
      : `PR #${fact.data.number} merged by ${fact.data.mergedBy ?? "?"}`;
  }

  /**
   * After a failure: the run's one Jira comment says what went wrong and the
   * ticket goes to the reviewer, so nothing stalls silently. Best effort: a
   * failure here is logged, and the run still ends as failed.
   */
  async reportFailure(body: string): Promise<void> {
    const ctx = this.#ctx;
    try {
      await ctx.load();
      ctx.enter("report_failure");
      if (!ctx.runState.steps.jira_comment) {
        await ctx.record(await postComment(ctx, "failure", () => body), { failureReport: true });
      }
      if (!ctx.runState.steps.jira_assign) {
        await ctx.record(await jiraAssign(ctx), { failureReport: true });
      }
    } catch (error) {
      if (error instanceof Error && error.name === "LeaseLost") throw error;
      ctx.log.error("could not report the failure on Jira", { error });
    }
  }
}
