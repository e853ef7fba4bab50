import assert from "node:assert/strict";
import { budgetReason, exceededBudget, remainingBudgets } from "../../domain/agent/budgets.ts";

const budgets = { maxTurns: 10, maxTokens: 1000, wallTimeMs: 60_000, maxDiffBytes: 500 };
const spend = (over: Partial<Parameters<typeof exceededBudget>[1]> = {}) => ({
  turns: 1,
  usage: { inputTokens: 100, outputTokens: 50 },
  elapsedMs: 1000,
  ...over,
});

Deno.test("exceededBudget: each budget, at its limit, in a fixed order", () => {
  assert.equal(exceededBudget(budgets, spend()), null);
  assert.equal(exceededBudget(budgets, spend({ turns: 10 })), "turns");
  assert.equal(exceededBudget(budgets, spend({ elapsedMs: 60_000 })), "wall_time");
  assert.equal(
    exceededBudget(budgets, spend({ usage: { inputTokens: 900, outputTokens: 100 } })),
    "tokens",
  );
  assert.equal(exceededBudget(budgets, spend({ diffBytes: 500 })), null, "at the limit is fine");
  assert.equal(exceededBudget(budgets, spend({ diffBytes: 501, turns: 10 })), "diff");
  assert.equal(
    exceededBudget({ ...budgets, maxDiffBytes: undefined }, spend({ diffBytes: 10 ** 9 })),
    null,
  );
});

Deno.test("budgetReason: says what was used against what was allowed", () => {
  assert.equal(
    budgetReason("tokens", budgets, spend({ usage: { inputTokens: 900, outputTokens: 200 } })),
    "token budget exceeded: 1100 of 1000 tokens used (900 input, 200 output)",
  );
  assert.equal(
    budgetReason("wall_time", budgets, spend({ elapsedMs: 61_400 })),
    "wall-time budget exceeded: 61 s of 60 s used",
  );
  assert.equal(
    budgetReason("diff", budgets, spend({ diffBytes: 812 })),
    "diff budget exceeded: the changes are 812 bytes, over the limit of 500 bytes",
  );
  assert.match(budgetReason("turns", budgets, spend({ turns: 10 })), /10 of 10 model turns/);
});

Deno.test("exceededBudget: money and billed-equivalent tokens", () => {
  const withMoney = { ...budgets, maxCostUsd: 1 };
  assert.equal(exceededBudget(withMoney, spend({ costUsd: 0.99 })), null);
  assert.equal(exceededBudget(withMoney, spend({ costUsd: 1 })), "cost");
  assert.equal(exceededBudget(budgets, spend({ costUsd: 1e9 })), null, "no money budget");
  // 100k input mostly read from the cache is not 100k against the budget.
  const cached = { inputTokens: 100_000, cacheReadTokens: 99_000, outputTokens: 50 };
  assert.equal(exceededBudget(budgets, spend({ usage: cached, billedTokens: 999 })), null);
  assert.equal(exceededBudget(budgets, spend({ usage: cached, billedTokens: 1000 })), "tokens");
  assert.equal(
    budgetReason("cost", withMoney, spend({ costUsd: 1.234 })),
    "cost budget exceeded: $1.2340 of $1.00 spent on the model",
  );
});

Deno.test("remainingBudgets: the run's budgets minus what earlier loops spent", () => {
  assert.deepEqual(
    remainingBudgets({ ...budgets, maxCostUsd: 2 }, {
      turns: 4,
      billedTokens: 300,
      costUsd: 0.5,
      elapsedMs: 10_000,
    }),
    { maxTurns: 6, maxTokens: 700, wallTimeMs: 50_000, maxDiffBytes: 500, maxCostUsd: 1.5 },
  );
});
