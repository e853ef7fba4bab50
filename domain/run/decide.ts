/**
 * The Run decider: the rules of AI Runner, as one small pure function per
 * command behind an exhaustive `decide` switch.
 *
 * - At most one active (claimed or retry-waiting) run per issue and at most one
 *   queued behind it; further requests are coalesced into the queued run.
 * - A delivery already seen on the stream changes nothing.
 * - Only the holder of an unexpired lease records steps or ends the run; an
 *   expired lease may be re-claimed (the stream version fences the old holder).
 * - Each step is recorded once per run, in the order of the run's step table
 *   (`steps.ts`), except the failure hand-over; finished runs accept nothing more.
 * - A GitHub fact counts only for the issue's own pull request (the one it
 *   recorded, or one from the branch it pushed) in the repository it worked
 *   in, and is recorded once whatever its delivery id.
 * - A request from someone not allowed to ask is recorded and answered by one
 *   notice; it never queues work.
 *
 * @module
 */
import type { DomainEvent } from "../events.ts";
import type {
  CancelRun,
  ClaimRun,
  CompleteRun,
  ExtendLease,
  FailRun,
  RecordIssueEffect,
  RecordPullRequestFact,
  RecordStep,
  RefuseRunRequest,
  RequestRun,
  RetryRun,
  RunCommand,
  ScheduleRetry,
} from "./commands.ts";
import { type DomainError, domainError, isDomainError } from "./errors.ts";
import {
  type IssueState,
  reviewKey,
  type RunState,
  STEP_OF_EVENT,
  TERMINAL_STATUSES,
} from "./state.ts";
import { mayRecord, nextStep } from "./steps.ts";

/** What the decider answers: the events to append (maybe none), or a refusal. */
export type Decision = DomainEvent[] | DomainError;

/** Decides what a command means for an issue in `state`. */
export function decide(command: RunCommand, state: IssueState): Decision {
  switch (command.type) {
    case "RequestRun":
      return requestRun(command, state);
    case "ClaimRun":
      return claimRun(command, state);
    case "ExtendLease":
      return extendLease(command, state);
    case "RecordStep":
      return recordStep(command, state);
    case "CompleteRun":
      return completeRun(command, state);
    case "FailRun":
      return failRun(command, state);
    case "ScheduleRetry":
      return scheduleRetry(command, state);
    case "CancelRun":
      return cancelRun(command, state);
    case "RetryRun":
      return retryRun(command, state);
    case "RecordPullRequestFact":
      return recordPullRequestFact(command, state);
    case "RefuseRunRequest":
      return refuseRunRequest(command, state);
    case "RecordIssueEffect":
      return recordIssueEffect(command);
    default: {
      const exhaustive: never = command;
      return exhaustive;
    }
  }
}

const ms = (iso: string) => Date.parse(iso);
const plus = (iso: string, millis: number) => new Date(ms(iso) + millis).toISOString();

function requestRun(c: RequestRun, s: IssueState): Decision {
  if (s.issueKey !== null && s.issueKey !== c.issueKey) {
    return domainError("issue_mismatch", `stream belongs to ${s.issueKey}, not ${c.issueKey}`);
  }
  if (c.deliveryId in s.deliveries) return [];
  const queued = s.queuedRunId !== null ? s.runs[s.queuedRunId] : undefined;
  if (queued?.kind === "notice") {
    // A refusal notice still waits, and now an allowed person asked: work will
    // happen after all, so "nothing will happen" would be wrong. Drop the notice.
    const then = requestRun(c, { ...s, queuedRunId: null });
    if (isDomainError(then)) return then;
    return [{
      type: "RunCancelled",
      data: {
        runId: queued.runId,
        reason: "an allowed person asked for a run before the refusal notice was posted",
        cancelledBy: null,
      },
    }, ...then];
  }
  if (s.queuedRunId !== null) {
    return [{
      type: "RunRequestCoalesced",
      data: {
        runId: s.queuedRunId,
        deliveryId: c.deliveryId,
        requestedBy: c.requestedBy,
        requestedAt: c.now,
      },
    }];
  }
  return [{
    type: "RunRequested",
    data: {
      runId: c.runId,
      issueKey: c.issueKey,
      deliveryId: c.deliveryId,
      source: c.source,
      requestedBy: c.requestedBy,
      requestedAt: c.now,
      ...(c.requesterBasis ? { requesterBasis: c.requesterBasis } : {}),
    },
  }];
}

