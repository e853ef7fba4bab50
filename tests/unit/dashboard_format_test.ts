import assert from "node:assert/strict";
import {
  cookieValue,
  DashboardAuth,
  safeNext,
  sessionCookie,
} from "../../adapters/http/dashboard/auth.ts";
import {
  branchUrl,
  formatAge,
  jiraCommentUrl,
  jiraIssueUrl,
  median,
  safeHref,
  tail,
} from "../../adapters/http/dashboard/format.ts";
import { runDuration, runRow } from "../../adapters/http/dashboard/present.ts";
import type { RunDoc } from "../../projections/mod.ts";

Deno.test("safeHref: only absolute http(s) links", () => {
  assert.equal(safeHref("https://github.com/a/b/pull/1"), "https://github.com/a/b/pull/1");
  assert.equal(safeHref("http://127.0.0.1:8080/x"), "http://127.0.0.1:8080/x");
  for (
    const bad of [
      "javascript:alert(1)",
      "JAVASCRIPT:alert(1)",
      "data:text/html,x",
      "/relative",
      "",
      null,
    ]
  ) {
    assert.equal(safeHref(bad), null, String(bad));
  }
});

Deno.test("Jira and GitHub links", () => {
  assert.equal(
    jiraIssueUrl("https://acme.atlassian.net/", "MWC-1"),
    "https://acme.atlassian.net/browse/MWC-1",
  );
  assert.equal(
    jiraCommentUrl("https://acme.atlassian.net", "MWC-1", "10042"),
    "https://acme.atlassian.net/browse/MWC-1?focusedCommentId=10042",
  );
  assert.equal(jiraIssueUrl(null, "MWC-1"), null);
  assert.equal(jiraIssueUrl("https://acme.atlassian.net", "<script>"), null);
  assert.equal(jiraIssueUrl("javascript:alert(1)//", "MWC-1"), null);
  assert.equal(
    branchUrl("https://github.com/acme/docs/pull/7", "ai/MWC-1"),
    "https://github.com/acme/docs/tree/ai/MWC-1",
  );
  assert.equal(
    branchUrl("https://github.com/acme/docs/pull/7", "ai/a b#c"),
    "https://github.com/acme/docs/tree/ai/a%20b%23c",
  );
  assert.equal(branchUrl("https://github.com/acme/docs", "main"), null);
  assert.equal(branchUrl(null, "main"), null);
});

Deno.test("median, tail and ages", () => {
  assert.equal(median([]), null);
  assert.equal(median([5]), 5);
  assert.equal(median([9, 1, 5]), 5);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.deepEqual(tail("abcdef", 10), { text: "abcdef", omitted: 0 });
  assert.deepEqual(tail("abcdef", 2), { text: "ef", omitted: 4 });
  const now = new Date("2025-06-02T12:00:00Z");
  assert.equal(formatAge("2025-06-02T11:59:58Z", now), "just now");
  assert.equal(formatAge("2025-06-02T11:59:00Z", now), "1 min ago");
  assert.equal(formatAge("2025-06-02T09:00:00Z", now), "3 h ago");
  assert.equal(formatAge("2025-05-30T12:00:00Z", now), "3 d ago");
  assert.equal(formatAge("not a date", now), "");
});

const RUN: RunDoc = {
  runId: "0d5c8f9e-1111-2222-3333-444455556666",
  issueKey: "MWC-1",
  kind: "change",
  status: "claimed",
  attempt: 1,
  source: "jira",
  requestedBy: null,
  requestedAt: "2025-06-02T11:58:00.000Z",
  coalescedRequests: 0,
  workerId: "w1",
  claimedAt: "2025-06-02T11:59:00.000Z",
  leaseExpiresAt: null,
  finishedAt: null,
  durationMs: null,
  queueWaitMs: 60_000,
  workMs: null,
  model: null,
  draft: false,
  jiraCommented: false,
  attention: [],
  needsAttention: false,
  retryOf: null,
  progress: null,
  issueSummary: null,
  searchText: "mwc-1",
  requester: null,
  repoId: "docs",
  branch: "ai/MWC-1",
  pr: { number: 3, url: "javascript:alert(1)" },
  summary: null,
  filesChanged: [],
  validationPassed: null,
  tokens: { input: 1200, output: 34 },
  outcome: null,
  lastError: null,
  retries: 0,
  steps: [],
  updatedAt: "2025-06-02T11:59:00.000Z",
};

