/**
 * An estimate of what a run's LLM tokens cost: a small table of list prices
 * per model family. It is an estimate (list prices change, discounts and
 * caching are not known here), always labelled as such; a model whose family
 * is not in the table gets no estimate, only its token counts.
 *
 * @module
 */

/** The list price of one model family, in US dollars per million tokens. */
export interface ModelPrice {
  /** The family's name, shown beside the estimate. */
  family: string;
  /** Matches model ids of the family (lower case, any `provider/` prefix removed). */
  pattern: RegExp;
  inputPerMTok: number;
  outputPerMTok: number;
}

/** How every estimate is labelled. */
export const COST_LABEL = "estimate at list prices (USD), not a bill";

/**
 * List prices per model family, most specific first (the first match wins).
 * Prices as published by Anthropic and OpenAI in 2025.
 */
export const PRICE_TABLE: readonly ModelPrice[] = [
  { family: "claude-opus-4.5", pattern: /^claude-opus-4[-.]5/, inputPerMTok: 5, outputPerMTok: 25 },
  {
    family: "claude-opus",
    pattern: /^claude-(\d[-.\d]*-)?opus/,
    inputPerMTok: 15,
    outputPerMTok: 75,
  },
  {
    family: "claude-sonnet",
    pattern: /^claude-(\d[-.\d]*-)?sonnet/,
    inputPerMTok: 3,
    outputPerMTok: 15,
  },
  {
    family: "claude-haiku-4.5",
    pattern: /^claude-haiku-4[-.]5/,
    inputPerMTok: 1,
    outputPerMTok: 5,
  },
  {
    family: "claude-3.5-haiku",
    pattern: /^claude-3[-.]5-haiku/,
    inputPerMTok: 0.8,
    outputPerMTok: 4,
  },
  { family: "claude-3-haiku", pattern: /^claude-3-haiku/, inputPerMTok: 0.25, outputPerMTok: 1.25 },
  { family: "gpt-4o-mini", pattern: /^gpt-4o-mini/, inputPerMTok: 0.15, outputPerMTok: 0.6 },
  { family: "gpt-4o", pattern: /^gpt-4o/, inputPerMTok: 2.5, outputPerMTok: 10 },
  { family: "gpt-4.1-nano", pattern: /^gpt-4\.1-nano/, inputPerMTok: 0.1, outputPerMTok: 0.4 },
  { family: "gpt-4.1-mini", pattern: /^gpt-4\.1-mini/, inputPerMTok: 0.4, outputPerMTok: 1.6 },
  { family: "gpt-4.1", pattern: /^gpt-4\.1/, inputPerMTok: 2, outputPerMTok: 8 },
  { family: "gpt-5-nano", pattern: /^gpt-5(\.\d+)?-nano/, inputPerMTok: 0.05, outputPerMTok: 0.4 },
  { family: "gpt-5-mini", pattern: /^gpt-5(\.\d+)?-mini/, inputPerMTok: 0.25, outputPerMTok: 2 },
  { family: "gpt-5", pattern: /^gpt-5/, inputPerMTok: 1.25, outputPerMTok: 10 },
  { family: "o4-mini", pattern: /^o4-mini/, inputPerMTok: 1.1, outputPerMTok: 4.4 },
  { family: "o3-mini", pattern: /^o3-mini/, inputPerMTok: 1.1, outputPerMTok: 4.4 },
  { family: "o3", pattern: /^o3(-|$)/, inputPerMTok: 2, outputPerMTok: 8 },
];

/** Tokens of one model call or a whole run. */
export interface TokenCount {
  inputTokens: number;
  outputTokens: number;
}

/** An estimated cost. */
export interface CostEstimate {
  /** Estimated US dollars. */
  usd: number;
  /** The family whose price was used. */
  family: string;
}

/** The price entry of a model id, or null when its family is not in the table. */
export function priceOf(
  model: string,
  table: readonly ModelPrice[] = PRICE_TABLE,
): ModelPrice | null {
  const id = model.trim().toLowerCase().split("/").pop() ?? "";
  return table.find((p) => p.pattern.test(id)) ?? null;
}

/** The estimated cost of `usage` on `model`, or null for a model not in the table. */
export function estimateCost(
  model: string,
  usage: TokenCount,
  table: readonly ModelPrice[] = PRICE_TABLE,
): CostEstimate | null {
  const price = priceOf(model, table);
  if (!price) return null;
  const usd = (usage.inputTokens * price.inputPerMTok + usage.outputTokens * price.outputPerMTok) /
    1_000_000;
  return { usd, family: price.family };
}

/**
 * Dollars for people: `$12.50`, `$0.12`, `$0.0042` (small amounts keep two
 * significant digits), `<$0.0001` below that.
 */
export function formatUsd(usd: number): string {
  if (!Number.isFinite(usd) || usd <= 0) return "$0.00";
  if (usd >= 1) return `$${usd.toFixed(2)}`;
  if (usd >= 0.01) return `$${usd.toFixed(2)}`;
  if (usd < 0.0001) return "<$0.0001";
  return `$${usd.toPrecision(2).replace(/0+$/, "").replace(/\.$/, "")}`;
}
