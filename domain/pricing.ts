/**
 * What LLM tokens cost: a dated table of list prices and context windows of
 * current models, the cost of a {@link TokenUsage} as billed (uncached input,
 * cache writes, cache reads and output each at their own price), the
 * billed-equivalent token count the token budget uses, and the daily-cap
 * decision per repository. Pure; the override file is read by
 * `adapters/config/price_file.ts`.
 *
 * @module
 */
import { z } from "zod";
import type { TokenUsage } from "./events.ts";

/** The day the built-in prices were checked against the providers' pages. */
export const PRICE_TABLE_DATE = "2026-12-05";

/** How every cost is labelled where people read it. */
export const COST_LABEL = "estimate at list prices (USD), not a bill";

/** Prices of one model, US dollars per million tokens, and its context window. */
export interface ModelPrice {
  /** Model id (also matches its dated snapshots, `…-20250929`, `…-2026-04-23`). */
  model: string;
  inputPerMTok: number;
  /** A cache write (Anthropic 5-minute TTL; OpenAI 30-minute retention). */
  cacheWritePerMTok: number;
  cacheReadPerMTok: number;
  outputPerMTok: number;
  /** Most input + output tokens of one request. */
  contextWindow: number;
  /**
   * Long-context tariff: a request with more input tokens than `aboveInputTokens`
   * is billed entirely at these multiples of the rates above.
   */
  longContext?: { aboveInputTokens: number; inputMultiplier: number; outputMultiplier: number };
}

const M = 1_000_000;
const openAiLong = { aboveInputTokens: 272_000, inputMultiplier: 2, outputMultiplier: 1.5 };

function entry(
  model: string,
  input: number,
  write: number,
  read: number,
  output: number,
  contextWindow: number,
  longContext?: ModelPrice["longContext"],
): ModelPrice {
  return {
    model,
    inputPerMTok: input,
    cacheWritePerMTok: write,
    cacheReadPerMTok: read,
    outputPerMTok: output,
    contextWindow,
    ...(longContext ? { longContext } : {}),
  };
}

/**
 * List prices as published on platform.claude.com (models overview and
 * pricing) and developers.openai.com (models and pricing), checked on
 * {@link PRICE_TABLE_DATE}. Standard tier, short context; Anthropic cache
 * writes at the 5-minute TTL the adapter uses.
 */
export const PRICE_TABLE: readonly ModelPrice[] = [
  // Anthropic
  entry("claude-fable-5-1", 10, 12.5, 0.25, 50, M),
  entry("claude-fable-5", 10, 12.5, 1, 50, M),
  entry("claude-opus-5-5", 4, 5, 0.2, 20, M),
  entry("claude-opus-5", 5, 6.25, 0.5, 25, M),
  entry("claude-opus-4-8", 5, 6.25, 0.5, 25, M),
  entry("claude-opus-4-7", 5, 6.25, 0.5, 25, M),
  entry("claude-opus-4-6", 5, 6.25, 0.5, 25, 200_000),
  entry("claude-opus-4-5", 5, 6.25, 0.5, 25, 200_000),
  entry("claude-sonnet-5-5", 2, 2.5, 0.2, 10, M),
  entry("claude-sonnet-5", 2, 2.5, 0.2, 10, M),
  entry("claude-sonnet-4-6", 3, 3.75, 0.3, 15, 200_000),
  entry("claude-sonnet-4-5", 3, 3.75, 0.3, 15, 200_000),
  entry("claude-haiku-5-5", 0.1, 0.125, 0.01, 0.5, M, {
    aboveInputTokens: 100_000,
    inputMultiplier: 5,
    outputMultiplier: 5,
  }),
  entry("claude-haiku-4-5", 1, 1.25, 0.1, 5, 200_000),
  // OpenAI (cache writes: 30-minute retention)
  entry("gpt-6.2-astra", 8, 10, 0.8, 40, 1_050_000, openAiLong),
  entry("gpt-6.2-sol", 2, 2.5, 0.1, 10, 1_050_000, openAiLong),
  entry("gpt-6.1-sol", 2, 2.5, 0.1, 10, 1_050_000, openAiLong),
  entry("gpt-6.1-terra", 1, 1.25, 0.05, 5, 1_050_000, openAiLong),
  entry("gpt-6-astra", 10, 12.5, 1, 50, 1_050_000, openAiLong),
  entry("gpt-6-sol", 2, 2.5, 0.2, 10, 1_050_000, openAiLong),
  entry("gpt-6-luna", 0.1, 0.125, 0.01, 0.5, 1_050_000, openAiLong),
  entry("gpt-5.6-sol", 4, 5, 0.4, 20, 1_050_000),
  entry("gpt-5.6-terra", 2, 2.5, 0.2, 12, 1_050_000),
  entry("gpt-5.6-luna", 0.2, 0.25, 0.02, 1.2, 1_050_000),
  entry("gpt-5.5", 5, 5, 0.5, 30, 1_050_000),
  entry("gpt-5.4-mini", 0.75, 0.75, 0.075, 4.5, 400_000),
  entry("gpt-5.4", 2.5, 2.5, 0.25, 15, 1_050_000),
  entry("gpt-5-mini", 0.25, 0.25, 0.025, 2, 400_000),
  entry("gpt-5-nano", 0.05, 0.05, 0.005, 0.4, 400_000),
  entry("gpt-5", 1.25, 1.25, 0.125, 10, 400_000),
  entry("gpt-4.1-mini", 0.4, 0.4, 0.1, 1.6, 1_047_576),
  entry("gpt-4.1-nano", 0.1, 0.1, 0.025, 0.4, 1_047_576),
  entry("gpt-4.1", 2, 2, 0.5, 8, 1_047_576),
  entry("gpt-4o-mini", 0.15, 0.15, 0.075, 0.6, 128_000),
  entry("gpt-4o", 2.5, 2.5, 1.25, 10, 128_000),
  entry("o4-mini", 1.1, 1.1, 0.275, 4.4, 200_000),
  entry("o3-mini", 1.1, 1.1, 0.55, 4.4, 200_000),
  entry("o3", 2, 2, 0.5, 8, 200_000),
];

