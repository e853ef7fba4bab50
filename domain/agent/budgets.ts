/**
 * The budgets of a tool loop (turns, billed-equivalent tokens, money, wall
 * time, diff size): which one ran out, and the sentence that says so in a
 * failed run. Checked before every model call, so a run overshoots a budget
 * by at most the one turn that crossed it.
 *
 * @module
 */
import type { TokenUsage } from "../ports/llm.ts";
import type { BudgetName, ToolLoopBudgets } from "./transcript.ts";

/** Where a loop stands against its budgets. */
export interface BudgetSpend {
  turns: number;
  usage: TokenUsage;
  elapsedMs: number;
  /** Size of the changes so far, when known. */
  diffBytes?: number;
  /**
   * Billed-equivalent tokens (`billedEquivalentTokens`: cache reads at their
   * discount). Absent: input + output.
   */
  billedTokens?: number;
  /** Money spent so far, when the model's prices are known. */
  costUsd?: number;
}

/** The tokens the token budget counts. */
export function countedTokens(spend: BudgetSpend): number {
  return spend.billedTokens ?? spend.usage.inputTokens + spend.usage.outputTokens;
}

/** The first budget used up, or null. A diff is over its budget only when larger. */
export function exceededBudget(budgets: ToolLoopBudgets, spend: BudgetSpend): BudgetName | null {
  if (
    budgets.maxDiffBytes !== undefined && spend.diffBytes !== undefined &&
    spend.diffBytes > budgets.maxDiffBytes
  ) {
    return "diff";
  }
  if (spend.turns >= budgets.maxTurns) return "turns";
  if (spend.elapsedMs >= budgets.wallTimeMs) return "wall_time";
  if (
    budgets.maxCostUsd !== undefined && spend.costUsd !== undefined &&
    spend.costUsd >= budgets.maxCostUsd
  ) {
    return "cost";
  }
  if (countedTokens(spend) >= budgets.maxTokens) return "tokens";
  return null;
}

/** Why the loop stopped, for people: what was used against what was allowed. */
export function budgetReason(
  budget: BudgetName,
  budgets: ToolLoopBudgets,
  spend: BudgetSpend,
): string {
  const { inputTokens, outputTokens } = spend.usage;
  switch (budget) {
    case "turns":
      return `turn budget exceeded: ${spend.turns} of ${budgets.maxTurns} model turns used ` +
        "without finishing";
    case "tokens":
      if (spend.billedTokens === undefined) {
        return `token budget exceeded: ${inputTokens + outputTokens} of ${budgets.maxTokens} ` +
          `tokens used (${inputTokens} input, ${outputTokens} output)`;
      }
      return `token budget exceeded: ${spend.billedTokens} of ${budgets.maxTokens} ` +
        `billed-equivalent tokens used (${inputTokens} input, of which ` +
        `${spend.usage.cacheReadTokens ?? 0} read from the cache; ${outputTokens} output)`;
    case "cost":
      return `cost budget exceeded: $${(spend.costUsd ?? 0).toFixed(4)} of ` +
        `$${(budgets.maxCostUsd ?? 0).toFixed(2)} spent on the model`;
    case "wall_time":
      return `wall-time budget exceeded: ${seconds(spend.elapsedMs)} of ` +
        `${seconds(budgets.wallTimeMs)} used`;
    case "diff":
      return `diff budget exceeded: the changes are ${spend.diffBytes} bytes, over the limit ` +
        `of ${budgets.maxDiffBytes} bytes`;
  }
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

/** What earlier tool loops of the same run spent (their results' totals, summed). */
export interface EarlierSpend {
  turns: number;
  /** Sum of the results' `billedTokens`. */
  billedTokens: number;
  /** Sum of the results' `costUsd`. */
  costUsd: number;
  /** Wall time since the run's generation started. */
  elapsedMs: number;
}

/**
 * The budgets left for the next tool loop of a run (a repair continuing the
 * conversation): the run's budgets minus what earlier loops spent, so the
 * run as a whole never overshoots by more than one turn.
 */
export function remainingBudgets(run: ToolLoopBudgets, spent: EarlierSpend): ToolLoopBudgets {
  return {
    ...run,
    maxTurns: run.maxTurns - spent.turns,
    maxTokens: run.maxTokens - spent.billedTokens,
    wallTimeMs: run.wallTimeMs - spent.elapsedMs,
    ...(run.maxCostUsd !== undefined ? { maxCostUsd: run.maxCostUsd - spent.costUsd } : {}),
  };
}
