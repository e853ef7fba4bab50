/**
 * Step `generate_changes`: the model works on the ticket through its tools,
 * and after validation fails it gets a bounded number of repairs. The step
 * starts from a clean worktree (the recorded start commit), so an attempt cut
 * short by a crash is never built upon twice.
 *
 * @module
 */
import { runToolLoop, ToolLoopError } from "../../agent/tool_loop.ts";
import type { EventData, EventOf, TokenUsage } from "../../events.ts";
import type { ValidationRun } from "../../ports/workspace.ts";
import { LeaseLost, RunStopped } from "../failure.ts";
import { type PromptInput, repairPrompt, systemPrompt, taskPrompt } from "../prompt.ts";
import type { RunContext } from "../run_context.ts";
import { previousIterations } from "./history.ts";

/** Runs the model (and its repairs) and records `ChangesGenerated`. */
export async function generateChanges(ctx: RunContext): Promise<EventOf<"ChangesGenerated">> {
  const { workspace, llm, settings, secrets, git, clock } = ctx.deps;
  const repo = await ctx.route();
  const worktree = await ctx.worktree();
  const prepared = ctx.required("prepare_workspace", "WorkspacePrepared");
  await git.reset(worktree, prepared.startSha, "hard");
  const snapshot = await ctx.snapshot();
  const validate = repo.validate.length
    ? (signal?: AbortSignal) =>
      workspace.validate(worktree.path, repo.validate, repo.validateTimeoutSeconds, signal)
    : undefined;
  const tools = await workspace.openTools(worktree.path, validate);
  const context = await workspace.context(worktree.path);
  const prompt: PromptInput = {
    issue: snapshot.issue,
    repo: {
      github: repo.github,
      baseBranch: repo.baseBranch,
      branch: worktree.branch,
      continued: prepared.continued,
    },
    instructions: context.instructions,
    fileTree: context.fileTree,
    hasValidation: !!validate,
    previousIterations: previousIterations(ctx.events, ctx.runId),
    jiraFeedback: snapshot.jiraFeedback,
    prFeedback: snapshot.prFeedback,
  };
  const now = () => clock().getTime();
  const startedAt = now();
  let usage: TokenUsage = { inputTokens: 0, outputTokens: 0 };
  let turns = 0;
  let summary = "";
  let userPrompt = taskPrompt(prompt);
  const transcripts: unknown[] = [];
  let validation: ValidationRun | undefined;
  let repairs = 0;
  for (;;) {
    const budgets = {
      ...settings.budgets,
      maxTurns: settings.budgets.maxTurns - turns,
      maxTokens: settings.budgets.maxTokens - usage.inputTokens - usage.outputTokens,
      wallTimeMs: settings.budgets.wallTimeMs - (now() - startedAt),
    };
    let result;
    try {
      result = await runToolLoop({
        llm,
        system: systemPrompt(prompt),
        userPrompt,
        tools,
        budgets,
        now,
        signal: ctx.run.signal,
        redact: (t) => secrets.redact(t),
      });
    } catch (error) {
      if (error instanceof ToolLoopError) transcripts.push(error.partial.transcript);
      throw error;
    }
    transcripts.push(result.transcript);
    turns += result.turns;
    usage = {
      inputTokens: usage.inputTokens + result.usage.inputTokens,
      outputTokens: usage.outputTokens + result.usage.outputTokens,
    };
    if (result.outcome === "stopped") throw new LeaseLost(ctx.runId, "stopped");
    if (result.outcome === "budget_exceeded") {
      throw new RunStopped("generate_changes", "budget", result.reason ?? "a budget ran out");
    }
    summary = result.summary ?? (summary || "The model ended without a summary.");
    if (!validate) break;
    validation = await validate(ctx.run.signal);
    if (validation.passed || repairs >= settings.maxRepairs) break;
    repairs++;
    userPrompt = repairPrompt(validation.output, repairs, settings.maxRepairs);
  }
  const filesChanged = await tools.filesChanged();
  const patchText = await git.diff(worktree, { from: prepared.startSha });
  const data: EventData<"ChangesGenerated"> = {
    runId: ctx.runId,
    summary: secrets.redact(summary).slice(0, 10_000),
    filesChanged,
    turns,
    usage,
    provider: llm.provider,
    model: llm.model,
    transcript: await ctx.putJson(transcripts),
    patch: patchText ? await ctx.putText(patchText, "text/x-diff") : undefined,
    repairs,
    validation: validation && {
      passed: validation.passed,
      commands: validation.commands,
      log: validation.output
        ? await ctx.putText(secrets.redact(validation.output), "text/plain")
        : undefined,
    },
  };
  return { type: "ChangesGenerated", data };
}