Deno.test("runRow: a run document as a table row (and never an unsafe link)", () => {
  const now = new Date("2025-06-02T12:00:00Z");
  const row = runRow(RUN, now);
  assert.equal(row.href, "/runs/0d5c8f9e-1111-2222-3333-444455556666");
  assert.equal(row.shortId, "0d5c8f9e…");
  assert.equal(row.issueHref, "/issues/MWC-1");
  assert.deepEqual(row.status, { label: "claimed", tone: "info" });
  assert.equal(row.queueWait, "1 min 00 s", "queue wait apart from work time");
  assert.equal(row.duration, "1 min 00 s so far");
  assert.equal(row.tokens, "1,234");
  assert.equal(row.tokensTitle, "1,200 in + 34 out");
  assert.equal(row.prHref, null, "a javascript: URL is never a link");
  assert.equal(row.age, "2 min ago");
  assert.equal(
    runDuration({ ...RUN, status: "queued", claimedAt: null }, now),
    "waiting 2 min 00 s",
  );
  assert.equal(runDuration({ ...RUN, durationMs: 1500 }, now), "1.5 s");
});

Deno.test("DashboardAuth: bearer tokens and sessions that hold no token", () => {
  const auth = new DashboardAuth("s3cret-token", 60_000);
  assert.ok(auth.bearerMatches("Bearer s3cret-token"));
  assert.ok(auth.bearerMatches("bearer   s3cret-token "));
  for (const bad of ["Bearer s3cret", "Basic s3cret-token", "s3cret-token", "Bearer ", "", null]) {
    assert.ok(!auth.bearerMatches(bad), String(bad));
  }
  assert.ok(auth.tokenMatches("s3cret-token"));
  assert.ok(!auth.tokenMatches("S3CRET-TOKEN"));
  const now = new Date("2025-06-02T12:00:00Z");
  const session = auth.issue(now);
  assert.ok(!session.includes("s3cret"));
  assert.ok(auth.sessionValid(session, now));
  assert.ok(auth.sessionValid(session, new Date(now.getTime() + 59_000)));
  assert.ok(!auth.sessionValid(session, new Date(now.getTime() + 60_000)), "expired");
  const [v, exp, mac] = session.split(".");
  assert.ok(!auth.sessionValid(`${v}.${Number(exp) + 3_600_000}.${mac}`, now), "a moved expiry");
  assert.ok(!new DashboardAuth("other-token").sessionValid(session, now), "another token");
  assert.ok(!auth.sessionValid("garbage", now));
  assert.ok(!auth.sessionValid(null, now));
  assert.throws(() => new DashboardAuth(""), /token is required/);
});

Deno.test("cookies and the next page", () => {
  assert.equal(cookieValue("a=1; ai_runner_session=v1.2.ab; b=2", "ai_runner_session"), "v1.2.ab");
  assert.equal(cookieValue("xai_runner_session=1", "ai_runner_session"), null);
  assert.equal(cookieValue(undefined, "x"), null);
  assert.equal(
    sessionCookie("v", 3_600_000, false),
    "ai_runner_session=v; Path=/; HttpOnly; SameSite=Strict; Max-Age=3600",
  );
  assert.equal(
    sessionCookie(null, 0, true),
    "ai_runner_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure",
  );
  assert.equal(safeNext("/runs?status=failed"), "/runs?status=failed");
  for (
    const bad of [
      "//evil.example",
      "https://evil.example",
      "/\\evil",
      "runs",
      "/a\nb",
      null,
      "/" + "a".repeat(600),
    ]
  ) {
    assert.equal(safeNext(bad), "/", String(bad));
  }
});
