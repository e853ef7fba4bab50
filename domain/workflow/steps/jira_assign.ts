/**
 * Step `jira_assign`: hands the issue to the reviewer.
 *
 * @module
 */
import type { EventOf } from "../../events.ts";
import type { RunContext } from "../run_context.ts";

/** Assigns the reviewer and records `JiraAssigned`. */
export async function jiraAssign(ctx: RunContext): Promise<EventOf<"JiraAssigned">> {
  const reviewer = ctx.deps.settings.reviewerAccountId;
  await ctx.deps.jira.assign(ctx.issueKey, reviewer);
  return { type: "JiraAssigned", data: { runId: ctx.runId, accountId: reviewer } };
}
