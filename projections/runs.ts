/**
 * The `runs` read model: one document per run with its status, attempt, branch,
 * pull request, timings, tokens and last error.
 *
 * @module
 */
import { issueKeyOfStream, type Person, type RecordedEvent } from "../domain/events.ts";
import type { RunStatus } from "../domain/run/state.ts";
import type { Projection } from "./projection.ts";

/** A run as the dashboard and the audit see it. */
export interface RunDoc {
  runId: string;
  issueKey: string;
  /** `change` (ticket → PR) or `completion` (merged/closed PR → Jira). */
  kind: "change" | "completion" | "notice";
  status: RunStatus;
  attempt: number;
  source: string;
  requestedBy: Person | null;
  requestedAt: string;
  /** Requests folded into this run after it was queued. */
  coalescedRequests: number;
  workerId: string | null;
  claimedAt: string | null;
  leaseExpiresAt: string | null;
  finishedAt: string | null;
  /** From request to finish, once finished. */
  durationMs: number | null;
  repoId: string | null;
  branch: string | null;
  pr: { number: number; url: string } | null;
  summary: string | null;
  filesChanged: string[];
  validationPassed: boolean | null;
  tokens: { input: number; output: number };
  outcome: string | null;
  lastError: { step: string; reason: string; kind: string } | null;
  retries: number;
  /** Steps recorded so far, in order. */
  steps: string[];
  updatedAt: string;
}

function runIdOf(e: RecordedEvent): string | null {
  const data = e.data as { runId?: string | null };
  return typeof data.runId === "string" ? data.runId : null;
}

function finished(doc: RunDoc, e: RecordedEvent, status: RunStatus): RunDoc {
  return {
    ...doc,
    status,
    finishedAt: e.recordedAt,
    durationMs: Date.parse(e.recordedAt) - Date.parse(doc.requestedAt),
    leaseExpiresAt: null,
  };
}

/** Folds one event into a run document. */
export function evolveRun(doc: RunDoc | null, e: RecordedEvent): RunDoc | null {
  if (e.type === "RunRequested") {
    const d = e.data;
    return {
      runId: d.runId,
      issueKey: d.issueKey,
      kind: d.kind ?? "change",
      status: "queued",
      attempt: 0,
      source: d.source,
      requestedBy: d.requestedBy,
      requestedAt: d.requestedAt,
      coalescedRequests: 0,
      workerId: null,
      claimedAt: null,
      leaseExpiresAt: null,
      finishedAt: null,
      durationMs: null,
      repoId: null,
      branch: null,
      pr: null,
      summary: null,
      filesChanged: [],
      validationPassed: null,
      tokens: { input: 0, output: 0 },
      outcome: null,
      lastError: null,
      retries: 0,
      steps: [],
      updatedAt: e.recordedAt,
    };
  }
  if (!doc) return null;
  const base = { ...doc, updatedAt: e.recordedAt };
  const withStep = (extra: Partial<RunDoc>): RunDoc => ({
    ...base,
    ...extra,
    steps: [...doc.steps, e.type],
  });
  switch (e.type) {
    case "RunRequestCoalesced":
      return { ...base, coalescedRequests: doc.coalescedRequests + 1 };
    case "RunClaimed":
      return {
        ...base,
        status: "claimed",
        attempt: e.data.attempt,
        workerId: e.data.workerId,
        claimedAt: doc.claimedAt ?? e.recordedAt,
        leaseExpiresAt: e.data.leaseExpiresAt,
      };
    case "RunLeaseExtended":
      return { ...base, leaseExpiresAt: e.data.leaseExpiresAt };
    case "RunRetryScheduled":
      return {
        ...base,
        status: "retry_wait",
        retries: doc.retries + 1,
        leaseExpiresAt: null,
        lastError: { step: e.data.step, reason: e.data.reason, kind: "transient" },
      };
    case "WorkspacePrepared":
      return withStep({ repoId: e.data.repoId, branch: e.data.branch });
    case "ChangesGenerated":
      return withStep({
        summary: e.data.summary,
        filesChanged: e.data.filesChanged,
        tokens: {
          input: doc.tokens.input + e.data.usage.inputTokens,
          output: doc.tokens.output + e.data.usage.outputTokens,
        },
      });
    case "ValidationCompleted":
      return withStep({ validationPassed: e.data.passed });
    case "ChangesCommitted":
      return withStep({ filesChanged: e.data.filesChanged });
    case "PullRequestOpened":
    case "PullRequestUpdated":
      return withStep({ pr: { number: e.data.number, url: e.data.url } });
    case "IssueFetched":
    case "BranchPushed":
    case "JiraCommented":
    case "JiraTransitioned":
    case "JiraAssigned":
      return withStep({});
    case "RunSucceeded":
      return { ...finished(base, e, "succeeded"), outcome: e.data.outcome, lastError: null };
    case "RunFailed":
      return {
        ...finished(base, e, "failed"),
        outcome: "failed",
        lastError: { step: e.data.step, reason: e.data.reason, kind: e.data.kind },
      };
    case "RunCancelled":
      return { ...finished(base, e, "cancelled"), outcome: "cancelled" };
    default:
      return doc;
  }
}

/** The `runs` projection. */
export const runsProjection: Projection<RunDoc> = {
  name: "runs",
  version: 2,
  keys(e) {
    if (!issueKeyOfStream(e.stream)) return [];
    const id = runIdOf(e);
    return id ? [id] : [];
  },
  evolve: (doc, e) => evolveRun(doc, e),
};
