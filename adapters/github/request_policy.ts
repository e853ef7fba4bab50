/**
 * How the GitHub client sends requests, installed as an octokit `request` hook
 * in place of octokit's throttling and retry plugins (both turned off):
 *
 * - rate limits are honoured as GitHub documents them (`retry-after`; else
 *   `x-ratelimit-remaining: 0` until `x-ratelimit-reset`; else a minute, doubling);
 * - 5xx and lost connections are retried with exponential backoff and jitter;
 * - a wait longer than `maxWaitMs` is not slept: the error goes to the caller
 *   with `retryAfterMs`, so the worker can schedule the run instead of holding it;
 * - mutations are spaced `minMutationIntervalMs` apart (GitHub asks for 1 s);
 * - the `Authorization` header is set on every attempt from the token source, so
 *   a refreshed installation token is used as soon as it exists.
 *
 * Waiting goes through an injectable `sleep` and clock, so tests see every wait
 * without spending it. Octokit's own plugins offer neither: their waits are
 * Bottleneck timers, their handlers retry once, and their write limiter is a
 * process-wide 1 s (3 s for PR creation) queue.
 *
 * @module
 */
import type { Logger } from "../../domain/ports/logger.ts";
import { type FailedRequest, isNetworkFailure, rateLimitWaitMs } from "./errors.ts";

/** Retry and pacing limits. */
export interface RetryPolicy {
  /** Retries after the first attempt (default 3). */
  maxRetries: number;
  /** Longest single wait slept in-process (default 60 s); longer ones go to the caller. */
  maxWaitMs: number;
  /** First backoff for 5xx and lost connections (default 1 s), doubled per retry. */
  baseDelayMs: number;
  /** Least time between two mutations (default 1 s; 0 turns pacing off). */
  minMutationIntervalMs: number;
}

/** The defaults of {@link RetryPolicy}. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 3,
  maxWaitMs: 60_000,
  baseDelayMs: 1_000,
  minMutationIntervalMs: 1_000,
};

/** Clock and sleep, injectable for tests. */
export interface Timing {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** Jitter factor source in [0, 1); default Math.random. */
  random?: () => number;
}

/** What {@link installRequestPolicy} needs besides the octokit. */
export interface RequestPolicyOptions {
  policy: RetryPolicy;
  timing: Timing;
  logger?: Logger;
  /** Supplies the token for each attempt; absent: the octokit authenticates itself. */
  authorize?: () => Promise<string>;
  /** Called once on a 401; true when a fresh token is worth one more try. */
  onUnauthorized?: () => boolean;
}

interface RequestOptions {
  method: string;
  url: string;
  headers: Record<string, string | number | undefined>;
  [key: string]: unknown;
}

/** The slice of an octokit instance the policy hooks into. */
export interface HookableOctokit {
  hook: {
    // deno-lint-ignore no-explicit-any
    wrap(name: "request", wrapper: (request: any, options: any) => Promise<any>): void;
  };
}

/** The sleep used outside tests. */
export function realSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The wait before retry `attempt` (0-based), or null when the failure is not worth retrying. */
export function retryDelayMs(
  error: unknown,
  attempt: number,
  policy: RetryPolicy,
  timing: Timing,
): number | null {
  const backoff = () => {
    const jitter = 0.5 + 0.5 * (timing.random ?? Math.random)();
    return Math.round(policy.baseDelayMs * 2 ** attempt * jitter);
  };
  if (isNetworkFailure(error)) return backoff();
  const failed = error as FailedRequest;
  if (typeof failed?.status !== "number") return null;
  const rateLimit = rateLimitWaitMs(failed, timing.now(), attempt);
  if (rateLimit !== null) return rateLimit;
  return failed.status >= 500 ? backoff() : null;
}

/** Wraps every request of `octokit` in the policy. */
export function installRequestPolicy(
  octokit: HookableOctokit,
  options: RequestPolicyOptions,
): void {
  const { policy, timing, logger } = options;
  let nextMutationAt = -Infinity;

  octokit.hook.wrap("request", async (request, requestOptions: RequestOptions) => {
    const mutation = requestOptions.method !== "GET" && requestOptions.method !== "HEAD";
    let triedFreshToken = false;
    for (let attempt = 0;; attempt++) {
      if (mutation && policy.minMutationIntervalMs > 0) {
        const now = timing.now();
        const at = Math.max(now, nextMutationAt);
        nextMutationAt = at + policy.minMutationIntervalMs;
        if (at > now) await timing.sleep(at - now);
      }
      if (options.authorize) {
        requestOptions.headers.authorization = `token ${await options.authorize()}`;
      }
      try {
        return await request(requestOptions);
      } catch (error) {
        const status = (error as FailedRequest)?.status;
        if (status === 401 && !triedFreshToken && options.onUnauthorized?.()) {
          triedFreshToken = true;
          attempt--;
          continue;
        }
        const delay = retryDelayMs(error, attempt, policy, timing);
        if (delay === null || attempt >= policy.maxRetries || delay > policy.maxWaitMs) {
          throw error;
        }
        logger?.warn("GitHub request failed; retrying", {
          method: requestOptions.method,
          url: requestOptions.url,
          status: status ?? 0,
          waitMs: delay,
          retry: attempt + 1,
        });
        await timing.sleep(delay);
      }
    }
  });
}