/** The default model of each provider (see README, "Models and prices"). */
export const DEFAULT_MODELS = {
  anthropic: "claude-sonnet-5-5",
  openai: "gpt-6.2-sol",
} as const;

/** A model id as the table knows it: lower case, no `provider/` prefix, no date suffix. */
export function normalizeModelId(model: string): string {
  return (model.trim().toLowerCase().split("/").pop() ?? "")
    .replace(/-(\d{8}|\d{4}-\d{2}-\d{2})$/, "")
    .replace(/-latest$/, "");
}

/**
 * The price entry of a model: an exact match of the normalised id first (the
 * override file's entries are searched before the built-in ones), or null.
 */
export function priceOf(
  model: string,
  table: readonly ModelPrice[] = PRICE_TABLE,
): ModelPrice | null {
  const id = normalizeModelId(model);
  if (!id) return null;
  return table.find((p) => normalizeModelId(p.model) === id) ?? null;
}

/** Every field of a usage, absent ones as 0. */
export function usageParts(usage: TokenUsage): {
  uncachedInput: number;
  cacheWrite: number;
  cacheRead: number;
  output: number;
  reasoning: number;
} {
  const cacheWrite = usage.cacheWriteTokens ?? 0;
  const cacheRead = usage.cacheReadTokens ?? 0;
  return {
    uncachedInput: Math.max(0, usage.inputTokens - cacheWrite - cacheRead),
    cacheWrite,
    cacheRead,
    output: usage.outputTokens,
    reasoning: usage.reasoningTokens ?? 0,
  };
}

/** The sum of two usages, field by field (optional fields stay absent when both lack them). */
export function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  const out: TokenUsage = {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
  };
  for (const k of ["cacheWriteTokens", "cacheReadTokens", "reasoningTokens"] as const) {
    if (a[k] !== undefined || b[k] !== undefined) out[k] = (a[k] ?? 0) + (b[k] ?? 0);
  }
  return out;
}

/** Zero usage. */
export const NO_USAGE: TokenUsage = Object.freeze({ inputTokens: 0, outputTokens: 0 });

/**
 * What one call's usage cost in US dollars. Pass one call at a time when the
 * model has a long-context tariff (it depends on the size of each request).
 */
export function costOf(usage: TokenUsage, price: ModelPrice): number {
  const p = usageParts(usage);
  const long = price.longContext && usage.inputTokens > price.longContext.aboveInputTokens
    ? price.longContext
    : null;
  const inMul = long?.inputMultiplier ?? 1;
  const outMul = long?.outputMultiplier ?? 1;
  return (p.uncachedInput * price.inputPerMTok * inMul +
    p.cacheWrite * price.cacheWritePerMTok * inMul +
    p.cacheRead * price.cacheReadPerMTok * inMul +
    p.output * price.outputPerMTok * outMul) / M;
}

/** Typical cache multipliers, for models without a price entry. */
const DEFAULT_WRITE_MULTIPLIER = 1.25;
const DEFAULT_READ_MULTIPLIER = 0.1;

/**
 * Billed-equivalent tokens: what the token budget counts. Input is weighed by
 * what it costs relative to uncached input (a cache read of 10 000 tokens at
 * 0.1× counts 1 000), so a re-sent cached prefix does not eat the budget;
 * output counts one for one.
 */
export function billedEquivalentTokens(usage: TokenUsage, price: ModelPrice | null): number {
  const p = usageParts(usage);
  const write = price && price.inputPerMTok > 0
    ? price.cacheWritePerMTok / price.inputPerMTok
    : DEFAULT_WRITE_MULTIPLIER;
  const read = price && price.inputPerMTok > 0
    ? price.cacheReadPerMTok / price.inputPerMTok
    : DEFAULT_READ_MULTIPLIER;
  return Math.round(p.uncachedInput + p.cacheWrite * write + p.cacheRead * read + p.output);
}

