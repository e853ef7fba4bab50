/**
 * Retrying a failed run, or one whose Jira hand-over failed (`deno task retry`,
 * the dashboard's admin action): the decider's `RetryRun` queues a new run
 * that names the one it retries; a worker picks it up like any other.
 *
 * @module
 */
import { handleCommand } from "../command_handler.ts";
import type { Person } from "../events.ts";
import type { EventStore } from "../ports/event_store.ts";

/** What a retry did. */
export type RetryOutcome =
  | { ok: true; runId: string; retryOf: string }
  | { ok: false; reason: string };

/** Queues the retry; `newId` makes the new run's id (and its idempotency key). */
export async function retryIssueRun(
  deps: { store: EventStore; clock: () => Date; newId: () => string },
  issueKey: string,
  request: { retryOf?: string; by: Person; actor: string; source: "cli" | "admin" },
): Promise<RetryOutcome> {
  const runId = deps.newId();
  const result = await handleCommand(deps.store, issueKey, {
    type: "RetryRun",
    issueKey,
    retryOf: request.retryOf,
    runId,
    deliveryId: `retry:${runId}`,
    source: request.source,
    requestedBy: request.by,
    now: deps.clock().toISOString(),
  }, { actor: request.actor });
  if (!result.ok) return { ok: false, reason: result.error.message };
  const queued = result.events.find((e) => e.type === "RunRequested");
  if (queued?.type !== "RunRequested") return { ok: false, reason: "nothing was queued" };
  return { ok: true, runId: queued.data.runId, retryOf: queued.data.retryOf ?? "" };
}
