/**
 * Step `jira_comment`: the run's one Jira comment (its result, that nothing
 * changed, or what a merge or close of the PR meant), built from recorded facts.
 * A comment carrying the run's marker is looked for first, so a retried step
 * never posts twice. {@link postComment} also serves the failure hand-over.
 *
 * @module
 */
import type { EventData, EventOf } from "../../events.ts";
import { runMarker } from "../feedback.ts";
import { RunStopped } from "../failure.ts";
import { statusMatches } from "../../transitions.ts";
import {
  checksLine,
  closedComment,
  mergedComment,
  noChangeComment,
  resultComment,
} from "../messages.ts";
import { requestRefusedComment } from "../notice.ts";
import type { RunContext } from "../run_context.ts";
import { describeSpend } from "../../pricing.ts";
import { claimsText } from "./claims.ts";
import { selfReviewLine } from "../self_review.ts";

type Purpose = EventData<"JiraCommented">["purpose"];

/** Posts `body` unless the run's marked comment exists; the `JiraCommented` to record. */
export async function postComment(
  ctx: RunContext,
  purpose: Purpose,
  body: () => string | Promise<string>,
): Promise<EventOf<"JiraCommented">> {
  const { jira, secrets } = ctx.deps;
  const marker = runMarker(ctx.runId);
  const existing = (await jira.listComments(ctx.issueKey)).find((c) => c.bodyText.includes(marker));
  const id = existing?.id ?? (await jira.addComment(ctx.issueKey, secrets.redact(await body()))).id;
  return { type: "JiraCommented", data: { runId: ctx.runId, commentId: id, purpose } };
}

/** The fact a completion run reports: the latest merge or close before it was requested. */
export function completedFact(ctx: RunContext) {
  const requestedAt = ctx.events.findIndex((e) =>
    e.type === "RunRequested" && e.data.runId === ctx.runId
  );
  const fact = ctx.events.slice(0, requestedAt === -1 ? undefined : requestedAt).findLast((e) =>
    e.type === "PrMerged" || e.type === "PrClosed"
  );
  if (fact?.type === "PrMerged" || fact?.type === "PrClosed") return fact;
  throw new RunStopped("jira_comment", "permanent", "no merged or closed pull request to report");
}

/**
 * Posts the run's comment and records `JiraCommented`; for a merged PR whose
 * issue a person already closed, records that instead and posts nothing.
 */
export async function jiraComment(
  ctx: RunContext,
): Promise<EventOf<"JiraCommented"> | EventOf<"JiraTransitioned">> {
  const run = ctx.runState;
  if (run.kind === "notice") {
    const refusal = ctx.events.findLast((e) =>
      e.type === "RunRequestRefused" && e.data.noticeRunId === ctx.runId
    );
    if (refusal?.type !== "RunRequestRefused") {
      throw new RunStopped("jira_comment", "permanent", "no refused request to give notice of");
    }
    return await postComment(ctx, "refused", () =>
      requestRefusedComment({
        issueKey: ctx.issueKey,
        runId: ctx.runId,
        refusal: refusal.data,
        whoCanAsk: [],
      }));
  }
  if (run.kind === "completion") {
    const fact = completedFact(ctx);
    if (fact.type === "PrClosed") {
      const d = fact.data;
      return await postComment(ctx, "closed", () =>
        closedComment({
          issueKey: ctx.issueKey,
          runId: ctx.runId,
          number: d.number,
          url: d.url,
          closedBy: d.closedBy,
        }));
    }
    const done = ctx.deps.settings.transitionDone;
    const issue = await ctx.deps.jira.getIssue(ctx.issueKey);
    if (statusMatches(issue.status, done, "done")) {
      return {
        type: "JiraTransitioned",
        data: {
          runId: ctx.runId,
          transitionId: "-",
          transitionName: "",
          toStatus: issue.status.name,
          alreadyThere: true,
        },
      };
    }
    const d = fact.data;
    return await postComment(ctx, "merged", () =>
      mergedComment({
        runId: ctx.runId,
        number: d.number,
        url: d.url,
        mergedBy: d.mergedBy,
        mergeSha: d.mergeSha,
        toStatus: done,
      }));
  }
  const generated = ctx.required("generate_changes", "ChangesGenerated");
  if (ctx.required("scan_diff", "DiffScanned").empty) {
    return await postComment(
      ctx,
      "no_changes",
      () => noChangeComment(ctx.issueKey, ctx.runId, generated.summary),
    );
  }
  const snapshot = await ctx.snapshot();
  const repo = await ctx.route();
  const validation = ctx.required("validate", "ValidationCompleted");
  const committed = ctx.required("commit", "ChangesCommitted");
  const checks = ctx.recorded("await_checks", "ChecksAwaited");
  const opened = ctx.recorded("pull_request", "PullRequestOpened");
  const updated = ctx.recorded("pull_request", "PullRequestUpdated");
  const pr = opened
    ? {
      number: opened.number,
      url: opened.url,
      draft: opened.draft,
      opened: true,
      draftRefused: opened.draftRefused,
    }
    : { number: updated!.number, url: updated!.url, draft: false, opened: false };
  return await postComment(ctx, "result", () =>
    resultComment({
      issueKey: ctx.issueKey,
      runId: ctx.runId,
      summary: generated.summary,
      filesChanged: committed.filesChanged,
      validation: {
        configured: repo.validate.length > 0,
        passed: validation.passed,
        repairs: validation.repairs,
      },
      branch: `ai/${ctx.issueKey}`,
      pr,
      spend: describeSpend(generated.usage, generated.costUsd ?? null),
      claims: claimsText(ctx),
      review: selfReviewLine(generated.selfReview),
      ...(checks ? { checks: checksLine(checks) } : {}),
      jiraFeedback: snapshot.jiraFeedback,
      prFeedback: snapshot.prFeedback,
    }));
}
