/**
 * The state of one issue stream as the Run decider sees it, and `evolve`, which
 * folds an event into it. Pure: no I/O, no clock.
 *
 * @module
 */
import type { DomainEvent, EventType } from "../events.ts";

/** Where a run stands. `claimed` and `retry_wait` are the active states. */
export type RunStatus = "queued" | "claimed" | "retry_wait" | "succeeded" | "failed" | "cancelled";

/** Statuses a run never leaves. */
export const TERMINAL_STATUSES: ReadonlySet<RunStatus> = new Set([
  "succeeded",
  "failed",
  "cancelled",
]);

/** The name of a workflow step, recorded once per run. */
export type StepName =
  | "fetch_issue"
  | "prepare_workspace"
  | "generate_changes"
  | "validate"
  | "scan_diff"
  | "commit"
  | "push"
  | "pull_request"
  | "await_checks"
  | "jira_comment"
  | "jira_transition"
  | "jira_assign";

/** Where a run is: a step, or claiming it, or reporting its failure. Failures name one of these. */
export type RunPhase = StepName | "claim" | "report_failure";

/** The step each step event records. */
export const STEP_OF_EVENT: Partial<Record<EventType, StepName>> = {
  IssueFetched: "fetch_issue",
  WorkspacePrepared: "prepare_workspace",
  ChangesGenerated: "generate_changes",
  ValidationCompleted: "validate",
  DiffScanned: "scan_diff",
  ChangesCommitted: "commit",
  BranchPushed: "push",
  PullRequestOpened: "pull_request",
  PullRequestUpdated: "pull_request",
  ChecksAwaited: "await_checks",
  JiraCommented: "jira_comment",
  JiraTransitioned: "jira_transition",
  JiraAssigned: "jira_assign",
};

/** A lease on a run: who holds it and until when. */
export interface Lease {
  workerId: string;
  leaseId: string;
  expiresAt: string;
}

/** One run of an issue. */
export interface RunState {
  runId: string;
  /** `change` (ticket → PR), `completion` (merged/closed PR → Jira) or `notice` (refusal → Jira). */
  kind: "change" | "completion" | "notice";
  status: RunStatus;
  /** How many times it has been claimed. */
  attempt: number;
  requestedAt: string;
  lease: Lease | null;
  /** With `retry_wait`: not to be claimed before this time. */
  notBefore: string | null;
  /** Step events recorded so far, each with the event's data. */
  steps: Partial<Record<StepName, DomainEvent>>;
  /** For a completion run: the pull request fact it reports (the latest before it started). */
  completes?: "merged" | "closed";
}

/** The pull request of the issue's branch, as far as the stream knows it. */
export interface PullRequestState {
  number: number;
  url: string;
  state: "open" | "merged" | "closed";
}

/** Everything the decider knows about one issue. */
export interface IssueState {
  issueKey: string | null;
  runs: Record<string, RunState>;
  /** The claimed or retry-waiting run. */
  activeRunId: string | null;
  /** The run waiting behind the active one (or for a worker). */
  queuedRunId: string | null;
  /** Every delivery seen on the stream, with the run it belongs to (null: not a run). */
  deliveries: Record<string, string | null>;
  pullRequest: PullRequestState | null;
  /** The repository the runner worked in (the latest `WorkspacePrepared`). */
  repo: string | null;
  /** Whether the runner pushed the issue's branch `ai/<KEY>`. */
  branchPushed: boolean;
  /** GitHub review ids already recorded (`<repo>#<id>`, lowercased). */
  reviews: Record<string, true>;
}

/** The state of a stream with no events. */
export function initialState(): IssueState {
  return {
    issueKey: null,
    runs: {},
    activeRunId: null,
    queuedRunId: null,
    deliveries: {},
    pullRequest: null,
    repo: null,
    branchPushed: false,
    reviews: {},
  };
}

function withRun(state: IssueState, runId: string, change: Partial<RunState>): IssueState {
  const run = state.runs[runId];
  if (!run) return state;
  return { ...state, runs: { ...state.runs, [runId]: { ...run, ...change } } };
}

function finish(state: IssueState, runId: string, status: RunStatus): IssueState {
  const next = withRun(state, runId, { status, lease: null, notBefore: null });
  return {
    ...next,
    activeRunId: next.activeRunId === runId ? null : next.activeRunId,
    queuedRunId: next.queuedRunId === runId ? null : next.queuedRunId,
  };
}