function findRun(s: IssueState, runId: string): RunState | DomainError {
  return s.runs[runId] ?? domainError("run_not_found", `no run ${runId} on this issue`);
}

function open(s: IssueState, runId: string): RunState | DomainError {
  const run = findRun(s, runId);
  if (isDomainError(run)) return run;
  if (TERMINAL_STATUSES.has(run.status)) {
    return domainError("run_finished", `run ${runId} has already ${run.status}`);
  }
  return run;
}

/** The run, if `leaseId` holds its lease and the lease has not expired at `now`. */
function heldRun(
  s: IssueState,
  runId: string,
  leaseId: string,
  now: string,
): RunState | DomainError {
  const run = open(s, runId);
  if (isDomainError(run)) return run;
  if (run.status !== "claimed" || run.lease?.leaseId !== leaseId) {
    return domainError("lease_not_held", `lease ${leaseId} does not hold run ${runId}`);
  }
  if (ms(run.lease.expiresAt) <= ms(now)) {
    return domainError(
      "lease_expired",
      `the lease on run ${runId} expired at ${run.lease.expiresAt}`,
    );
  }
  return run;
}

function claimRun(c: ClaimRun, s: IssueState): Decision {
  const run = open(s, c.runId);
  if (isDomainError(run)) return run;
  switch (run.status) {
    case "queued":
      if (s.activeRunId !== null) {
        return domainError("issue_busy", `run ${s.activeRunId} is still active on this issue`);
      }
      break;
    case "claimed":
      if (run.lease && ms(run.lease.expiresAt) > ms(c.now)) {
        return domainError(
          "lease_held",
          `run ${c.runId} is leased to ${run.lease.workerId} until ${run.lease.expiresAt}`,
        );
      }
      break;
    case "retry_wait":
      if (run.notBefore && ms(run.notBefore) > ms(c.now)) {
        return domainError(
          "not_due",
          `run ${c.runId} is not to be retried before ${run.notBefore}`,
        );
      }
      break;
  }
  return [{
    type: "RunClaimed",
    data: {
      runId: c.runId,
      workerId: c.workerId,
      leaseId: c.leaseId,
      leaseExpiresAt: plus(c.now, c.leaseMs),
      attempt: run.attempt + 1,
    },
  }];
}

function extendLease(c: ExtendLease, s: IssueState): Decision {
  const run = heldRun(s, c.runId, c.leaseId, c.now);
  if (isDomainError(run)) return run;
  return [{
    type: "RunLeaseExtended",
    data: {
      runId: c.runId,
      leaseId: c.leaseId,
      leaseExpiresAt: plus(c.now, c.leaseMs),
      ...(c.progress ? { progress: { ...c.progress } } : {}),
    },
  }];
}

function recordStep(c: RecordStep, s: IssueState): Decision {
  const run = heldRun(s, c.runId, c.leaseId, c.now);
  if (isDomainError(run)) return run;
  const step = STEP_OF_EVENT[c.step.type];
  if (!step) return domainError("not_a_step", `${c.step.type} is not a workflow step`);
  if (c.step.data.runId !== c.runId) {
    return domainError("not_a_step", `the ${c.step.type} event names another run`);
  }
  if (run.steps[step]) {
    return domainError(
      "step_already_recorded",
      `step ${step} of run ${c.runId} is already recorded`,
    );
  }
  const failureReport = c.failureReport === true &&
    (c.step.type === "JiraAssigned" ||
      (c.step.type === "JiraCommented" && c.step.data.purpose === "failure"));
  if (!mayRecord(run, c.step, failureReport)) {
    const next = nextStep(run);
    return domainError(
      "step_out_of_order",
      `run ${c.runId} cannot record ${step} now (next: ${next.done ? "nothing" : next.step})`,
    );
  }
  return [c.step];
}

