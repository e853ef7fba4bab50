/**
 * Step `fetch_issue`: reads the ticket and its comments (and, on a later run,
 * the open PR's reviews), decides what is feedback and from whom it may be
 * taken, and stores what the model will see as an artifact.
 *
 * @module
 */
import type { EventOf } from "../../events.ts";
import type { Review, ReviewComment } from "../../ports/github.ts";
import { routeIssue } from "../../routing.ts";
import { githubTrustSettings, PermissionLookup, requesterCountsForFeedback } from "../../trust.ts";
import { prepareAttachments } from "../../attachments.ts";
import { formatFailedChecks, judgeChecks } from "../../checks.ts";
import { formatRelatedIssues, relatedIssueKeys } from "../../related_issues.ts";
import { formatReviewThread, groupReviewThreads } from "../../review_threads.ts";
import { seenByEarlierRuns, selectFeedback } from "../feedback.ts";
import type { IssueSnapshot, RunContext } from "../run_context.ts";

/**
 * Who of the PR's reviewers may steer the model: write access (looked up once
 * per login for this run) or `GITHUB_TRUSTED_LOGINS`; never bots or the runner.
 */
async function githubVerdicts(
  ctx: RunContext,
  repo: string,
  items: readonly (Review | ReviewComment)[],
): Promise<(login: string | null) => true | string> {
  const { github, settings } = ctx.deps;
  if (items.length === 0) return () => "unknown_author";
  const own = await github.ownLogin().catch(() => null);
  const trust = githubTrustSettings(settings.githubTrustedLogins ?? [], own ? [own] : []);
  const lookup = new PermissionLookup(
    github,
    repo,
    (login, error) =>
      ctx.log.warn("could not read a reviewer's permission; not trusted", { login, error }),
  );
  const verdicts = new Map<string | null, true | string>();
  for (const item of items) {
    if (verdicts.has(item.author)) continue;
    const v = await lookup.trustOf({ login: item.author, type: item.authorType }, trust);
    verdicts.set(item.author, v.trusted ? true : v.reason);
  }
  return (login) => verdicts.get(login) ?? "unknown_author";
}

/** Fetches the issue and records `IssueFetched`. */
export async function fetchIssue(ctx: RunContext): Promise<EventOf<"IssueFetched">> {
  const { jira, github, settings, routing } = ctx.deps;
  const key = ctx.issueKey;
  const [issue, comments] = await Promise.all([jira.getIssue(key), jira.listComments(key)]);
  const requested = ctx.events.find((e) => e.type === "RunRequested" && e.data.runId === ctx.runId);
  const request = requested?.type === "RunRequested" ? requested.data : null;
  const requestedAt = request?.requestedAt ?? ctx.deps.clock().toISOString();
  const requesterAccountId = request?.requestedBy?.accountId ?? null;
  // Assigning a ticket makes nobody trusted: only an allowed requester's comments count.
  const requesterTrusted = requesterAccountId !== null && requesterCountsForFeedback(
    request?.requestedBy ?? null,
    {
      requesterAccountIds: new Set(settings.requesterAccountIds ?? []),
      requesterGroups: new Set(settings.requesterGroups ?? []),
      reviewerAccountId: settings.reviewerAccountId,
    },
    request?.requesterBasis,
  );
  const pr = ctx.state.pullRequest;
  const repo = routeIssue(routing, issue);
  const [reviewComments, reviews] = pr && pr.state === "open" && repo
    ? await Promise.all([
      github.listReviewComments(repo.github, pr.number),
      github.listReviews(repo.github, pr.number),
    ])
    : [[], []];
  const selection = selectFeedback({
    jiraComments: comments,
    reviewComments,
    reviews,
    seenBefore: seenByEarlierRuns(ctx.events, ctx.runId),
    aiAccountId: settings.aiAccountId,
    trustedJiraAccounts: new Set([
      settings.reviewerAccountId,
      ...settings.trustedAccountIds,
      ...(requesterTrusted && requesterAccountId ? [requesterAccountId] : []),
    ]),
    githubTrust: repo
      ? await githubVerdicts(ctx, repo.github, [...reviews, ...reviewComments])
      : () => "unknown_author",
    requestedAt,
  });
  // The whole ticket: attachments (screenshots as images), related issues.
  const attachments = await prepareAttachments(
    issue.attachments ?? [],
    (id, max) => jira.attachmentContent(id, max),
  );
  const relatedKeys = relatedIssueKeys(issue);
  const related = relatedKeys.length
    ? formatRelatedIssues(issue, await jira.briefIssues(relatedKeys).catch(() => []))
    : "";
  // Later iterations: the review threads the new feedback is in, and failed checks.
  const feedbackIds = new Set(selection.pr.map((f) => f.id));
  const threads = groupReviewThreads(
    reviewComments.filter((c) => feedbackIds.has(`review_comment:${c.id}`)),
  ).map(formatReviewThread);
  const checks = pr && pr.state === "open" && repo
    ? await github.getCommitChecks(repo.github, `ai/${key}`).catch((error) => {
      ctx.log.warn("could not read the pull request's checks", { error });
      return null;
    })
    : null;
  const failed = checks ? judgeChecks(checks).failed : [];
  const snapshot: IssueSnapshot = {
    issue,
    jiraFeedback: selection.jira,
    prFeedback: selection.pr,
    skipped: selection.skipped,
    requesterAccountId,
    seen: selection.seen,
    attachments,
    ...(related ? { related } : {}),
    ...(threads.length ? { threads } : {}),
    ...(failed.length ? { failedChecks: formatFailedChecks(failed) } : {}),
  };
  const ref = await ctx.putJson(snapshot);
  // What was read and not acted on, for auditors (the ones seen by earlier runs are old news).
  const skippedFeedback = selection.skipped
    .filter((s) => s.reason !== "seen_before" && s.reason !== "own")
    .slice(0, 1000)
    .map((s) => ({
      source: s.source ?? "jira",
      id: s.id.slice(0, 200),
      author: s.author.slice(0, 500),
      reason: (s.detail ?? s.reason).slice(0, 100),
    }));
  return {
    type: "IssueFetched",
    data: {
      runId: ctx.runId,
      summary: issue.summary.slice(0, 2000),
      status: issue.status.name,
      issueType: issue.issueType,
      labels: issue.labels,
      components: issue.components,
      assigneeAccountId: issue.assignee?.accountId ?? null,
      commentCount: comments.length,
      feedbackCommentIds: selection.jira.map((c) => c.id),
      feedbackFrom: [
        ...selection.jira.map((c) => ({
          source: "jira" as const,
          id: c.id,
          displayName: c.author.displayName || c.author.accountId,
        })),
        ...selection.pr.map((f) => ({
          source: "github" as const,
          id: f.id,
          displayName: f.author,
        })),
      ],
      ...(skippedFeedback.length ? { skippedFeedback } : {}),
      snapshot: ref,
      jiraDeployment: jira.deployment ?? "cloud",
      seen: selection.seen.slice(0, 10_000).map((s) => ({
        id: s.id.slice(0, 200),
        updated: s.updated.slice(0, 50),
      })),
    },
  };
}
