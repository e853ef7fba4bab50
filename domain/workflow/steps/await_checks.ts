/**
 * Step `await_checks` (only for a repository whose routing sets `awaitChecks`):
 * waits for the pull request head's checks (check runs and commit statuses) up
 * to the time limit. When they fail and repair rounds are left, a repair run is
 * queued to act on the failures and hand over instead of this one; otherwise
 * the hand-over says how the checks ended.
 *
 * @module
 */
import { judgeChecks } from "../../checks.ts";
import type { EventOf, RecordedEvent } from "../../events.ts";
import type { RunContext } from "../run_context.ts";

/** How long CI may take to report any check at all before "no checks" is believed. */
const FIRST_REPORT_GRACE_MS = 120_000;

/** Repair rounds already spent on failed checks since the last request from a person. */
export function checkRepairsSoFar(events: readonly RecordedEvent[]): number {
  let rounds = 0;
  for (const e of events) {
    if (e.type === "RunRequested" && e.data.source !== "checks" && e.data.kind !== "completion") {
      rounds = 0;
    }
    if (e.type === "RunSucceeded" && e.data.outcome === "checks_repair") rounds++;
  }
  return rounds;
}

/** Waits for the checks and records `ChecksAwaited`. */
export async function awaitChecks(ctx: RunContext): Promise<EventOf<"ChecksAwaited">> {
  const { github, clock, settings } = ctx.deps;
  const wait = ctx.required("prepare_workspace", "WorkspacePrepared").awaitChecks ??
    { timeoutMinutes: 0, repairRounds: 0 };
  const { sha } = ctx.required("push", "BranchPushed");
  const repo = await ctx.route();
  const start = clock().getTime();
  const deadline = start + wait.timeoutMinutes * 60_000;
  let verdict = judgeChecks(await github.getCommitChecks(repo.github, sha));
  for (;;) {
    const now = clock().getTime();
    const waiting = verdict.state === "pending" ||
      (verdict.state === "none" && now < Math.min(deadline, start + FIRST_REPORT_GRACE_MS));
    if (!waiting || now >= deadline) break;
    ctx.enter("await_checks"); // stops here if the lease was lost meanwhile
    await ctx.deps.sleep(settings.checksPollMs ?? 30_000, ctx.run.signal);
    verdict = judgeChecks(await github.getCommitChecks(repo.github, sha));
  }
  const repairQueued = verdict.state === "failed" &&
    checkRepairsSoFar(ctx.events) < wait.repairRounds;
  return {
    type: "ChecksAwaited",
    data: {
      runId: ctx.runId,
      sha,
      state: verdict.state,
      failed: verdict.failed.slice(0, 100).map((f) => ({
        name: f.name.slice(0, 300),
        conclusion: f.conclusion.slice(0, 100),
      })),
      timedOut: verdict.state === "pending",
      repairQueued,
    },
  };
}
