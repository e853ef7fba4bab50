import assert from "node:assert/strict";
import type { JiraComment } from "../../domain/ports/jira.ts";
import type { Review, ReviewComment } from "../../domain/ports/github.ts";
import {
  hasRunMarker,
  runMarker,
  selectJiraFeedback,
  selectPullRequestFeedback,
} from "../../domain/workflow/feedback.ts";

const T = (s: number) => new Date(Date.parse("2026-11-23T10:00:00.000Z") + s * 1000).toISOString();
const comment = (
  id: string,
  accountId: string,
  created: number,
  updated = created,
  bodyText = `comment ${id}`,
): JiraComment => ({
  id,
  author: { accountId, displayName: accountId.toUpperCase() },
  bodyText,
  created: T(created),
  updated: T(updated),
});
const rules = {
  aiAccountId: "ai",
  trustedAccountIds: new Set(["leigh", "requester"]),
  since: T(100),
  requestedAt: T(200),
};

Deno.test("feedback: only trusted comments since the previous run, never the runner's own", () => {
  const { feedback, skipped } = selectJiraFeedback([
    comment("1", "leigh", 50), // before the previous run
    comment("2", "leigh", 150), // new, trusted
    comment("3", "requester", 160), // the requester is trusted too
    comment("4", "stranger", 170), // untrusted
    comment("5", "ai", 180), // the runner's own
    comment("6", "leigh", 190, 190, `done ${runMarker("r1")}`), // carries a run marker
  ], rules);
  assert.deepEqual(feedback.map((c) => c.id), ["2", "3"]);
  assert.deepEqual(skipped.map((s) => [s.id, s.reason]), [
    ["1", "before_previous_run"],
    ["4", "untrusted"],
    ["5", "own"],
    ["6", "own"],
  ]);
});

Deno.test("feedback: a comment edited after the request arrived is ignored; earlier edits are fine", () => {
  const { feedback, skipped } = selectJiraFeedback([
    comment("1", "leigh", 150, 210), // edited after the request (t=200)
    comment("2", "leigh", 150, 180), // edited before the request
    comment("3", "leigh", 150, 150), // never edited
  ], rules);
  assert.deepEqual(feedback.map((c) => c.id), ["2", "3"]);
  assert.deepEqual(skipped.map((s) => [s.id, s.reason]), [["1", "edited_after_request"]]);
});

Deno.test("feedback: on the first run every trusted comment counts", () => {
  const { feedback } = selectJiraFeedback([comment("1", "leigh", 5)], { ...rules, since: null });
  assert.deepEqual(feedback.map((c) => c.id), ["1"]);
});

Deno.test("feedback: PR reviews and review comments since the previous run, at GitHub's precision", () => {
  const review = (id: number, state: Review["state"], at: string | null, body = "b"): Review => ({
    id,
    author: "leigh",
    state,
    body,
    url: "u",
    submittedAt: at,
    commitId: null,
  });
  const rc = (id: number, at: string, body = "nit"): ReviewComment => ({
    id,
    reviewId: null,
    inReplyToId: null,
    author: "sam",
    body,
    path: "docs/a.md",
    line: 3,
    url: "u",
    createdAt: at,
    updatedAt: at,
  });
  const since = "2026-11-23T10:01:40.400Z";
  const out = selectPullRequestFeedback(
    [
      rc(1, "2026-11-23T10:01:40Z"), // same second as the previous fetch: kept
      rc(2, "2026-11-23T10:01:39Z"), // before
      rc(3, "2026-11-23T10:02:00Z", `ok ${runMarker("r1")}`), // the runner's own
      rc(4, "2026-11-23T10:02:00Z"), // already acted on
    ],
    [
      review(10, "changes_requested", "2026-11-23T10:03:00Z", ""), // no text but a verdict: kept
      review(11, "commented", "2026-11-23T10:03:00Z", ""), // no text, no verdict
      review(12, "pending", null),
      review(13, "approved", "2026-11-23T10:04:00Z", "LGTM"),
    ],
    since,
    new Set(["review_comment:4"]),
  );
  assert.deepEqual(out.map((f) => f.id), ["review_comment:1", "review:10", "review:13"]);
  assert.ok(hasRunMarker(runMarker("abc-123")));
  assert.ok(!hasRunMarker("no marker here"));
});
