/**
 * Step `generate_changes`: the model works on the ticket through its tools in
 * one conversation: after validation fails, the repair continues it (the model
 * still sees the ticket, the feedback and its own work), a bounded number of
 * times. The budgets (turns, billed tokens, money, wall time) cover the whole
 * conversation. The step starts from a clean worktree (the recorded start
 * commit), so an attempt cut short by a crash is never built upon twice.
 *
 * @module
 */
import { remainingBudgets } from "../../agent/budgets.ts";
import { runToolLoop, ToolLoopError, type ToolLoopResult } from "../../agent/tool_loop.ts";
import type { EventData, EventOf, TokenUsage } from "../../events.ts";
import type { ChatMessage } from "../../ports/llm.ts";
import type { ValidationRun } from "../../ports/workspace.ts";
import { addUsage, NO_USAGE } from "../../pricing.ts";
import { boundDiff } from "../../diff_summary.ts";
import { LeaseLost, RunStopped } from "../failure.ts";
import { type PromptInput, repairPrompt, systemPrompt, taskPrompt } from "../prompt.ts";
import {
  parseVerdict,
  reviewFeedbackPrompt,
  reviewSystemPrompt,
  reviewTaskPrompt,
  reviewTools,
  type ReviewVerdict,
} from "../self_review.ts";
import type { RunContext } from "../run_context.ts";
import { previousIterations } from "./history.ts";

/** The summary of a run whose repairs each said what they fixed: the first, then the repairs. */
export function combinedSummary(first: string, repairs: readonly string[]): string {
  const added = repairs.map((r) => r.trim()).filter((r) => r && r !== first.trim());
  if (!added.length) return first;
  return `${first}\n\nAfter validation:\n${added.map((r) => `- ${r.split("\n")[0]}`).join("\n")}`;
}

/**
 * The reviewer's look at the change in a fresh context: the ticket, the diff,
 * validation. Null when there is nothing to review or no verdict came.
 */
async function selfReview(
  ctx: RunContext,
  prompt: PromptInput,
  validation: ValidationRun | undefined,
  spent: { turns: number; billedTokens: number; costUsd: number },
  elapsedMs: number,
): Promise<
  | (Pick<ToolLoopResult, "usage" | "turns" | "billedTokens" | "costUsd" | "transcript"> & {
    verdict: ReviewVerdict;
  })
  | null
