/**
 * Costs for people (audit, dashboard): the dated price table of
 * `domain/pricing.ts`, applied to usage as billed (uncached input, cache writes,
 * cache reads and output each at their price), and dollars formatted. A run
 * that recorded its `costUsd` shows that; older runs are estimated from their
 * tokens; a model not in the table gets no estimate, only its token counts.
 *
 * @module
 */
import type { TokenUsage } from "../domain/events.ts";
import {
  type CostEstimate,
  estimateCost,
  type ModelPrice,
  PRICE_TABLE,
} from "../domain/pricing.ts";

export {
  COST_LABEL,
  type CostEstimate,
  estimateCost,
  type ModelPrice,
  PRICE_TABLE,
  PRICE_TABLE_DATE,
  priceOf,
} from "../domain/pricing.ts";

/** Tokens of one model call or a whole run. */
export type TokenCount = TokenUsage;

/** The cost a run recorded, else an estimate from its usage; null when unpriced. */
export function runCost(
  model: string,
  usage: TokenUsage,
  recordedUsd: number | undefined,
  table: readonly ModelPrice[] = PRICE_TABLE,
): CostEstimate | null {
  if (recordedUsd !== undefined) return { usd: recordedUsd, family: model };
  return estimateCost(model, usage, table);
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
