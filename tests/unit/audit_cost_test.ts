import assert from "node:assert/strict";
import { estimateCost, formatUsd, priceOf } from "../../projections/cost.ts";

Deno.test("priceOf: model ids find their family, most specific first", () => {
  const cases: [string, string | null][] = [
    ["claude-sonnet-4-5-20250929", "claude-sonnet"],
    ["claude-3-5-sonnet-latest", "claude-sonnet"],
    ["claude-3-7-sonnet-20250219", "claude-sonnet"],
    ["claude-opus-4-5", "claude-opus-4.5"],
    ["claude-opus-4-1-20250805", "claude-opus"],
    ["claude-3-opus-20240229", "claude-opus"],
    ["claude-haiku-4-5", "claude-haiku-4.5"],
    ["claude-3-5-haiku-20241022", "claude-3.5-haiku"],
    ["claude-3-haiku-20240307", "claude-3-haiku"],
    ["gpt-4o-mini-2024-07-18", "gpt-4o-mini"],
    ["gpt-4o", "gpt-4o"],
    ["GPT-4o-2024-08-06", "gpt-4o"],
    ["openai/gpt-4.1-mini", "gpt-4.1-mini"],
    ["gpt-4.1", "gpt-4.1"],
    ["gpt-5-mini", "gpt-5-mini"],
    ["gpt-5", "gpt-5"],
    ["o3-mini", "o3-mini"],
    ["o3", "o3"],
    ["o4-mini", "o4-mini"],
    ["claude-fake", null],
    ["gpt-fake", null],
    ["llama-3.1-70b", null],
    ["o30-experimental", null],
    ["", null],
  ];
  for (const [model, family] of cases) {
    assert.equal(priceOf(model)?.family ?? null, family, model);
  }
});

Deno.test("estimateCost: tokens times the family's list price; unknown models get none", () => {
  const sonnet = estimateCost("claude-sonnet-4-5", {
    inputTokens: 1_000_000,
    outputTokens: 1_000_000,
  });
  assert.deepEqual(sonnet, { usd: 18, family: "claude-sonnet" });
  const mini = estimateCost("gpt-4o-mini", { inputTokens: 10_000, outputTokens: 2_000 });
  assert.ok(mini);
  assert.ok(Math.abs(mini.usd - (10_000 * 0.15 + 2_000 * 0.6) / 1e6) < 1e-12);
  assert.equal(estimateCost("claude-fake", { inputTokens: 5, outputTokens: 5 }), null);
  assert.deepEqual(estimateCost("gpt-4o", { inputTokens: 0, outputTokens: 0 }), {
    usd: 0,
    family: "gpt-4o",
  });
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
