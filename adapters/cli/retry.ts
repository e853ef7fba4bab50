/**
 * `deno task retry <KEY> [--run <id or prefix>] [--by NAME]`: queues a new run
 * for an issue whose latest run failed or whose Jira hand-over failed (the
 * decider's `RetryRun` says which may be retried).
 *
 * @module
 */
import { ISSUE_KEY_PATTERN } from "../../domain/events.ts";
import { retryIssueRun } from "../../domain/workflow/retry.ts";
import type { Store } from "../eventstore/open.ts";
import { cliOperator } from "./operator.ts";
import { resolveRunId } from "./run_ids.ts";

/** Runs the retry command; returns the exit code. */
export async function retryCommand(
  store: Store,
  issueKey: string,
  options: { run?: string; by?: string },
  print: (line: string) => void = console.log,
): Promise<number> {
  if (!ISSUE_KEY_PATTERN.test(issueKey)) {
    print(`"${issueKey}" is not a Jira issue key like ABC-123`);
    return 2;
  }
  let retryOf: string | undefined;
  if (options.run) {
    const resolved = await resolveRunId(store, options.run);
    if (!resolved.ok) {
      print(resolved.reason);
      return 1;
    }
    retryOf = resolved.runId;
  }
  const operator = cliOperator(options.by);
  const outcome = await retryIssueRun(
    { store, clock: () => new Date(), newId: () => crypto.randomUUID() },
    issueKey,
    { retryOf, by: operator.person, actor: operator.actor, source: "cli" },
  );
  if (!outcome.ok) {
    print(`nothing retried: ${outcome.reason}`);
    return 1;
  }
  print(`queued run ${outcome.runId} of ${issueKey}, retrying ${outcome.retryOf}`);
  return 0;
}
