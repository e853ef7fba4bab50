/** GitHub failure classification and REST mapping, on hand-made answers. */
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { RequestError } from "octokit";
import {
  rateLimitWaitMs,
  toGitHubError,
  UNSPECIFIED_RATE_LIMIT_WAIT_MS,
} from "../../adapters/github/errors.ts";
import { toPullRequest, toReview } from "../../adapters/github/mapping.ts";
import { Redactor } from "../../adapters/log/redact.ts";

const NOW = Date.parse("2026-03-02T09:00:00Z");

function answer(status: number, headers: Record<string, string>, data: unknown): RequestError {
  return new RequestError(`HTTP ${status}`, status, {
    request: { method: "GET", url: "https://api.github.com/x", headers: {} },
    response: { status, url: "https://api.github.com/x", headers, data },
  });
}

Deno.test("rate limits: retry-after, then remaining 0 + reset, then the message; else not a limit", () => {
  assertEquals(rateLimitWaitMs(answer(403, { "retry-after": "12" }, {}), NOW), 12_000);
  const reset = String(NOW / 1000 + 90);
  assertEquals(
    rateLimitWaitMs(
      answer(403, { "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset }, {}),
      NOW,
    ),
    91_000,
  );
  const secondary = answer(403, {}, { message: "You have exceeded a secondary rate limit." });
  assertEquals(rateLimitWaitMs(secondary, NOW), UNSPECIFIED_RATE_LIMIT_WAIT_MS);
  assertEquals(rateLimitWaitMs(secondary, NOW, 2), 4 * UNSPECIFIED_RATE_LIMIT_WAIT_MS);
  assertEquals(rateLimitWaitMs(answer(429, {}, {}), NOW), UNSPECIFIED_RATE_LIMIT_WAIT_MS);
  const forbidden = answer(403, { "x-ratelimit-remaining": "4000" }, {
    message: "Resource not accessible by integration",
  });
  assertEquals(rateLimitWaitMs(forbidden, NOW), null);
  assertEquals(rateLimitWaitMs(answer(500, { "retry-after": "3" }, {}), NOW), null);
});

Deno.test("classification: permanent 401/403/404/422, transient 5xx, limits and lost connections", () => {
  const redactor = new Redactor([]);
  const cases: Array<[unknown, string, string, number]> = [
    [answer(401, {}, { message: "Bad credentials" }), "permanent", "unauthorized", 401],
    [answer(403, {}, { message: "Must have admin rights" }), "permanent", "forbidden", 403],
    [answer(404, {}, { message: "Not Found" }), "permanent", "not_found", 404],
    [
      answer(422, {}, {
        message: "Validation Failed",
        errors: [{ field: "head", code: "invalid" }],
      }),
      "permanent",
      "validation",
      422,
    ],
    [answer(502, {}, "Bad Gateway"), "transient", "server", 502],
    [
      answer(403, { "retry-after": "5" }, { message: "slow down" }),
      "transient",
      "rate_limited",
      403,
    ],
    [
      new RequestError("connect ECONNREFUSED", 500, {
        request: { method: "GET", url: "x", headers: {} },
      }),
      "transient",
      "network",
      0,
    ],
  ];
  for (const [error, kind, reason, status] of cases) {
    const e = toGitHubError(error, "do a thing", redactor, NOW);
    assertEquals([e.kind, e.reason, e.status], [kind, reason, status], e.message);
    assert(e.message.startsWith("GitHub do a thing: "), e.message);
  }
  const validation = toGitHubError(cases[3][0], "open", redactor, NOW);
  assert(validation.message.includes("Validation Failed: head invalid"), validation.message);
  const limited = toGitHubError(cases[5][0], "open", redactor, NOW);
  assertEquals(limited.retryAfterMs, 5000);
  const bug = toGitHubError(new TypeError("a bug, not the network"), "x", redactor, NOW);
  assertEquals([bug.kind, bug.reason], ["permanent", "unexpected"]);
});

Deno.test("error messages are redacted: the runner's secrets and token shapes", () => {
  const secret = "my-very-own-secret-value";
  const shaped = "ghs_" + "a1B2c3D4e5".repeat(4);
  const e = toGitHubError(
    answer(400, {}, { message: `echo ${secret} and ${shaped}` }),
    "open",
    new Redactor([secret]),
    NOW,
  );
  assert(!e.message.includes(secret) && !e.message.includes(shaped), e.message);
  assert(e.message.includes("[REDACTED]"));
});

Deno.test("mapping: list items without `merged`, review states, absent bodies", () => {
  const pr = toPullRequest({
    number: 7,
    html_url: "https://github.com/a/b/pull/7",
    state: "closed",
    merged_at: "2026-03-02T10:00:00Z",
    title: "t",
    body: null,
    head: { ref: "ai/X-1", label: "a:ai/X-1", sha: "abc" },
    base: { ref: "main" },
    user: null,
    created_at: "2026-03-01T10:00:00Z",
    updated_at: "2026-03-02T10:00:00Z",
  });
  assertEquals([pr.merged, pr.draft, pr.body, pr.author, pr.state], [
    true,
    false,
    "",
    null,
    "closed",
  ]);
  const states = ["APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED", "PENDING", "approved"];
  assertEquals(
    states.map((state) =>
      toReview({ id: 1, user: { login: "l" }, state, body: null, html_url: "u", commit_id: null })
        .state
    ),
    ["approved", "changes_requested", "commented", "dismissed", "pending", "approved"],
  );
});
