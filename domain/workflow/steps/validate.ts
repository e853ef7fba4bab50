/**
 * Step `validate`: the repository's validation on the generated changes. When
 * generation already validated exactly these changes, that result is the
 * step's; otherwise the commands run now.
 *
 * @module
 */
import type { EventOf } from "../../events.ts";
import type { RunContext } from "../run_context.ts";

/** Records `ValidationCompleted`. */
export async function validate(ctx: RunContext): Promise<EventOf<"ValidationCompleted">> {
  const generated = ctx.required("generate_changes", "ChangesGenerated");
  const repairs = generated.repairs ?? 0;
  if (generated.validation) {
    return {
      type: "ValidationCompleted",
      data: { runId: ctx.runId, repairs, ...generated.validation },
    };
  }
  const repo = await ctx.route();
  if (!repo.validate.length) {
    return {
      type: "ValidationCompleted",
      data: { runId: ctx.runId, passed: true, commands: [], repairs },
    };
  }
  const worktree = await ctx.worktree();
  const run = await ctx.deps.workspace.validate(
    worktree.path,
    repo.validate,
    repo.validateTimeoutSeconds,
    ctx.run.signal,
    repo.env,
  );
  return {
    type: "ValidationCompleted",
    data: {
      runId: ctx.runId,
      passed: run.passed,
      commands: run.commands,
      repairs,
      ...(run.sandbox ? { sandbox: run.sandbox } : {}),
      log: run.output
        ? await ctx.putText(ctx.deps.secrets.redact(run.output), "text/plain")
        : undefined,
    },
  };
}
