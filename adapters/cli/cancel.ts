/**
 * `deno task cancel <KEY> [--reason "…"] [--by NAME]`: cancels the issue's
 * active (or queued) run. Needs only the database: the cancel is recorded with
 * who did it (`--by` or `$USER`, and this host), and a worker posts the Jira
 * comment afterwards (see `pendingCancelComments`).
 *
 * @module
 */
import { ISSUE_KEY_PATTERN } from "../../domain/events.ts";
import { recordCancel } from "../../domain/workflow/cancel.ts";
import type { Store } from "../eventstore/open.ts";
import { cliOperator } from "./operator.ts";

/** Runs the cancel command; returns the exit code. */
export async function cancelCommand(
  store: Store,
  issueKey: string,
  reason: string,
  by: string | undefined,
  print: (line: string) => void = console.log,
): Promise<number> {
  if (!ISSUE_KEY_PATTERN.test(issueKey)) {
    print(`"${issueKey}" is not a Jira issue key like ABC-123`);
    return 2;
  }
  const operator = cliOperator(by);
  const outcome = await recordCancel(
    { store, clock: () => new Date() },
    issueKey,
    { reason, by: operator.person, actor: operator.actor },
  );
  if (!outcome.ok) {
    print(`nothing cancelled: ${outcome.reason}`);
    return 1;
  }
  print(
    `cancelled run ${outcome.runId} of ${issueKey} as ${operator.actor}; a worker on it stops ` +
      "at its next step, and a worker posts the cancel on Jira",
  );
  return 0;
}
