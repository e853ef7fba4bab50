/**
 * Cancelling an issue's run (`deno task cancel <KEY>`, the admin route): the
 * run ends as cancelled, a worker working on it stops at its next step (its
 * lease is gone), the ticket gets a comment, and the branch is left as it is.
 *
 * @module
 */
import { handleCommand } from "../command_handler.ts";
import type { Person } from "../events.ts";
import type { EventStore } from "../ports/event_store.ts";
import type { JiraClient } from "../ports/jira.ts";
import type { SecretFilter } from "../ports/secrets.ts";

/** What cancelling did. */
export type CancelOutcome =
  | { ok: true; runId: string; commentId: string | null; commentError?: string }
  | { ok: false; reason: string };

/** Cancels the active (else the queued) run of an issue and says so on Jira. */
export async function cancelIssueRun(
  deps: { store: EventStore; jira: JiraClient; secrets: SecretFilter; clock: () => Date },
  issueKey: string,
  request: { reason: string; by: Person; actor: string; runId?: string },
): Promise<CancelOutcome> {
  const result = await handleCommand(deps.store, issueKey, {
    type: "CancelRun",
    runId: request.runId,
    reason: request.reason,
    cancelledBy: request.by,
    now: deps.clock().toISOString(),
  }, { actor: request.actor });
  if (!result.ok) return { ok: false, reason: result.error.message };
  const cancelled = result.events.find((e) => e.type === "RunCancelled");
  const runId = cancelled?.type === "RunCancelled" ? cancelled.data.runId : "";
  const who = request.by.displayName ?? request.by.accountId ?? "an operator";
  try {
    const { id } = await deps.jira.addComment(
      issueKey,
      deps.secrets.redact([
        `**AI Runner's run for ${issueKey} was cancelled** by ${who}.`,
        "",
        `Reason: ${request.reason}`,
        "",
        `The branch \`ai/${issueKey}\` is left as it is. Assign the issue to the AI Runner user ` +
        "again to start a new run.",
        "",
        `\`ai-runner-cancel:${runId}\``,
      ].join("\n")),
    );
    await handleCommand(deps.store, issueKey, {
      type: "RecordIssueEffect",
      effect: { type: "JiraCommented", data: { runId: null, commentId: id, purpose: "cancelled" } },
    }, { actor: request.actor, causationId: `run:${runId}` });
    return { ok: true, runId, commentId: id };
  } catch (error) {
    return { ok: true, runId, commentId: null, commentError: (error as Error).message };
  }
}
