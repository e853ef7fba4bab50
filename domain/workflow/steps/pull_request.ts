/**
 * Step `pull_request`: opens the pull request of `ai/<KEY>` (a draft when
 * validation failed), or updates the one that is open. Found by branch before
 * one is created, so a retried step never opens a second.
 *
 * @module
 */
import type { EventOf } from "../../events.ts";
import { pullRequestBody, pullRequestTitle } from "../messages.ts";
import { runMarker } from "../feedback.ts";
import type { RunContext } from "../run_context.ts";
import { previousIterations } from "./history.ts";
import { claimsText } from "./claims.ts";
import { describeSpend } from "../../pricing.ts";
import { selfReviewLine } from "../self_review.ts";

/** Opens or updates the PR and records `PullRequestOpened` / `PullRequestUpdated`. */
export async function pullRequest(
  ctx: RunContext,
): Promise<EventOf<"PullRequestOpened"> | EventOf<"PullRequestUpdated">> {
  const { github, secrets, settings } = ctx.deps;
  const repo = await ctx.route();
  const snapshot = await ctx.snapshot();
  const generated = ctx.required("generate_changes", "ChangesGenerated");
  const validation = ctx.required("validate", "ValidationCompleted");
  const key = ctx.issueKey;
  const branch = `ai/${key}`;
  const title = pullRequestTitle(key, snapshot.issue.summary);
  const body = secrets.redact(pullRequestBody({
    issueKey: key,
    issueUrl: settings.issueUrl(key),
    runId: ctx.runId,
    summary: generated.summary,
    validation: {
      configured: repo.validate.length > 0,
      passed: validation.passed,
      repairs: validation.repairs,
    },
    iterations: [
      ...previousIterations(ctx.events, ctx.runId),
      { runId: ctx.runId, summary: generated.summary, filesChanged: [] },
    ],
    claims: claimsText(ctx),
    review: selfReviewLine(generated.selfReview),
    spend: describeSpend(generated.usage, generated.costUsd ?? null),
  }));
  const existing = await github.findOpenPullRequest(repo.github, branch);
  if (existing?.body.includes(runMarker(ctx.runId))) {
    // This run opened it, and died before recording so.
    return {
      type: "PullRequestOpened",
      data: {
        runId: ctx.runId,
        number: existing.number,
        url: existing.url,
        draft: existing.draft,
        head: branch,
        base: repo.baseBranch,
      },
    };
  }
  if (existing) {
    const pr = await github.updatePullRequest({
      repo: repo.github,
      number: existing.number,
      title,
      body,
    });
    return {
      type: "PullRequestUpdated",
      data: { runId: ctx.runId, number: pr.number, url: pr.url },
    };
  }
  const opened = await github.createPullRequest({
    repo: repo.github,
    head: branch,
    base: repo.baseBranch,
    title,
    body,
    draft: !validation.passed,
  });
  const { pullRequest: pr, created } = opened;
  if (!created) {
    return {
      type: "PullRequestUpdated",
      data: { runId: ctx.runId, number: pr.number, url: pr.url },
    };
  }
  return {
    type: "PullRequestOpened",
    data: {
      runId: ctx.runId,
      number: pr.number,
      url: pr.url,
      draft: pr.draft,
      head: branch,
      base: repo.baseBranch,
      ...(opened.draftRefused ? { draftRefused: true } : {}),
    },
  };
}
