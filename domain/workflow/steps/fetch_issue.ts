/**
 * Step `fetch_issue`: reads the ticket and its comments (and, on a later run,
 * the open PR's reviews), decides what is feedback, and stores what the model
 * will see as an artifact.
 *
 * @module
 */
import type { EventOf } from "../../events.ts";
import { routeIssue } from "../../routing.ts";
import { seenByEarlierRuns, selectFeedback } from "../feedback.ts";
import type { IssueSnapshot, RunContext } from "../run_context.ts";

/** Fetches the issue and records `IssueFetched`. */
export async function fetchIssue(ctx: RunContext): Promise<EventOf<"IssueFetched">> {
  const { jira, github, settings, routing } = ctx.deps;
  const key = ctx.issueKey;
  const [issue, comments] = await Promise.all([jira.getIssue(key), jira.listComments(key)]);
  const requested = ctx.events.find((e) => e.type === "RunRequested" && e.data.runId === ctx.runId);
  const requestedAt = requested?.type === "RunRequested"
    ? requested.data.requestedAt
    : ctx.deps.clock().toISOString();
  const requesterAccountId = requested?.type === "RunRequested"
    ? requested.data.requestedBy?.accountId ?? null
    : null;
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
      ...(requesterAccountId ? [requesterAccountId] : []),
    ]),
    githubTrust: () => true,
    requestedAt,
  });
  const snapshot: IssueSnapshot = {
    issue,
    jiraFeedback: selection.jira,
    prFeedback: selection.pr,
    skipped: selection.skipped,
    requesterAccountId,
    seen: selection.seen,
  };
  const ref = await ctx.putJson(snapshot);
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
      snapshot: ref,
      jiraDeployment: jira.deployment ?? "cloud",
      seen: selection.seen.slice(0, 10_000).map((s) => ({
        id: s.id.slice(0, 200),
        updated: s.updated.slice(0, 50),
      })),
    },
  };
}
