import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../../adapters/config/env.ts";
import { planReasoning, type ReasoningSettings } from "../../domain/agent/reasoning.ts";

const base: ReasoningSettings = { maxOutputTokens: 16_000 };

function problem(provider: "anthropic" | "openai", model: string, s: Partial<ReasoningSettings>) {
  const d = planReasoning(provider, model, { ...base, ...s });
  return d.ok ? null : d.problem;
}

Deno.test("planReasoning: Anthropic families map effort to adaptive thinking or a budget", () => {
  assert.deepEqual(planReasoning("anthropic", "claude-sonnet-5-5", { ...base, effort: "high" }), {
    ok: true,
    plan: { provider: "anthropic", anthropic: { kind: "adaptive", effort: "high" } },
  });
  assert.deepEqual(planReasoning("anthropic", "claude-sonnet-5-5", { ...base, effort: "none" }), {
    ok: true,
    plan: { provider: "anthropic", anthropic: { kind: "disabled" } },
  });
  assert.deepEqual(
    planReasoning("anthropic", "claude-sonnet-4-5-20250929", { ...base, effort: "medium" }),
    {
      ok: true,
      plan: { provider: "anthropic", anthropic: { kind: "budget", budgetTokens: 8_192 } },
    },
  );
  assert.deepEqual(
    planReasoning("anthropic", "claude-haiku-4-5", { ...base, thinkingBudgetTokens: 4_000 }),
    {
      ok: true,
      plan: { provider: "anthropic", anthropic: { kind: "budget", budgetTokens: 4_000 } },
    },
  );
  assert.deepEqual(planReasoning("anthropic", "claude-opus-5-5", base), {
    ok: true,
    plan: { provider: "anthropic", anthropic: { kind: "default" } },
  });
});

Deno.test("planReasoning: what a model refuses is refused with the values it takes", () => {
  assert.match(
    problem("anthropic", "claude-opus-5-5", { effort: "none" })!,
    /always thinks.*low, medium/,
  );
  assert.match(
    problem("anthropic", "claude-sonnet-5-5", { effort: "minimal" })!,
    /no effort "minimal"/,
  );
  assert.match(
    problem("anthropic", "claude-sonnet-4-5", { effort: "xhigh" })!,
    /none, low, medium or high/,
  );
  assert.match(
    problem("anthropic", "claude-sonnet-4-5", { thinkingBudgetTokens: 16_000 })!,
    /below the reply limit of 16000/,
  );
  assert.match(
    problem("anthropic", "claude-sonnet-5-5", { thinkingBudgetTokens: 4_000 })!,
    /adaptive thinking and takes no thinking budget/,
  );
  assert.match(
    problem("openai", "gpt-6.2-sol", { effort: "none" })!,
    /refuses reasoning effort "none"/,
  );
  assert.match(problem("openai", "gpt-4.1", { effort: "low" })!, /does not reason/);
  assert.match(problem("openai", "gpt-5", { effort: "xhigh" })!, /minimal, low, medium, high/);
  assert.match(
    problem("openai", "gpt-6-astra", { openaiApi: "chat_completions" })!,
    /no function calling on Chat Completions/,
  );
  assert.match(problem("openai", "gpt-6.2-sol", { thinkingBudgetTokens: 2048 })!, /OpenAI models/);
  assert.equal(problem("openai", "gpt-6-sol", { effort: "none" }), null);
  assert.equal(problem("openai", "some-gateway-model", { effort: "high" }), null);
});

Deno.test("loadConfig: a refused reasoning combination is a start-up error naming the fix", () => {
  const env = {
    LLM_PROVIDER: "openai",
    LLM_MODEL: "gpt-6.2-sol",
    LLM_REASONING_EFFORT: "none",
    OPENAI_API_KEY: "k",
  };
  assert.throws(() => loadConfig(["store"], env), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.ok(e.problems.some((p) => /refuses reasoning effort "none"/.test(p)), e.message);
    return true;
  });
  assert.throws(
    () => loadConfig(["store"], { ...env, LLM_REASONING_EFFORT: "turbo" }),
    /LLM_REASONING_EFFORT must be one of none, minimal, low, medium, high, xhigh, max/,
  );
  const ok = loadConfig(["store"], { ...env, LLM_REASONING_EFFORT: "high", BUDGET_MAX_USD: "2.5" });
  assert.deepEqual(ok.llm.reasoning, {
    provider: "openai",
    openai: { effort: "high", reasoningItems: true },
  });
  assert.equal(ok.ops.budgets.maxCostUsd, 2.5);
  assert.equal(loadConfig(["store"], {}).llm.model, "claude-sonnet-5-5");
});