> {
  const { git, settings, secrets, clock } = ctx.deps;
  const llm = ctx.deps.reviewLlm ?? ctx.deps.llm;
  const worktree = await ctx.worktree();
  const { startSha } = ctx.required("prepare_workspace", "WorkspacePrepared");
  const diff = await git.diff(worktree, { from: startSha });
  if (!diff.trim()) return null;
  const i = prompt.issue;
  const result = await runToolLoop({
    llm,
    system: reviewSystemPrompt(),
    userPrompt: reviewTaskPrompt({
      ticket: `${i.key}: ${i.summary}\n\n${i.descriptionText}`,
      diff,
      validation: validation
        ? (validation.passed ? "passed" : "failed")
        : "no validation commands are configured",
    }),
    tools: reviewTools(),
    cacheKey: `ai-runner-review:${ctx.issueKey}`,
    ...(llm === ctx.deps.llm && settings.pricing !== undefined
      ? { pricing: settings.pricing }
      : {}),
    budgets: remainingBudgets({
      ...settings.budgets,
      maxTurns: Math.min(settings.budgets.maxTurns, 3 + spent.turns),
    }, {
      ...spent,
      elapsedMs,
    }),
    now: () => clock().getTime(),
    signal: ctx.run.signal,
    redact: (t) => secrets.redact(t),
  });
  if (result.outcome === "stopped") throw new LeaseLost(ctx.runId, "stopped");
  if (result.outcome !== "finished" || !result.summary) return null;
  let verdict: ReviewVerdict;
  try {
    verdict = parseVerdict(JSON.parse(result.summary));
  } catch {
    return null;
  }
  return { ...result, verdict };
}

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
      workspace.validate(
        worktree.path,
        repo.validate,
        repo.validateTimeoutSeconds,
        signal,
        repo.env,
      )
    : undefined;
  // A later iteration sees the branch's work so far; instruction files on it are not trusted.
  const branchDiff = prepared.continued
    ? boundDiff(await git.diff(worktree, { from: await git.mergeBase(worktree) }), 24_000)
    : null;
  const tools = await workspace.openTools(worktree.path, validate, {
    env: repo.env,
    maxCommandSeconds: repo.validateTimeoutSeconds,
    nestedInstructions: true,
    untrustedPaths: branchDiff?.files.flatMap((f) => f.oldPath ? [f.path, f.oldPath] : [f.path]),
  });
  const context = await workspace.context(worktree.path, {
    text: [
      snapshot.issue.summary,
      snapshot.issue.descriptionText,
      ...snapshot.jiraFeedback.map((c) => c.bodyText),
      ...snapshot.prFeedback.map((f) => f.body),
    ].join("\n"),
    paths: snapshot.prFeedback.flatMap((f) => f.path ? [f.path] : []),
  });
  const attachments = snapshot.attachments;
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
    related: snapshot.related,
    attachments: attachments && {
      texts: attachments.texts,
      listed: attachments.listed,
      notes: attachments.notes,
      images: attachments.images.length,
    },
    branchDiff: branchDiff ?? undefined,
    threads: snapshot.threads,
    failedChecks: snapshot.failedChecks,
  };
  const system = systemPrompt(prompt);
  const now = () => clock().getTime();
  const startedAt = now();
  const spent = { turns: 0, toolCalls: 0, billedTokens: 0, costUsd: 0, elisions: 0 };
  let usage: TokenUsage = NO_USAGE;
  let priced = false;
  let history: ChatMessage[] = [];
  let userPrompt = taskPrompt(prompt);
  const transcripts: unknown[] = [];
  const summaries: string[] = [];
  let validation: ValidationRun | undefined;
  let repairs = 0;
  const reviews: ReviewVerdict[] = [];
  for (;;) {
    let result: ToolLoopResult;
    try {
      result = await runToolLoop({
        llm,
        system,
        userPrompt,
        // The ticket's screenshots go with the first message only.
        images: history.length === 0 ? attachments?.images : undefined,
        history,
        tools,
        cacheKey: `ai-runner:${ctx.issueKey}`,
        ...(settings.pricing !== undefined ? { pricing: settings.pricing } : {}),
        ...(settings.maxOutputTokens ? { maxOutputTokens: settings.maxOutputTokens } : {}),
        budgets: remainingBudgets(settings.budgets, { ...spent, elapsedMs: now() - startedAt }),
        now,
        signal: ctx.run.signal,
        redact: (t) => secrets.redact(t),
        onProgress: (totals) => {
          ctx.run.progress = {
            turns: spent.turns + totals.turns,
            toolCalls: spent.toolCalls + totals.toolCalls,
            usage: addUsage(usage, totals.usage),
            costUsd: spent.costUsd + totals.costUsd,
          };
        },
      });
    } catch (error) {
      if (error instanceof ToolLoopError) transcripts.push(error.partial.transcript);
      throw error;
    }
    transcripts.push(result.transcript);
    spent.turns += result.turns;
    spent.toolCalls += result.toolCalls;
    spent.billedTokens += result.billedTokens;
    spent.costUsd += result.costUsd;
    spent.elisions += result.contextElisions;
    usage = addUsage(usage, result.usage);
    priced ||= result.priced;
    if (result.outcome === "stopped") throw new LeaseLost(ctx.runId, "stopped");
    if (result.outcome === "budget_exceeded") {
      throw new RunStopped("generate_changes", "budget", result.reason ?? "a budget ran out");
    }
    summaries.push(result.summary ?? "");
    history = result.messages;
    if (validate) {
      validation = await validate(ctx.run.signal);
      if (!validation.passed && repairs < settings.maxRepairs) {
        // The repair continues the same conversation: same system text and tools, its history.
        repairs++;
        userPrompt = repairPrompt(validation.output, repairs, settings.maxRepairs);
        continue;
      }
    }
    // Green (or nothing to run): a fresh reviewer looks before a person does; one more round
    // on its objections, then its second look is the last word.
    if (settings.selfReview === false || (validation && !validation.passed)) break;
    if (reviews.length >= 2) break;
    const review = await selfReview(ctx, prompt, validation, spent, now() - startedAt);
    if (!review) break;
    transcripts.push(review.transcript);
    usage = addUsage(usage, review.usage);
    spent.turns += review.turns;
    spent.billedTokens += review.billedTokens;
    spent.costUsd += review.costUsd;
    reviews.push(review.verdict);
    if (review.verdict.approve || reviews.length >= 2) break;
    userPrompt = reviewFeedbackPrompt(review.verdict.problems);
  }
  const [first = "", ...later] = summaries;
  const summary = combinedSummary(
    first || later.find(Boolean) || "The model ended without a summary.",
    first ? later : [],
  );
  // What changed, whoever changed it (the tools, a command, validation): git says.
  const { diff: patchText, filesChanged } = await git.snapshot(worktree, {
    from: prepared.startSha,
  });
  const data: EventData<"ChangesGenerated"> = {
    runId: ctx.runId,
    summary: secrets.redact(summary).slice(0, 10_000),
    filesChanged,
    turns: spent.turns,
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
    ...(priced ? { costUsd: Math.round(spent.costUsd * 1e6) / 1e6 } : {}),
    ...(spent.elisions ? { contextElisions: spent.elisions } : {}),
    ...(reviews.length
      ? { selfReview: { model: (ctx.deps.reviewLlm ?? llm).model, rounds: reviews } }
      : {}),
  };
  return { type: "ChangesGenerated", data };
}
