import assert from "node:assert/strict";
import type { JiraComment } from "../../domain/ports/jira.ts";
import type { Review, ReviewComment } from "../../domain/ports/github.ts";
import {
  type FeedbackInput,
  hasRunMarker,
  runMarker,
  seenByEarlierRuns,
  selectFeedback,
} from "../../domain/workflow/feedback.ts";
import { fetched } from "../support/events.ts";

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
const review = (id: number, state: Review["state"], at: string | null, body = "b"): Review => ({
  id,
  author: "leigh",
  state,
  body,
  url: "u",
  submittedAt: at,
  commitId: null,
});
const rc = (id: number, at: string, body = "nit", author = "sam"): ReviewComment => ({
  id,
  reviewId: null,
  inReplyToId: null,
  author,
  body,
  path: "docs/a.md",
  line: 3,
  url: "u",
  createdAt: at,
  updatedAt: at,
});

const input = (over: Partial<FeedbackInput>): FeedbackInput => ({
  jiraComments: [],
  reviewComments: [],
  reviews: [],
  seenBefore: new Map(),
  aiAccountId: "ai",
  trustedJiraAccounts: new Set(["leigh", "requester"]),
  githubTrust: () => true,
  requestedAt: T(200),
  ...over,
});

Deno.test("feedback: only trusted comments no earlier run saw, never the runner's own", () => {
  const { jira, skipped } = selectFeedback(input({
    jiraComments: [
      comment("1", "leigh", 50), // seen by an earlier run
      comment("2", "leigh", 150), // new, trusted
      comment("3", "requester", 160), // the requester is trusted too
      comment("4", "stranger", 170), // untrusted
      comment("5", "ai", 180), // the runner's own
      comment("6", "leigh", 190, 190, `done ${runMarker("r1")}`), // carries a run marker
    ],
    seenBefore: new Map([["1", T(50)]]),
  }));
  assert.deepEqual(jira.map((c) => c.id), ["2", "3"]);
  assert.deepEqual(skipped.map((s) => [s.id, s.reason]), [
    ["1", "seen_before"],
    ["4", "untrusted"],
    ["5", "own"],
    ["6", "own"],
  ]);
});

Deno.test("feedback: new is judged by id, not by clocks: a comment stamped before the last fetch still counts", () => {
  // Jira's clock runs behind ours: the comment's `created` is older than anything we
  // recorded, but no earlier fetch saw it, so it is new.
  const { jira } = selectFeedback(input({
    jiraComments: [comment("7", "leigh", -3600)],
    seenBefore: new Map([["1", T(50)]]),
    requestedAt: T(-3000),
  }));
  assert.deepEqual(jira.map((c) => c.id), ["7"]);
});

Deno.test("feedback: a comment edited after the request, or after an earlier run saw it, is ignored", () => {
  const { jira, skipped } = selectFeedback(input({
    jiraComments: [
      comment("1", "leigh", 150, 210), // edited after the request (t=200)
      comment("2", "leigh", 150, 180), // edited before the request
      comment("3", "leigh", 150, 150), // never edited
      comment("4", "leigh", 40, 190), // an old comment edited since an earlier run saw it
    ],
    seenBefore: new Map([["4", T(40)]]),
  }));
  assert.deepEqual(jira.map((c) => c.id), ["2", "3"]);
  assert.deepEqual(skipped.map((s) => [s.id, s.reason]), [
    ["1", "edited_after_request"],
    ["4", "edited_after_seen"],
  ]);
});

Deno.test("feedback: on the first run every trusted comment counts", () => {
  const { jira } = selectFeedback(
    input({ jiraComments: [comment("1", "leigh", 5)], seenBefore: null }),
  );
  assert.deepEqual(jira.map((c) => c.id), ["1"]);
});

Deno.test("feedback: PR reviews and review comments not seen before, trusted, with something to say", () => {
  const out = selectFeedback(input({
    reviewComments: [
      rc(1, "2026-11-23T10:01:40Z"),
      rc(3, "2026-11-23T10:02:00Z", `ok ${runMarker("r1")}`), // the runner's own
      rc(4, "2026-11-23T10:02:00Z"), // already seen
      rc(5, "2026-11-23T10:02:30Z", "do it", "mallory"), // not trusted
    ],
    reviews: [
      review(10, "changes_requested", "2026-11-23T10:03:00Z", ""), // no text but a verdict: kept
      review(11, "commented", "2026-11-23T10:03:00Z", ""), // no text, no verdict
      review(12, "pending", null),
      review(13, "approved", "2026-11-23T10:04:00Z", "LGTM"),
    ],
    seenBefore: new Map([["review_comment:4", "2026-11-23T10:02:00Z"]]),
    githubTrust: (login) => login === "mallory" ? "no write access" : true,
  }));
  assert.deepEqual(out.pr.map((f) => f.id), ["review_comment:1", "review:10", "review:13"]);
  assert.deepEqual(
    out.skipped.map((s) => [s.id, s.reason, s.detail ?? ""]),
    [
      ["review:11", "empty", ""],
      ["review:12", "pending", ""],
      ["review_comment:3", "own", ""],
      ["review_comment:4", "seen_before", ""],
      ["review_comment:5", "untrusted", "no write access"],
    ],
  );
  // A pending review is not remembered as seen: once submitted, it counts.
  assert.ok(!out.seen.some((s) => s.id === "review:12"));
  assert.ok(hasRunMarker(runMarker("abc-123")));
  assert.ok(!hasRunMarker("no marker here"));
});

Deno.test("feedback: what earlier runs saw comes from their IssueFetched events", () => {
  const events = [
    fetched("r1", { seen: [{ id: "1", updated: T(1) }, { id: "review:9", updated: T(2) }] }),
    // Recorded before `seen` existed: what it acted on counts as seen.
    fetched("r2", { feedbackCommentIds: ["5"] }),
    fetched("r3", { seen: [{ id: "8", updated: T(3) }] }),
  ];
  assert.equal(seenByEarlierRuns([], "r1"), null);
  const seen = seenByEarlierRuns(events, "r3")!;
  assert.deepEqual([...seen.keys()].sort(), ["1", "5", "review:9"]);
});
