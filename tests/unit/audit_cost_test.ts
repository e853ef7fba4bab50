import assert from "node:assert/strict";
import { estimateCost, formatUsd, priceOf, runCost } from "../../projections/cost.ts";

Deno.test("priceOf: model ids, dated snapshots and provider prefixes find their entry", () => {
  const cases: [string, string | null][] = [
    ["claude-sonnet-4-5-20250929", "claude-sonnet-4-5"],
    ["claude-sonnet-5-5", "claude-sonnet-5-5"],
    ["anthropic/claude-opus-5-5", "claude-opus-5-5"],
    ["claude-haiku-4-5-20251001", "claude-haiku-4-5"],
    ["gpt-6.2-sol", "gpt-6.2-sol"],
    ["GPT-5.5-2026-04-23", "gpt-5.5"],
    ["openai/gpt-4.1-mini", "gpt-4.1-mini"],
    ["gpt-4o-mini-2024-07-18", "gpt-4o-mini"],
    ["o3", "o3"],
    ["claude-fake", null],
    ["gpt-fake", null],
    ["llama-3.1-70b", null],
    ["o30-experimental", null],
    ["", null],
  ];
  for (const [model, entry] of cases) {
    assert.equal(priceOf(model)?.model ?? null, entry, model);
  }
});

Deno.test("estimateCost: each kind of token at its price; unknown models get none", () => {
  const sonnet = estimateCost("claude-sonnet-4-5", {
    inputTokens: 1_000_000,
    outputTokens: 1_000_000,
  });
  assert.deepEqual(sonnet, { usd: 18, family: "claude-sonnet-4-5" });
  // 1M input of which 600k cache reads and 100k cache writes, on Sonnet 5.5:
  // 300k × $2 + 100k × $2.50 + 600k × $0.20 + 10k × $10 = 0.6 + 0.25 + 0.12 + 0.1
  const cached = estimateCost("claude-sonnet-5-5", {
    inputTokens: 1_000_000,
    cacheWriteTokens: 100_000,
    cacheReadTokens: 600_000,
    outputTokens: 10_000,
  });
  assert.ok(cached && Math.abs(cached.usd - 1.07) < 1e-9, String(cached?.usd));
  const mini = estimateCost("gpt-4o-mini", { inputTokens: 10_000, outputTokens: 2_000 });
  assert.ok(mini);
  assert.ok(Math.abs(mini.usd - (10_000 * 0.15 + 2_000 * 0.6) / 1e6) < 1e-12);
  assert.equal(estimateCost("claude-fake", { inputTokens: 5, outputTokens: 5 }), null);
  assert.deepEqual(estimateCost("gpt-4o", { inputTokens: 0, outputTokens: 0 }), {
    usd: 0,
    family: "gpt-4o",
  });
});

Deno.test("runCost: the recorded cost wins over an estimate", () => {
  assert.deepEqual(runCost("claude-fake", { inputTokens: 5, outputTokens: 5 }, 0.25), {
    usd: 0.25,
    family: "claude-fake",
  });
  assert.equal(runCost("claude-fake", { inputTokens: 5, outputTokens: 5 }, undefined), null);
});

Deno.test("formatUsd: readable at every size", () => {
  assert.equal(formatUsd(12.5), "$12.50");
  assert.equal(formatUsd(1), "$1.00");
  assert.equal(formatUsd(0.123), "$0.12");
  assert.equal(formatUsd(0.0042), "$0.0042");
  assert.equal(formatUsd(0.004), "$0.004");
  assert.equal(formatUsd(0.00001), "<$0.0001");
  assert.equal(formatUsd(0), "$0.00");
  assert.equal(formatUsd(Number.NaN), "$0.00");
});
