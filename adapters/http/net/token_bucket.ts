/**
 * Token buckets per key (client address): each request takes a token; tokens
 * come back at `perSecond` up to `burst`. Pure apart from the time passed in.
 * Memory is bounded: past `maxKeys` the least recently seen keys are dropped
 * (a dropped key starts again with a full bucket).
 *
 * @module
 */

/** The answer of {@link TokenBuckets.take}. */
export type TakeResult = { ok: true } | { ok: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

/** Token buckets keyed by client. */
export class TokenBuckets {
  readonly #buckets = new Map<string, Bucket>();

  constructor(
    readonly perSecond: number,
    readonly burst: number,
    readonly maxKeys = 10_000,
  ) {
    if (!(perSecond > 0) || !(burst >= 1)) {
      throw new Error("token bucket needs perSecond > 0 and burst >= 1");
    }
  }

  /** Takes one token for `key` at time `nowMs`, or says how long to wait for one. */
  take(key: string, nowMs: number): TakeResult {
    const old = this.#buckets.get(key);
    let tokens = this.burst;
    if (old) {
      const elapsed = Math.max(0, nowMs - old.at) / 1000;
      tokens = Math.min(this.burst, old.tokens + elapsed * this.perSecond);
      this.#buckets.delete(key); // re-inserted below: Map order is recency order
    }
    const ok = tokens >= 1;
    if (ok) tokens -= 1;
    this.#buckets.set(key, { tokens, at: nowMs });
    this.#evict();
    if (ok) return { ok: true };
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / this.perSecond)) };
  }

  /** How many keys are tracked. */
  get size(): number {
    return this.#buckets.size;
  }

  #evict(): void {
    while (this.#buckets.size > this.maxKeys) {
      const oldest = this.#buckets.keys().next().value as string;
      this.#buckets.delete(oldest);
    }
  }
}
