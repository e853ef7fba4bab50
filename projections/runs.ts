/**
 * The `runs` read model: one document per run with its status, attempt, branch,
 * pull request, timings, tokens and last error.
 *
 * @module
 */
import { issueKeyOfStream, type Person, type RecordedEvent } from "../domain/events.ts";
import type { RunStatus } from "../domain/run/state.ts";
import { attentionOf, type AttentionReason } from "./attention.ts";
import type { Projection } from "./projection.ts";

/** How far a working run has got, from its latest lease heartbeat. */
export interface RunProgress {
  turns: number;
  toolCalls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd?: number;
  /** When the heartbeat carrying it was recorded. */
  at: string;
}

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
  /** Who asked, as shown: display name, else login, else account id (null: automation). */
  requester: string | null;
  requestedAt: string;
  /** Requests folded into this run after it was queued. */
  coalescedRequests: number;
  workerId: string | null;
  claimedAt: string | null;
  leaseExpiresAt: string | null;
  finishedAt: string | null;
  /** From request to finish, once finished. */
  durationMs: number | null;
  /** From request to first claim: waiting for a worker. */
  queueWaitMs: number | null;
  /** From first claim to finish: a worker's time on it. */
  workMs: number | null;
  /** The model used (`ChangesGenerated`), for cost estimates. */
  model: string | null;
  /** The run opened its pull request as a draft (validation still failed). */
  draft: boolean;
  /** The run's own Jira comment is recorded. */
  jiraCommented: boolean;
  /** Why an operator should look at it (see `attention.ts`); empty: nothing. */
  attention: AttentionReason[];
  /** True when {@link attention} is not empty (an indexable field). */
  needsAttention: boolean;
  /** The run this one retries, when an operator retried. */
  retryOf: string | null;
  /** The run that retries this one: its attention is handed on (it needs none itself). */
  retriedBy?: string | null;
  /** Live progress while it works (cleared when it ends). */
  progress: RunProgress | null;
  /** The issue's summary as last fetched (untrusted text). */
  issueSummary: string | null;
  /** Lower-case text the runs list searches: key, summary, requester, repo, reason. */
  searchText: string;
  repoId: string | null;
  branch: string | null;
  pr: { number: number; url: string } | null;
  summary: string | null;
  filesChanged: string[];
  validationPassed: boolean | null;
  tokens: { input: number; output: number };
  /** Money as billed (cache reads and writes priced as such); absent: estimate from tokens. */
  costUsd?: number;
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
    workMs: doc.claimedAt ? Date.parse(e.recordedAt) - Date.parse(doc.claimedAt) : null,
    leaseExpiresAt: null,
    progress: null,
  };
}

/** The derived fields: attention and the search text. */
function derive(doc: RunDoc): RunDoc {
  const attention = doc.retriedBy ? [] : attentionOf({
    status: doc.status,
    kind: doc.kind,
    jiraCommented: doc.jiraCommented,
    draft: doc.draft,
  });
  const searchText = [
    doc.issueKey,
    doc.issueSummary,
    doc.requester,
    doc.repoId,
    doc.branch,
    doc.lastError?.reason,
    doc.outcome,
    doc.runId,
  ].filter(Boolean).join(" \u0001 ").toLowerCase().slice(0, 4_000);
  return { ...doc, attention, needsAttention: attention.length > 0, searchText };
}

/** Folds one event into a run document. */
export function evolveRun(doc: RunDoc | null, e: RecordedEvent): RunDoc | null {
  const next = fold(doc, e);
  return next === null || next === doc ? next : derive(next);
}

function fold(doc: RunDoc | null, e: RecordedEvent): RunDoc | null {
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
      requester: d.requestedBy?.displayName || d.requestedBy?.login || d.requestedBy?.accountId ||
        null,
      requestedAt: d.requestedAt,
      coalescedRequests: 0,
      workerId: null,
      claimedAt: null,
      leaseExpiresAt: null,
      finishedAt: null,
      durationMs: null,
      queueWaitMs: null,
      workMs: null,
      model: null,
      draft: false,
      jiraCommented: false,
      attention: [],
      needsAttention: false,
      retryOf: d.retryOf ?? null,
      progress: null,
      issueSummary: null,
      searchText: "",
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
        queueWaitMs: doc.queueWaitMs ?? Date.parse(e.recordedAt) - Date.parse(doc.requestedAt),
        leaseExpiresAt: e.data.leaseExpiresAt,
      };
    case "RunLeaseExtended":
      return {
        ...base,
        leaseExpiresAt: e.data.leaseExpiresAt,
        progress: e.data.progress ? { ...e.data.progress, at: e.recordedAt } : doc.progress,
      };
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
        model: e.data.model,
        summary: e.data.summary,
        filesChanged: e.data.filesChanged,
        tokens: {
          input: doc.tokens.input + e.data.usage.inputTokens,
          output: doc.tokens.output + e.data.usage.outputTokens,
        },
        ...(e.data.costUsd !== undefined ? { costUsd: (doc.costUsd ?? 0) + e.data.costUsd } : {}),
      });
    case "ValidationCompleted":
      return withStep({ validationPassed: e.data.passed });
    case "ChangesCommitted":
      return withStep({ filesChanged: e.data.filesChanged });
    case "PullRequestOpened":
      return withStep({ pr: { number: e.data.number, url: e.data.url }, draft: e.data.draft });
    case "PullRequestUpdated":
      return withStep({ pr: { number: e.data.number, url: e.data.url } });
    case "IssueFetched":
      return withStep({ issueSummary: e.data.summary });
    case "JiraCommented":
      return withStep({ jiraCommented: true });
    case "BranchPushed":
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
  version: 5,
  keys(e) {
    if (!issueKeyOfStream(e.stream)) return [];
    // A retry also touches the run it retries (which then needs no attention).
    if (e.type === "RunRequested" && e.data.retryOf) return [e.data.runId, e.data.retryOf];
    const id = runIdOf(e);
    return id ? [id] : [];
  },
  evolve: (doc, e, id) => {
    if (e.type === "RunRequested" && id !== e.data.runId) {
      return doc ? derive({ ...doc, retriedBy: e.data.runId, updatedAt: e.recordedAt }) : doc;
    }
    return evolveRun(doc, e);
  },
};
