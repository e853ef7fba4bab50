/**
 * The options every engine's subscription accepts, checked the same way.
 *
 * @module
 */
import type { SubscribeOptions } from "../../domain/ports/event_store.ts";

/** Checked subscription options, with defaults applied. */
export function subscribeOptions(options: SubscribeOptions) {
  const batchSize = options.batchSize ?? 500;
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  if (!Number.isSafeInteger(options.fromPosition) || options.fromPosition < 0) {
    throw new TypeError(`fromPosition must be a non-negative integer, got ${options.fromPosition}`);
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new TypeError(`batchSize must be a positive integer, got ${batchSize}`);
  }
  if (!Number.isFinite(pollIntervalMs) || pollIntervalMs < 0) {
    throw new TypeError(`pollIntervalMs must be a non-negative number, got ${pollIntervalMs}`);
  }
  return { batchSize, pollIntervalMs, signal: options.signal, fromPosition: options.fromPosition };
}
