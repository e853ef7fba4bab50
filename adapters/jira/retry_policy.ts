/**
 * When and how long to wait before retrying a Jira request, after Atlassian's
 * rate-limiting guidance: `Retry-After` (seconds) wins; else, on a 429/503,
 * `X-RateLimit-Reset` (an ISO-8601 timestamp, not epoch seconds); else
 * exponential backoff doubling from an initial delay up to a cap, with jitter
 * ×0.7–1.3. Pure functions; the client owns the clock and the sleeping.
 *
 * @module
 */

/** Parameters of the exponential backoff. */
export interface BackoffOptions {
  initialDelayMs: number;
  maxDelayMs: number;
  /** Uniform in [0, 1); `Math.random` in production, fixed in tests. */
  random: () => number;
}

/** The wait before retry number `retry` (0 for the first retry), jittered ×0.7–1.3. */
export function backoffDelay(retry: number, options: BackoffOptions): number {
  const base = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** Math.max(0, retry));
  return Math.round(base * (0.7 + 0.6 * options.random()));
}

/**
 * The wait a `Retry-After` header asks for, in ms: delay-seconds (Jira's form)
 * or an HTTP date. Undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/**
 * The wait until an `X-RateLimit-Reset` time, in ms. Jira sends an ISO-8601
 * timestamp such as `2024-05-01T10:30Z`. Undefined when absent, unreadable or
 * already past.
 */
export function parseRateLimitReset(value: string | null, nowMs: number): number | undefined {
  if (value === null || !/^\d{4}-\d{2}-\d{2}T/.test(value.trim())) return undefined;
  const at = Date.parse(value.trim());
  if (Number.isNaN(at) || at <= nowMs) return undefined;
  return at - nowMs;
}

/** The wait Jira asked for in a response's headers, if it asked. */
export function requestedWait(status: number, headers: Headers, nowMs: number): number | undefined {
  const retryAfter = parseRetryAfter(headers.get("retry-after"), nowMs);
  if (retryAfter !== undefined) return retryAfter;
  if (status === 429 || status === 503) {
    return parseRateLimitReset(headers.get("x-ratelimit-reset"), nowMs);
  }
  return undefined;
}

/** True for statuses worth retrying: 408, 429 and every 5xx. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * True when Jira refused the request without processing it (429 rate limited,
 * 503 unavailable), so even a non-idempotent request may be sent again.
 */
export function isNotProcessedStatus(status: number): boolean {
  return status === 429 || status === 503;
}

/**
 * True when a fetch error happened while connecting (refused, DNS), so the
 * request never reached Jira and may be sent again even if it is a write.
 */
export function isConnectFailure(error: unknown): boolean {
  const texts: string[] = [];
  let e: unknown = error;
  for (let depth = 0; e && depth < 4; depth++) {
    texts.push(String((e as { message?: unknown }).message ?? e));
    e = (e as { cause?: unknown }).cause;
  }
  return /client error \(Connect\)|tcp connect error|connection refused|dns error|failed to lookup address|ECONNREFUSED|ENOTFOUND/i
    .test(texts.join(" | "));
}
