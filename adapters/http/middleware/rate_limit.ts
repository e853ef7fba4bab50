/**
 * Per-client token-bucket rate limit: 429 with `Retry-After` (seconds) when the
 * client's bucket is empty. IPv6 clients are bucketed by their /64, the block a
 * single host usually gets, so rotating addresses within it does not help.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import type { IntakeEnv } from "../context.ts";
import { HttpError } from "../errors.ts";
import { formatIp } from "../net/cidr.ts";
import type { ClientAddress } from "../net/client_address.ts";
import type { TokenBuckets } from "../net/token_bucket.ts";

/** The bucket a client draws from: its IPv4 address, or its IPv6 /64. */
export function rateLimitKey(client: ClientAddress): string {
  if (client.ip?.length !== 16) return client.text;
  const prefix = new Uint8Array(16);
  prefix.set(client.ip.subarray(0, 8));
  return `${formatIp(prefix)}/64`;
}

/** Takes a token from the client's bucket or refuses with 429. */
export function rateLimit(
  buckets: TokenBuckets,
  now: () => number = Date.now,
): MiddlewareHandler<IntakeEnv> {
  return async (c, next) => {
    const taken = buckets.take(rateLimitKey(c.get("client")), now());
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