function completeRun(c: CompleteRun, s: IssueState): Decision {
  const run = heldRun(s, c.runId, c.leaseId, c.now);
  if (isDomainError(run)) return run;
  const succeeded: DomainEvent = {
    type: "RunSucceeded",
    data: { runId: c.runId, outcome: c.outcome, summary: c.summary },
  };
  if (c.outcome !== "checks_repair" || s.queuedRunId !== null || !c.followUpRunId) {
    // A run already waiting acts on the failed checks too (it fetches them).
    return [succeeded];
  }
  return [succeeded, {
    type: "RunRequested",
    data: {
      runId: c.followUpRunId,
      issueKey: s.issueKey ?? "",
      deliveryId: `checks:${c.runId}`,
      source: "checks",
      requestedBy: null,
      requestedAt: c.now,
    },
  }];
}

function failRun(c: FailRun, s: IssueState): Decision {
  const run = heldRun(s, c.runId, c.leaseId, c.now);
  if (isDomainError(run)) return run;
  return [{
    type: "RunFailed",
    data: { runId: c.runId, step: c.step, reason: c.reason, kind: c.kind },
  }];
}

function scheduleRetry(c: ScheduleRetry, s: IssueState): Decision {
  const run = heldRun(s, c.runId, c.leaseId, c.now);
  if (isDomainError(run)) return run;
  return [{
    type: "RunRetryScheduled",
    data: {
      runId: c.runId,
      step: c.step,
      reason: c.reason,
      retry: run.attempt,
      notBefore: c.notBefore,
    },
  }];
}

function cancelRun(c: CancelRun, s: IssueState): Decision {
  const runId = c.runId ?? s.activeRunId ?? s.queuedRunId;
  if (runId === null) return domainError("run_not_found", "this issue has no active or queued run");
  const run = open(s, runId);
  if (isDomainError(run)) return run;
  return [{
    type: "RunCancelled",
    data: { runId, reason: c.reason, cancelledBy: c.cancelledBy },
  }];
}

/** Why a GitHub fact is not about this issue's pull request, or null when it is. */
function foreignFact(c: RecordPullRequestFact, s: IssueState): string | null {
  const number = c.fact.data.number;
  if (s.repo === null) return `the runner has not worked on ${c.issueKey} in any repository`;
  if (s.repo.toLowerCase() !== c.repo.toLowerCase()) {
    return `${c.issueKey} is worked in ${s.repo}, not ${c.repo}`;
  }
  if (s.pullRequest !== null) {
    return s.pullRequest.number === number
      ? null
      : `the pull request of ${c.issueKey} is #${s.pullRequest.number}, not #${number}`;
  }
  if (!s.branchPushed || c.headRef !== `ai/${c.issueKey}`) {
    return `no pull request is recorded for ${c.issueKey} and #${number} is not from the ` +
      `branch the runner pushed`;
  }
  return null;
}

/** True when the same merge, close or review is already recorded (any delivery id). */
function factAlreadyRecorded(c: RecordPullRequestFact, s: IssueState): boolean {
  const f = c.fact;
  if (f.type === "PrReviewed") {
    return f.data.reviewId !== undefined && reviewKey(c.repo, f.data.reviewId) in s.reviews;
  }
  const pr = s.pullRequest;
  if (pr === null || pr.number !== f.data.number) return false;
  // A merged PR stays merged; a close is the same fact while the PR is still closed.
  return pr.state === "merged" || (f.type === "PrClosed" && pr.state === "closed");
}

/**
 * True when a finished run left the ticket without its Jira hand-over: it
 * failed at a Jira step, or it ended without the run's Jira comment recorded
 * (the ticket may still sit with the AI user with nothing said on it). Not a
 * run that by design says nothing: one whose failed checks queued a repair run
 * (that run hands over), or a completion that found the issue already Done.
 */
export function jiraHandOverFailed(run: RunState): boolean {
  if (!TERMINAL_STATUSES.has(run.status) || run.status === "cancelled") return false;
  const checks = run.steps.await_checks;
  if (checks?.type === "ChecksAwaited" && checks.data.repairQueued) return false;
  const moved = run.steps.jira_transition;
  if (run.kind === "completion" && moved?.type === "JiraTransitioned" && moved.data.alreadyThere) {
    return false;
  }
  return run.steps.jira_comment === undefined;
}

