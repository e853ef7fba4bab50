import assert from "node:assert/strict";
import {
  addUsage,
  billedEquivalentTokens,
  costOf,
  dailyBudgetDecision,
  DEFAULT_MODELS,
  describeSpend,
  priceOf,
  withPriceOverrides,
} from "../../domain/pricing.ts";

const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} ≠ ${b}`);

Deno.test("the default models are priced", () => {
  assert.ok(priceOf(DEFAULT_MODELS.anthropic));
  assert.ok(priceOf(DEFAULT_MODELS.openai));
});

Deno.test("costOf: uncached input, cache writes, cache reads and output each at their price", () => {
  const sonnet = priceOf("claude-sonnet-5-5")!;
  // 10k input = 1k uncached + 3k written + 6k read; 2k output.
  const usage = {
    inputTokens: 10_000,
    cacheWriteTokens: 3_000,
    cacheReadTokens: 6_000,
    outputTokens: 2_000,
  };
  near(costOf(usage, sonnet), (1_000 * 2 + 3_000 * 2.5 + 6_000 * 0.2 + 2_000 * 10) / 1e6);
  // Without the split (an old event), all input is priced as uncached.
  near(costOf({ inputTokens: 10_000, outputTokens: 0 }, sonnet), 0.02);
});

Deno.test("costOf: a request over the long-context threshold is billed at the long rates", () => {
  const sol = priceOf("gpt-6.2-sol")!;
  const short = costOf({ inputTokens: 272_000, outputTokens: 1_000 }, sol);
  const long = costOf({ inputTokens: 272_001, outputTokens: 1_000 }, sol);
  near(short, (272_000 * 2 + 1_000 * 10) / 1e6);
  near(long, (272_001 * 4 + 1_000 * 15) / 1e6);
});

Deno.test("billedEquivalentTokens: cache reads count at their discount, not the re-sent prefix", () => {
  const sonnet = priceOf("claude-sonnet-5-5")!;
  const usage = {
    inputTokens: 100_000,
    cacheReadTokens: 90_000,
    cacheWriteTokens: 8_000,
    outputTokens: 500,
  };
  // 2k uncached + 8k × 1.25 + 90k × 0.1 + 500 output
  assert.equal(billedEquivalentTokens(usage, sonnet), 2_000 + 10_000 + 9_000 + 500);
  assert.equal(billedEquivalentTokens(usage, null), 2_000 + 10_000 + 9_000 + 500);
  assert.equal(billedEquivalentTokens({ inputTokens: 7, outputTokens: 3 }, sonnet), 10);
});

Deno.test("addUsage: field by field; optional fields appear only when one side has them", () => {
  assert.deepEqual(
    addUsage({ inputTokens: 1, outputTokens: 2 }, { inputTokens: 3, outputTokens: 4 }),
    {
      inputTokens: 4,
      outputTokens: 6,
    },
  );
  assert.deepEqual(
    addUsage({ inputTokens: 1, outputTokens: 2, cacheReadTokens: 5 }, {
      inputTokens: 3,
      outputTokens: 4,
      reasoningTokens: 1,
    }),
    { inputTokens: 4, outputTokens: 6, cacheReadTokens: 5, reasoningTokens: 1 },
  );
});

Deno.test("withPriceOverrides: file entries come first; a bad file is refused with the field", () => {
  const table = withPriceOverrides({
    date: "2026-12-01",
    models: [
      { model: "gateway-llm", inputPerMTok: 1, outputPerMTok: 4 },
      { model: "claude-sonnet-5-5", inputPerMTok: 1, outputPerMTok: 5, cacheReadPerMTok: 0.1 },
    ],
  });
  const gateway = priceOf("gateway-llm", table)!;
  assert.equal(gateway.cacheReadPerMTok, 1, "no discount known: input price");
  assert.equal(gateway.contextWindow, 200_000);
  assert.equal(priceOf("claude-sonnet-5-5", table)!.inputPerMTok, 1);
  assert.throws(
    () => withPriceOverrides({ models: [{ model: "x", inputPerMTok: -1, outputPerMTok: 1 }] }),
    /models\.0\.inputPerMTok/,
  );
  assert.throws(() => withPriceOverrides({ models: [{ model: "x", input: 1 }] }), /price file/);
});

Deno.test("dailyBudgetDecision: under the cap runs; at or over it waits until the next UTC midnight", () => {
  const now = Date.parse("2026-12-05T17:30:00Z");
  assert.deepEqual(
    dailyBudgetDecision({ repoId: "docs", spentTodayUsd: 4.99, capUsd: 5, now }),
    { run: true },
  );
  assert.deepEqual(
    dailyBudgetDecision({ repoId: "docs", spentTodayUsd: 100, capUsd: undefined, now }),
    { run: true },
  );
  const wait = dailyBudgetDecision({ repoId: "docs", spentTodayUsd: 5, capUsd: 5, now });
  assert.equal(wait.run, false);
  if (!wait.run) {
    assert.equal(wait.waitUntil, "2026-12-06T00:00:00.000Z");
    assert.match(
      wait.reason,
      /daily LLM budget of repository docs .*\$5\.00 spent today of \$5\.00/,
    );
  }
  const newYear = dailyBudgetDecision({
    repoId: "docs",
    spentTodayUsd: 9,
    capUsd: 1,
    now: Date.parse("2026-12-31T23:59:59Z"),
  });
  assert.equal(!newYear.run && newYear.waitUntil, "2027-01-01T00:00:00.000Z");
});

Deno.test("describeSpend: tokens by kind and dollars in one line", () => {
  assert.equal(
    describeSpend({
      inputTokens: 412_000,
      cacheReadTokens: 380_000,
      outputTokens: 9_100,
      reasoningTokens: 2_000,
    }, 0.2134),
    "412k tokens in (380k from the cache), 9.1k out (2.0k reasoning), ~$0.21 at list prices",
  );
  assert.equal(
    describeSpend({ inputTokens: 900, outputTokens: 40 }, null),
    "900 tokens in, 40 out",
  );
  assert.equal(
    describeSpend({ inputTokens: 900, outputTokens: 40 }, 0.0042),
    "900 tokens in, 40 out, ~$0.0042 at list prices",
  );
});
