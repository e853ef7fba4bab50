/**
 * Per-client token-bucket rate limit: 429 with `Retry-After` (seconds) when the
 * client's bucket is empty.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import type { IntakeEnv } from "../context.ts";
import { HttpError } from "../errors.ts";
import type { TokenBuckets } from "../net/token_bucket.ts";

/** Takes a token from the client's bucket or refuses with 429. */
export function rateLimit(
  buckets: TokenBuckets,
  now: () => number = Date.now,
): MiddlewareHandler<IntakeEnv> {
  return async (c, next) => {
    const taken = buckets.take(c.get("client").text, now());
    if (!taken.ok) {
      throw new HttpError(
        429,
        "rate_limited",
        `too many requests from this address; retry after ${taken.retryAfterSeconds} s`,
        { "Retry-After": String(taken.retryAfterSeconds) },
      );
    }
    await next();
  };
}
