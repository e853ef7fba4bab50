/**
 * A cancel recorded without Jira (the CLI) owes the ticket a comment: the
 * `issues` read model lists it (for a worker to find), `pendingCancelComments`
 * names it from the stream, and `postCancelComment` posts it once on the fake
 * Jira and records it, after which nothing is owed. The decider's own cancels
 * (a merged PR dropping a queued run) owe nothing.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { IssueDoc } from "../../projections/issues.ts";
import {
  pendingCancelComments,
  postCancelComment,
  recordCancel,
} from "../../domain/workflow/cancel.ts";
import { startLoop } from "../support/loop.ts";

Deno.test("cancel from the CLI: the Jira comment is owed, found, posted once", async () => {
  await using loop = await startLoop({
    issues: [{ key: "MWC-6", summary: "x", description: 'Replace "a" with "b".' }],
  });
  const { runId } = await loop.assign("MWC-6");
  const recorded = await recordCancel({ store: loop.store, clock: loop.clock.now }, "MWC-6", {
    reason: "duplicate ticket",
    by: { displayName: "alice (cli on host-1)" },
    actor: "cli:alice@host-1",
  });
  assert.deepEqual(recorded, { ok: true, runId });
  assert.equal(loop.world.jira.state.postedComments("MWC-6").length, 0, "no Jira call yet");
  await loop.projector.catchUp();
  const owing = await loop.store.query("issues", {
    where: [{ field: "cancelCommentOwed", eq: true }],
  }) as IssueDoc[];
  assert.deepEqual(owing.map((d) => [d.issueKey, d.cancelCommentsOwed]), [["MWC-6", [runId]]]);
  const [pending] = pendingCancelComments(await loop.events("MWC-6"));
  assert.equal(pending.runId, runId);
  assert.equal(pending.actor, "cli:alice@host-1");

  const commentId = await postCancelComment(
    { store: loop.store, jira: loop.deps.jira, secrets: loop.deps.secrets },
    "MWC-6",
    pending,
  );
  const posted = loop.world.jira.state.postedComments("MWC-6");
  assert.equal(posted.length, 1);
  assert.match(posted[0].text, /cancelled\*\* by alice \(cli on host-1\)/);
  assert.match(posted[0].text, /duplicate ticket/);
  assert.ok(commentId);
  assert.deepEqual(pendingCancelComments(await loop.events("MWC-6")), []);
  await loop.projector.catchUp();
  const after = await loop.store.get("issues", "MWC-6") as IssueDoc;
  assert.deepEqual(after.cancelCommentsOwed, []);
  assert.equal(after.cancelCommentOwed, false);
});

Deno.test("cancel: the decider's own cancel (cancelledBy null) owes no comment", async () => {
  const { evolveIssue } = await import("../../projections/issues.ts");
  const at = "2026-11-23T10:00:00.000Z";
  const base = { stream: "issue-MWC-7", schemaVersion: 1, recordedAt: at, hash: "x" };
  const requested = {
    ...base,
    type: "RunRequested",
    version: 1,
    position: 1,
    metadata: { actor: "jira:a" },
    data: {
      runId: "r1",
      issueKey: "MWC-7",
      deliveryId: "d1",
      source: "jira",
      requestedBy: null,
      requestedAt: at,
    },
  };
  const cancelled = (by: { displayName: string } | null) => ({
    ...base,
    type: "RunCancelled",
    version: 2,
    position: 2,
    metadata: { actor: "github:x" },
    data: { runId: "r1", reason: "merged", cancelledBy: by },
  });
  // deno-lint-ignore no-explicit-any
  const fold = (events: any[]) =>
    events.reduce((doc, e) => evolveIssue(doc, e, "MWC-7"), null as IssueDoc | null);
  assert.equal(fold([requested, cancelled(null)])?.cancelCommentOwed, false);
  assert.equal(fold([requested, cancelled({ displayName: "ops" })])?.cancelCommentOwed, true);
  assert.deepEqual(pendingCancelComments([requested, cancelled(null)] as never), []);
});
