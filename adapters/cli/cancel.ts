/**
 * `deno task cancel <KEY> [--reason "…"]`: cancels the issue's active (or
 * queued) run and comments on Jira.
 *
 * @module
 */
import { ISSUE_KEY_PATTERN } from "../../domain/events.ts";
import { cancelIssueRun } from "../../domain/workflow/cancel.ts";
import type { RunnerConfig } from "../config/env.ts";
import type { Store } from "../eventstore/open.ts";
import { buildJiraClient } from "./jira_client.ts";
import { Redactor } from "../log/redact.ts";

/** Runs the cancel command; returns the exit code. */
export async function cancelCommand(
  config: RunnerConfig,
  store: Store,
  issueKey: string,
  reason: string,
  print: (line: string) => void = console.log,
): Promise<number> {
  if (!ISSUE_KEY_PATTERN.test(issueKey)) {
    print(`"${issueKey}" is not a Jira issue key like ABC-123`);
    return 2;
  }
  const user = Deno.env.get("USER") ?? "operator";
  const outcome = await cancelIssueRun(
    {
      store,
      jira: buildJiraClient(config),
      secrets: new Redactor(config.secrets),
      clock: () => new Date(),
    },
    issueKey,
    { reason, by: { displayName: `${user} (cli)` }, actor: `cli:${user}` },
  );
  if (!outcome.ok) {
    print(`nothing cancelled: ${outcome.reason}`);
    return 1;
  }
  print(`cancelled run ${outcome.runId} of ${issueKey}; a worker on it stops at its next step`);
  print(
    outcome.commentId
      ? `commented on ${issueKey} (comment ${outcome.commentId})`
      : `could not comment on Jira: ${outcome.commentError}`,
  );
  return 0;
}