/** Folds one event into the issue's state. Unknown or foreign events change nothing. */
export function evolve(state: IssueState, event: DomainEvent): IssueState {
  switch (event.type) {
    case "RunRequested": {
      const d = event.data;
      const run: RunState = {
        runId: d.runId,
        kind: d.kind ?? "change",
        status: "queued",
        attempt: 0,
        requestedAt: d.requestedAt,
        lease: null,
        notBefore: null,
        steps: {},
        ...(d.kind === "completion" && state.pullRequest && state.pullRequest.state !== "open"
          ? { completes: state.pullRequest.state }
          : {}),
      };
      return {
        ...state,
        issueKey: state.issueKey ?? d.issueKey,
        runs: { ...state.runs, [d.runId]: run },
        queuedRunId: d.runId,
        deliveries: { ...state.deliveries, [d.deliveryId]: d.runId },
      };
    }
    case "RunRequestRefused":
      return {
        ...state,
        deliveries: { ...state.deliveries, [event.data.deliveryId]: event.data.noticeRunId },
      };
    case "RunRequestCoalesced":
      return {
        ...state,
        deliveries: { ...state.deliveries, [event.data.deliveryId]: event.data.runId },
      };
    case "RunClaimed": {
      const d = event.data;
      const next = withRun(state, d.runId, {
        status: "claimed",
        attempt: d.attempt,
        lease: { workerId: d.workerId, leaseId: d.leaseId, expiresAt: d.leaseExpiresAt },
        notBefore: null,
      });
      return {
        ...next,
        activeRunId: d.runId,
        queuedRunId: next.queuedRunId === d.runId ? null : next.queuedRunId,
      };
    }
    case "RunLeaseExtended": {
      const lease = state.runs[event.data.runId]?.lease;
      if (!lease) return state;
      return withRun(state, event.data.runId, {
        lease: { ...lease, expiresAt: event.data.leaseExpiresAt },
      });
    }
    case "RunRetryScheduled":
      return withRun(state, event.data.runId, {
        status: "retry_wait",
        lease: null,
        notBefore: event.data.notBefore,
      });
    case "RunSucceeded":
      return finish(state, event.data.runId, "succeeded");
    case "RunFailed":
      return finish(state, event.data.runId, "failed");
    case "RunCancelled":
      return finish(state, event.data.runId, "cancelled");
    case "PullRequestOpened":
    case "PullRequestUpdated": {
      const d = event.data;
      const next = recordStep(state, d.runId, event);
      return { ...next, pullRequest: { number: d.number, url: d.url, state: "open" } };
    }
    case "WorkspacePrepared":
      return { ...recordStep(state, event.data.runId, event), repo: event.data.github };
    case "BranchPushed": {
      const next = recordStep(state, event.data.runId, event);
      const ours = next.issueKey !== null && event.data.branch === `ai/${next.issueKey}`;
      return ours ? { ...next, branchPushed: true } : next;
    }
    case "IssueFetched":
    case "ChangesGenerated":
    case "ValidationCompleted":
    case "DiffScanned":
    case "ChecksAwaited":
    case "ChangesCommitted":
      return recordStep(state, event.data.runId, event);
    case "JiraCommented":
    case "JiraTransitioned":
    case "JiraAssigned":
      return event.data.runId ? recordStep(state, event.data.runId, event) : state;
    case "PrReviewed": {
      const d = event.data;
      const reviews = d.reviewId !== undefined
        ? { ...state.reviews, [reviewKey(d.repo ?? "", d.reviewId)]: true as const }
        : state.reviews;
      return { ...state, deliveries: { ...state.deliveries, [d.deliveryId]: null }, reviews };
    }
    case "PrMerged":
    case "PrClosed": {
      const d = event.data;
      const completes = event.type === "PrMerged" ? "merged" as const : "closed" as const;
      const queued = state.queuedRunId ? state.runs[state.queuedRunId] : undefined;
      // A completion run still waiting reports the latest fact when it starts.
      const next = queued?.kind === "completion" && queued.status === "queued"
        ? withRun(state, queued.runId, { completes })
        : state;
      return {
        ...next,
        deliveries: { ...state.deliveries, [d.deliveryId]: null },
        pullRequest: {
          number: d.number,
          url: d.url,
          state: completes,
        },
      };
    }
    default: {
      const exhaustive: never = event;
      return exhaustive;
    }
  }
}

function recordStep(state: IssueState, runId: string, event: DomainEvent): IssueState {
  const step = STEP_OF_EVENT[event.type];
  const run = state.runs[runId];
  if (!step || !run) return state;
  return withRun(state, runId, { steps: { ...run.steps, [step]: event } });
}

/** The key of a recorded review in {@link IssueState.reviews}. */
export function reviewKey(repo: string, reviewId: number): string {
  return `${repo.toLowerCase()}#${reviewId}`;
}

/** Folds a sequence of events from the initial state. */
export function replay(events: Iterable<DomainEvent>): IssueState {
  let state = initialState();
  for (const e of events) state = evolve(state, e);
  return state;
}
