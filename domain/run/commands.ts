/**
 * The commands the Run decider accepts. Time (`now`, ISO-8601) and new ids
 * (`runId`, `leaseId`) are passed in so the decider stays pure.
 *
 * @module
 */
import type { EventOf, Person } from "../events.ts";

/** The workflow step events, recorded once per run by its lease holder. */
export type StepEvent =
  | EventOf<"IssueFetched">
  | EventOf<"WorkspacePrepared">
  | EventOf<"ChangesGenerated">
  | EventOf<"ValidationCompleted">
  | EventOf<"DiffScanned">
  | EventOf<"ChecksAwaited">
  | EventOf<"ChangesCommitted">
  | EventOf<"BranchPushed">
  | EventOf<"PullRequestOpened">
  | EventOf<"PullRequestUpdated">
  | EventOf<"JiraCommented">
  | EventOf<"JiraTransitioned">
  | EventOf<"JiraAssigned">;

/** Events that GitHub's webhooks report about the issue's pull request. */
export type PullRequestFact = EventOf<"PrReviewed"> | EventOf<"PrMerged"> | EventOf<"PrClosed">;

/** Somebody asked for a run (the Jira webhook, the CLI, the demo). */
export interface RequestRun {
  type: "RequestRun";
  issueKey: string;
  /** Id for the run if a new one is queued. */
  runId: string;
  deliveryId: string;
  source: "jira" | "cli" | "admin" | "demo";
  requestedBy: Person | null;
  /** Why the requester may ask, when the intake judged it (recorded on `RunRequested`). */
  requesterBasis?: "listed" | "reviewer" | "group" | "open";
  now: string;
}

/** A worker takes a run (queued, due for retry, or with an expired lease). */
export interface ClaimRun {
  type: "ClaimRun";
  runId: string;
  workerId: string;
  leaseId: string;
  leaseMs: number;
  now: string;
}

/** How far a run has got, reported with a lease heartbeat (see `RunLeaseExtended`). */
export interface RunProgressReport {
  turns: number;
  toolCalls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd?: number;
}

/** The lease holder keeps its lease alive (and may say how far it has got). */
export interface ExtendLease {
  type: "ExtendLease";
  runId: string;
  leaseId: string;
  leaseMs: number;
  now: string;
  progress?: RunProgressReport;
}

/** The lease holder records the outcome of one workflow step. */
export interface RecordStep {
  type: "RecordStep";
  runId: string;
  leaseId: string;
  now: string;
  step: StepEvent;
  /** The failure hand-over (failure comment, reviewer assigned), allowed out of order. */
  failureReport?: boolean;
}

/** The lease holder ends the run successfully. */
export interface CompleteRun {
  type: "CompleteRun";
  runId: string;
  leaseId: string;
  now: string;
  outcome: "pr_opened" | "pr_updated" | "no_changes" | "completed" | "checks_repair";
  summary: string;
  /** With `checks_repair`: the id of the repair run to queue. */
  followUpRunId?: string;
}

/** The lease holder ends the run as failed. */
export interface FailRun {
  type: "FailRun";
  runId: string;
  leaseId: string;
  now: string;
  step: string;
  reason: string;
  kind: "permanent" | "transient_exhausted" | "budget" | "lease" | "config" | "bug";
}

/** The lease holder gives the run back to be retried after `notBefore`. */
export interface ScheduleRetry {
  type: "ScheduleRetry";
  runId: string;
  leaseId: string;
  now: string;
  step: string;
  reason: string;
  notBefore: string;
}

/** Somebody cancels the issue's active (or queued) run. */
export interface CancelRun {
  type: "CancelRun";
  /** The run to cancel; when omitted, the active run, else the queued one. */
  runId?: string;
  reason: string;
  cancelledBy: Person | null;
  now: string;
}

/**
 * An operator retries a failed run, or one whose Jira hand-over failed (the
 * CLI's `retry`, the dashboard's admin action): a new run is queued for the
 * issue, recording which run it retries.
 */
export interface RetryRun {
  type: "RetryRun";
  issueKey: string;
  /** The run to retry; when omitted, the issue's latest run. */
  retryOf?: string;
  /** Id of the new run. */
  runId: string;
  /** Makes a repeated retry request a no-op (e.g. `retry:<retryOf>:<nonce>`). */
  deliveryId: string;
  source: "cli" | "admin";
  requestedBy: Person | null;
  now: string;
}

/**
 * GitHub reported a review, merge or close of the issue's pull request. A merge
 * or close also queues a completion run (id `runId`) that reports it on Jira.
 *
 * The fact counts only for the pull request the runner recorded for the issue
 * (or, when none is recorded, one from the branch the runner pushed), in the
 * repository the runner worked in; anything else is refused with
 * `not_our_pull_request`. A fact already recorded (the same merge, close or
 * review) changes nothing, whatever its delivery id.
 */
export interface RecordPullRequestFact {
  type: "RecordPullRequestFact";
  issueKey: string;
  fact: PullRequestFact;
  /** The repository the event came from (`owner/name`). */
  repo: string;
  /** The pull request's head branch. */
  headRef: string;
  runId: string;
  now: string;
}

/**
 * Somebody not allowed to ask for work assigned the ticket to the AI user: the
 * refusal is recorded and a notice run (id `runId`) queued to say so on Jira.
 */
export interface RefuseRunRequest {
  type: "RefuseRunRequest";
  issueKey: string;
  deliveryId: string;
  requestedBy: Person | null;
  reason: string;
  /** Id of the notice run, if one is queued. */
  runId: string;
  now: string;
}

/** An effect on Jira made outside any run (e.g. the comment announcing a cancellation). */
export interface RecordIssueEffect {
  type: "RecordIssueEffect";
  effect: EventOf<"JiraCommented"> | EventOf<"JiraTransitioned"> | EventOf<"JiraAssigned">;
}

/** Every command of the Run decider. */
export type RunCommand =
  | RequestRun
  | ClaimRun
  | ExtendLease
  | RecordStep
  | CompleteRun
  | FailRun
  | ScheduleRetry
  | CancelRun
  | RetryRun
  | RecordPullRequestFact
  | RefuseRunRequest
  | RecordIssueEffect;
