/**
 * Cancelling an issue's run (`deno task cancel <KEY>`, the admin route): the
 * run ends as cancelled, a worker working on it stops at its next step (its
 * lease is gone), the ticket gets a comment, and the branch is left as it is.
 *
 * Recording the cancel needs only the store ({@link recordCancel}); the Jira
 * comment is a separate effect ({@link postCancelComment}) that whoever has
 * Jira credentials posts: the admin route at once, a worker for a cancel made
 * from the CLI ({@link pendingCancelComments} says which are owed).
 *
 * @module
 */
import { handleCommand } from "../command_handler.ts";
import type { Person, RecordedEvent } from "../events.ts";
import type { EventStore } from "../ports/event_store.ts";
import type { JiraClient } from "../ports/jira.ts";
import type { SecretFilter } from "../ports/secrets.ts";

/** What cancelling did. */
export type CancelOutcome =
  | { ok: true; runId: string; commentId: string | null; commentError?: string }
  | { ok: false; reason: string };

/** Who cancels, why, and which run (default: the active, else the queued one). */
export interface CancelRequest {
  reason: string;
  by: Person;
  actor: string;
  runId?: string;
}

/** A cancel whose Jira comment has not been recorded yet. */
export interface PendingCancelComment {
  runId: string;
  reason: string;
  by: Person;
  /** The `metadata.actor` of the cancel (the comment is recorded under it). */
  actor: string;
}

/** Records the cancel (no Jira call); returns the cancelled run's id. */
export async function recordCancel(
  deps: { store: EventStore; clock: () => Date },
  issueKey: string,
  request: CancelRequest,
): Promise<{ ok: true; runId: string } | { ok: false; reason: string }> {
  const result = await handleCommand(deps.store, issueKey, {
    type: "CancelRun",
    runId: request.runId,
    reason: request.reason,
    cancelledBy: request.by,
    now: deps.clock().toISOString(),
  }, { actor: request.actor });
  if (!result.ok) return { ok: false, reason: result.error.message };
  const cancelled = result.events.find((e) => e.type === "RunCancelled");
  return { ok: true, runId: cancelled?.type === "RunCancelled" ? cancelled.data.runId : "" };
}

/**
 * The cancels of an issue's stream that a person made (not the decider's own,
 * e.g. "merged before this run started") and whose Jira comment is not yet
 * recorded. Pure: a worker calls it on the stream it loaded.
 */
export function pendingCancelComments(events: readonly RecordedEvent[]): PendingCancelComment[] {
  const commented = new Set<string>();
  for (const e of events) {
    if (e.type === "JiraCommented" && e.data.purpose === "cancelled") {
      const cause = e.metadata.causationId ?? "";
      if (cause.startsWith("run:")) commented.add(cause.slice(4));
    }
  }
  const pending: PendingCancelComment[] = [];
  for (const e of events) {
    if (e.type !== "RunCancelled" || !e.data.cancelledBy) continue;
    if (commented.has(e.data.runId)) continue;
    pending.push({
      runId: e.data.runId,
      reason: e.data.reason,
      by: e.data.cancelledBy,
      actor: e.metadata.actor,
    });
  }
  return pending;
}

/** Posts the comment announcing a cancel and records it (`JiraCommented`, purpose `cancelled`). */
export async function postCancelComment(
  deps: { store: EventStore; jira: JiraClient; secrets: SecretFilter },
  issueKey: string,
  cancel: PendingCancelComment,
): Promise<string> {
  const who = cancel.by.displayName ?? cancel.by.accountId ?? "an operator";
  // Posted before a crash but not recorded? Then it is there, with its marker.
  const marker = `ai-runner-cancel:${cancel.runId}`;
  const existing = (await deps.jira.listComments(issueKey)).find((c) =>
    c.bodyText.includes(marker)
  );
  const { id } = existing ?? await deps.jira.addComment(
    issueKey,
    deps.secrets.redact([
      `**AI Runner's run for ${issueKey} was cancelled** by ${who}.`,
      "",
      `Reason: ${cancel.reason}`,
      "",
      `The branch \`ai/${issueKey}\` is left as it is. Assign the issue to the AI Runner user ` +
      "again to start a new run.",
      "",
      `\`${marker}\``,
    ].join("\n")),
  );
  await handleCommand(deps.store, issueKey, {
    type: "RecordIssueEffect",
    effect: { type: "JiraCommented", data: { runId: null, commentId: id, purpose: "cancelled" } },
  }, { actor: cancel.actor, causationId: `run:${cancel.runId}` });
  return id;
}

/** Cancels the active (else the queued) run of an issue and says so on Jira. */
export async function cancelIssueRun(
  deps: { store: EventStore; jira: JiraClient; secrets: SecretFilter; clock: () => Date },
  issueKey: string,
  request: CancelRequest,
): Promise<CancelOutcome> {
  const recorded = await recordCancel(deps, issueKey, request);
  if (!recorded.ok) return recorded;
  const { runId } = recorded;
  try {
    const commentId = await postCancelComment(deps, issueKey, {
      runId,
      reason: request.reason,
      by: request.by,
      actor: request.actor,
    });
    return { ok: true, runId, commentId };
  } catch (error) {
    return { ok: true, runId, commentId: null, commentError: (error as Error).message };
  }
}