function retryRun(c: RetryRun, s: IssueState): Decision {
  if (s.issueKey !== null && s.issueKey !== c.issueKey) {
    return domainError("issue_mismatch", `stream belongs to ${s.issueKey}, not ${c.issueKey}`);
  }
  if (c.deliveryId in s.deliveries) return [];
  const ids = Object.keys(s.runs);
  const targetId = c.retryOf ?? ids[ids.length - 1];
  if (targetId === undefined) return domainError("run_not_found", "this issue has no run");
  const target = findRun(s, targetId);
  if (isDomainError(target)) return target;
  if (s.activeRunId !== null || s.queuedRunId !== null) {
    return domainError(
      "issue_busy",
      `run ${s.activeRunId ?? s.queuedRunId} of this issue is active or queued; nothing to retry`,
    );
  }
  if (ids[ids.length - 1] !== targetId) {
    return domainError("not_retryable", `run ${targetId} was followed by a later run`);
  }
  const retryable = target.status === "failed" ||
    (target.status === "succeeded" && target.kind === "change" && jiraHandOverFailed(target));
  if (!retryable) {
    return domainError(
      "not_retryable",
      `run ${targetId} ${target.status}: only a failed run, or one whose Jira hand-over ` +
        "failed, can be retried",
    );
  }
  return [{
    type: "RunRequested",
    data: {
      runId: c.runId,
      issueKey: c.issueKey,
      deliveryId: c.deliveryId,
      source: c.source,
      requestedBy: c.requestedBy,
      requestedAt: c.now,
      ...(target.kind === "completion" ? { kind: "completion" as const } : {}),
      retryOf: targetId,
    },
  }];
}

function recordPullRequestFact(c: RecordPullRequestFact, s: IssueState): Decision {
  if (s.issueKey !== null && s.issueKey !== c.issueKey) {
    return domainError("issue_mismatch", `stream belongs to ${s.issueKey}, not ${c.issueKey}`);
  }
  if (c.fact.data.deliveryId in s.deliveries) return [];
  const foreign = foreignFact(c, s);
  if (foreign !== null) return domainError("not_our_pull_request", foreign);
  if (factAlreadyRecorded(c, s)) return [];
  if (c.fact.type === "PrReviewed") return [c.fact];
  const merged = c.fact.type === "PrMerged";
  const events: DomainEvent[] = [c.fact];
  let queued = s.queuedRunId ? s.runs[s.queuedRunId] : null;
  if ((merged && queued?.kind === "change") || queued?.kind === "notice") {
    // Another iteration of a merged PR makes no sense, and a waiting refusal
    // notice is overtaken by the PR's end: drop it, say why.
    events.push({
      type: "RunCancelled",
      data: {
        runId: queued.runId,
        reason: queued.kind === "notice"
          ? "the pull request ended before the refusal notice was posted"
          : "the pull request was merged before this run started",
        cancelledBy: null,
      },
    });
    queued = null;
  }
  if (queued?.kind === "completion" || (queued && !merged)) {
    // A run is already waiting; it will see the PR's state when it runs.
    return events;
  }
  events.push({
    type: "RunRequested",
    data: {
      runId: c.runId,
      issueKey: c.issueKey,
      deliveryId: `completion:${c.fact.data.deliveryId}`,
      source: "github",
      requestedBy: null,
      requestedAt: c.now,
      kind: "completion",
    },
  });
  return events;
}

function refuseRunRequest(c: RefuseRunRequest, s: IssueState): Decision {
  if (s.issueKey !== null && s.issueKey !== c.issueKey) {
    return domainError("issue_mismatch", `stream belongs to ${s.issueKey}, not ${c.issueKey}`);
  }
  if (c.deliveryId in s.deliveries) return [];
  // One notice at a time, and none while a run waits: it would say "nothing
  // will happen" while something will.
  const notice = s.queuedRunId === null;
  const events: DomainEvent[] = [{
    type: "RunRequestRefused",
    data: {
      deliveryId: c.deliveryId,
      requestedBy: c.requestedBy,
      requestedAt: c.now,
      reason: c.reason,
      noticeRunId: notice ? c.runId : null,
    },
  }];
  if (notice) {
    events.push({
      type: "RunRequested",
      data: {
        runId: c.runId,
        issueKey: c.issueKey,
        deliveryId: `notice:${c.deliveryId}`,
        source: "jira",
        requestedBy: c.requestedBy,
        requestedAt: c.now,
        kind: "notice",
      },
    });
  }
  return events;
}

function recordIssueEffect(c: RecordIssueEffect): Decision {
  if (c.effect.data.runId !== null) {
    return domainError("not_a_step", "an effect of a run is recorded by its lease holder");
  }
  return [c.effect];
}
