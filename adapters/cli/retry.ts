/**
 * `deno task retry <KEY> [--run <id or prefix>] [--by NAME]`: queues a new run
 * for an issue whose latest run failed or whose Jira hand-over failed (the
 * decider's `RetryRun` says which may be retried).
 *
 * @module
 */
import { handleCommand } from "../../domain/command_handler.ts";
import { ISSUE_KEY_PATTERN, type Person } from "../../domain/events.ts";
import type { EventStore } from "../../domain/ports/event_store.ts";
import type { Store } from "../eventstore/open.ts";
import { cliOperator } from "./operator.ts";
import { resolveRunId } from "./run_ids.ts";

/** What a retry did. */
export type RetryOutcome =
  | { ok: true; runId: string; retryOf: string }
  | { ok: false; reason: string };

/** Queues the retry (shared by the CLI and the dashboard's admin action). */
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
