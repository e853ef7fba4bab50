import assert from "node:assert/strict";
import {
  backoffDelay,
  isConnectFailure,
  isNotProcessedStatus,
  isTransientStatus,
  parseRateLimitReset,
  parseRetryAfter,
  requestedWait,
} from "../../adapters/jira/retry_policy.ts";

const NOW = Date.parse("2025-03-01T09:00:00Z");

Deno.test("backoff doubles from the initial delay up to the cap", () => {
  const options = { initialDelayMs: 5000, maxDelayMs: 30000, random: () => 0.5 };
  assert.deepEqual([0, 1, 2, 3, 4].map((n) => backoffDelay(n, options)), [
    5000,
    10000,
    20000,
    30000,
    30000,
  ]);
});

Deno.test("backoff jitter stays within ×0.7–1.3", () => {
  const low = backoffDelay(1, { initialDelayMs: 1000, maxDelayMs: 30000, random: () => 0 });
  const high = backoffDelay(1, { initialDelayMs: 1000, maxDelayMs: 30000, random: () => 0.9999 });
  assert.equal(low, 1400);
  assert.ok(high >= 2599 && high <= 2600, String(high));
});

Deno.test("Retry-After is read as seconds, or as an HTTP date", () => {
  assert.equal(parseRetryAfter("7", NOW), 7000);
  assert.equal(parseRetryAfter(" 0 ", NOW), 0);
  assert.equal(parseRetryAfter("1.5", NOW), 1500);
  assert.equal(parseRetryAfter("Sat, 01 Mar 2025 09:00:30 GMT", NOW), 30000);
  assert.equal(parseRetryAfter("soon", NOW), undefined);
  assert.equal(parseRetryAfter(null, NOW), undefined);
});

Deno.test("X-RateLimit-Reset is an ISO-8601 timestamp, not epoch seconds", () => {
  assert.equal(parseRateLimitReset("2025-03-01T09:01Z", NOW), 60000);
  assert.equal(parseRateLimitReset("2025-03-01T09:00:12.500Z", NOW), 12500);
  assert.equal(parseRateLimitReset(String(NOW / 1000 + 60), NOW), undefined);
  assert.equal(parseRateLimitReset("2025-03-01T08:59Z", NOW), undefined, "already past");
  assert.equal(parseRateLimitReset(null, NOW), undefined);
});

Deno.test("Retry-After wins over X-RateLimit-Reset, which counts only on 429/503", () => {
  const both = new Headers({ "Retry-After": "3", "X-RateLimit-Reset": "2025-03-01T09:01Z" });
  const reset = new Headers({ "X-RateLimit-Reset": "2025-03-01T09:01Z" });
  assert.equal(requestedWait(429, both, NOW), 3000);
  assert.equal(requestedWait(429, reset, NOW), 60000);
  assert.equal(requestedWait(503, reset, NOW), 60000);
  assert.equal(requestedWait(500, reset, NOW), undefined);
  assert.equal(requestedWait(500, new Headers({ "Retry-After": "2" }), NOW), 2000);
});

Deno.test("statuses are classified for retrying", () => {
  assert.deepEqual([408, 429, 500, 502, 503, 504].map(isTransientStatus), Array(6).fill(true));
  assert.deepEqual([400, 401, 403, 404, 409, 415].map(isTransientStatus), Array(6).fill(false));
  assert.deepEqual([429, 503].map(isNotProcessedStatus), [true, true]);
  assert.deepEqual([500, 502, 504, 408].map(isNotProcessedStatus), [false, false, false, false]);
});

Deno.test("connect failures are told apart from failures after sending", () => {
  const refused = new TypeError("fetch failed", {
    cause: new Error(
      "error sending request for url (http://127.0.0.1:4/x): client error (Connect): tcp connect error: Connection refused (os error 111)",
    ),
  });
  assert.equal(isConnectFailure(refused), true);
  assert.equal(isConnectFailure(new DOMException("timed out", "TimeoutError")), false);
  assert.equal(isConnectFailure(new TypeError("error reading a body from connection")), false);
});