/** An estimated cost, with the entry whose prices were used. */
export interface CostEstimate {
  usd: number;
  /** The model id of the price entry used. */
  family: string;
}

/** The estimated cost of `usage` on `model`, or null for a model not in the table. */
export function estimateCost(
  model: string,
  usage: TokenUsage,
  table: readonly ModelPrice[] = PRICE_TABLE,
): CostEstimate | null {
  const price = priceOf(model, table);
  return price ? { usd: costOf(usage, price), family: price.model } : null;
}

/** Zod schema of one entry of the price override file. */
export const PriceOverrideEntry = z.object({
  model: z.string().min(1).max(200),
  inputPerMTok: z.number().nonnegative(),
  outputPerMTok: z.number().nonnegative(),
  /** Default: the input price (no write premium). */
  cacheWritePerMTok: z.number().nonnegative().optional(),
  /** Default: the input price (no discount known). */
  cacheReadPerMTok: z.number().nonnegative().optional(),
  /** Default: 200 000 tokens. */
  contextWindow: z.number().int().min(1000).optional(),
}).strict();

/** Zod schema of the price override file: `{"models": [entry, …]}`. */
export const PriceOverrideFile = z.object({
  /** When the prices were checked, for people. */
  date: z.string().max(50).optional(),
  models: z.array(PriceOverrideEntry).max(1000),
}).strict();

/**
 * The price table with an override file's entries in front (an entry for a
 * model already in the table replaces it). Throws a readable message when
 * the file's content is not a valid override.
 */
export function withPriceOverrides(
  json: unknown,
  table: readonly ModelPrice[] = PRICE_TABLE,
): ModelPrice[] {
  const parsed = PriceOverrideFile.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5)
      .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
    throw new Error(`price file is not valid: ${issues}`);
  }
  const overrides = parsed.data.models.map((m): ModelPrice => ({
    model: m.model,
    inputPerMTok: m.inputPerMTok,
    outputPerMTok: m.outputPerMTok,
    cacheWritePerMTok: m.cacheWritePerMTok ?? m.inputPerMTok,
    cacheReadPerMTok: m.cacheReadPerMTok ?? m.inputPerMTok,
    contextWindow: m.contextWindow ?? 200_000,
  }));
  return [...overrides, ...table];
}

/** The outcome of {@link dailyBudgetDecision}. */
export type DailyBudgetDecision =
  | { run: true }
  | {
    run: false;
    /** When the cap resets (the next UTC midnight), ISO-8601. */
    waitUntil: string;
    /** For the Jira comment and the run's record. */
    reason: string;
  };

/**
 * Whether a new run of a repository may start under its daily cap
 * (`dailyBudgetUsd` of its routing entry). Days are UTC days. No cap: always
 * run. At or over the cap: wait until the next UTC midnight.
 */
export function dailyBudgetDecision(input: {
  repoId: string;
  /** Spend of the repository's runs so far this UTC day. */
  spentTodayUsd: number;
  capUsd: number | null | undefined;
  /** Now, epoch milliseconds. */
  now: number;
}): DailyBudgetDecision {
  const { capUsd, spentTodayUsd } = input;
  if (capUsd === null || capUsd === undefined || spentTodayUsd < capUsd) return { run: true };
  const day = new Date(input.now);
  const next = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate() + 1);
  const waitUntil = new Date(next).toISOString();
  return {
    run: false,
    waitUntil,
    reason: `the daily LLM budget of repository ${input.repoId} is used up ` +
      `($${spentTodayUsd.toFixed(2)} spent today of $${capUsd.toFixed(2)}); ` +
      `the run waits until ${waitUntil}`,
  };
}

/** The UTC day (`YYYY-MM-DD`) of an epoch-millisecond time or an ISO timestamp. */
export function utcDay(time: number | string): string {
  return new Date(time).toISOString().slice(0, 10);
}

function compact(n: number): string {
  if (n >= 1_000_000) return `${(n / 1_000_000).toFixed(n >= 10_000_000 ? 0 : 1)}M`;
  if (n >= 1_000) return `${(n / 1_000).toFixed(n >= 10_000 ? 0 : 1)}k`;
  return String(n);
}

/**
 * A run's LLM use in one line for people (Jira comment, PR body):
 * `412k tokens in (380k from the cache), 9.1k out (2.0k reasoning), ~$0.21 at list prices`.
 * `costUsd` null: the model is not in the price table (no dollar figure).
 */
export function describeSpend(usage: TokenUsage, costUsd: number | null): string {
  const p = usageParts(usage);
  const cached = p.cacheRead ? ` (${compact(p.cacheRead)} from the cache)` : "";
  const reasoning = p.reasoning ? ` (${compact(p.reasoning)} reasoning)` : "";
  const money = costUsd === null
    ? ""
    : `, ~$${costUsd >= 0.01 || costUsd === 0 ? costUsd.toFixed(2) : costUsd.toPrecision(2)} ` +
      "at list prices";
  return `${compact(usage.inputTokens)} tokens in${cached}, ${compact(p.output)} out${reasoning}` +
    money;
}
