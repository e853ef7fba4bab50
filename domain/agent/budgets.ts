/**
 * The budgets of a tool loop (turns, tokens, wall time, diff size): which one
 * ran out, and the sentence that says so in a failed run.
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
  if (spend.usage.inputTokens + spend.usage.outputTokens >= budgets.maxTokens) return "tokens";
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
      return `token budget exceeded: ${inputTokens + outputTokens} of ${budgets.maxTokens} ` +
        `tokens used (${inputTokens} input, ${outputTokens} output)`;
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
