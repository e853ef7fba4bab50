/**
 * The `accountability` read model: per issue, who asked for each run, what each
 * run did, who reviewed (Jira feedback authors, PR reviewers), who approved,
 * who merged or closed the PR, with times. What `deno task audit <KEY>` prints
 * and the dashboard shows.
 *
 * @module
 */
import { issueKeyOfStream, type Person, type RecordedEvent } from "../domain/events.ts";
import type { Projection } from "./projection.ts";

/** One request for a run (including the ones folded into a queued run). */
export interface RequestRecord {
  runId: string;
  by: Person | null;
  actor: string;
  at: string;
  source: string;
  /** True when it was folded into a run already queued. */
  coalesced: boolean;
}

/** What one run did. */
export interface RunRecord {
  runId: string;
  kind: "change" | "completion" | "notice";
  requestedAt: string;
  workers: string[];
  attempts: number;
  summary: string | null;
  filesChanged: string[];
  model: string | null;
  tokens: { input: number; output: number };
  validationPassed: boolean | null;
  commit: string | null;
  pr: { number: number; url: string } | null;
  /** Who wrote the feedback this run acted on. */
  actedOn: { source: string; displayName: string }[];
  outcome: string | null;
  finishedAt: string | null;
  cancelledBy: Person | null;
}

/** The accountability record of one issue. */
export interface AccountabilityDoc {
  issueKey: string;
  requests: RequestRecord[];
  runs: RunRecord[];
  /** People whose feedback runs acted on, or who reviewed the PR. */
  reviewers: { name: string; source: "jira" | "github"; at: string; state?: string }[];
  approvals: { by: string; at: string; pr: number }[];
  merged: { by: string | null; at: string; sha: string | null; pr: number } | null;
  closed: { by: string | null; at: string; pr: number } | null;
  /** When the ticket reached the Done status after the merge (by the runner, or found so). */
  doneAt: string | null;
}

function withRun(doc: AccountabilityDoc, runId: string, f: (r: RunRecord) => RunRecord) {
  return { ...doc, runs: doc.runs.map((r) => (r.runId === runId ? f(r) : r)) };
}

/** Folds one event into an issue's accountability record. */
export function evolveAccountability(
  current: AccountabilityDoc | null,
  e: RecordedEvent,
  issueKey: string,
): AccountabilityDoc {
  const doc: AccountabilityDoc = current ?? {
    issueKey,
    requests: [],
    runs: [],
    reviewers: [],
    approvals: [],
    merged: null,
    closed: null,
    doneAt: null,
  };
  const request = (runId: string, by: Person | null, coalesced: boolean, source: string) => ({
    ...doc,
    requests: [...doc.requests, {
      runId,
      by,
      actor: e.metadata.actor,
      at: e.recordedAt,
      source,
      coalesced,
    }],
  });
  switch (e.type) {
    case "RunRequested": {
      const d = e.data;
      const next = request(d.runId, d.requestedBy, false, d.source);
      return {
        ...next,
        runs: [...next.runs, {
          runId: d.runId,
          kind: d.kind ?? "change",
          requestedAt: d.requestedAt,
          workers: [],
          attempts: 0,
          summary: null,
          filesChanged: [],
          model: null,
          tokens: { input: 0, output: 0 },
          validationPassed: null,
          commit: null,
          pr: null,
          actedOn: [],
          outcome: null,
          finishedAt: null,
          cancelledBy: null,
        }],
      };
    }
    case "RunRequestCoalesced":
      return request(e.data.runId, e.data.requestedBy, true, "jira");
    case "RunClaimed":
      return withRun(doc, e.data.runId, (r) => ({
        ...r,
        attempts: e.data.attempt,
        workers: r.workers.includes(e.data.workerId) ? r.workers : [...r.workers, e.data.workerId],
      }));
    case "IssueFetched": {
      const from = e.data.feedbackFrom ?? [];
      const next = withRun(doc, e.data.runId, (r) => ({
        ...r,
        actedOn: from.map((f) => ({ source: f.source, displayName: f.displayName })),
      }));
      return {
        ...next,
        reviewers: [
          ...next.reviewers,
          ...from.map((f) => ({ name: f.displayName, source: f.source, at: e.recordedAt })),
        ],
      };
    }
    case "ChangesGenerated":
      return withRun(doc, e.data.runId, (r) => ({
        ...r,
        summary: e.data.summary,
        filesChanged: e.data.filesChanged,
        model: `${e.data.provider}/${e.data.model}`,
        tokens: {
          input: r.tokens.input + e.data.usage.inputTokens,
          output: r.tokens.output + e.data.usage.outputTokens,
        },
      }));
    case "ValidationCompleted":
      return withRun(doc, e.data.runId, (r) => ({ ...r, validationPassed: e.data.passed }));
    case "ChangesCommitted":
      return withRun(doc, e.data.runId, (r) => ({ ...r, commit: e.data.sha }));
    case "PullRequestOpened":
    case "PullRequestUpdated":
      return withRun(doc, e.data.runId, (r) => ({
        ...r,
        pr: { number: e.data.number, url: e.data.url },
      }));
    case "RunSucceeded":
      return withRun(doc, e.data.runId, (r) => ({
        ...r,
        outcome: e.data.outcome,
        finishedAt: e.recordedAt,
      }));
    case "RunFailed":
      return withRun(doc, e.data.runId, (r) => ({
        ...r,
        outcome: `failed at ${e.data.step}: ${e.data.reason}`,
        finishedAt: e.recordedAt,
      }));
    case "RunCancelled":
      return withRun(doc, e.data.runId, (r) => ({
        ...r,
        outcome: `cancelled: ${e.data.reason}`,
        finishedAt: e.recordedAt,
        cancelledBy: e.data.cancelledBy,
      }));
    case "PrReviewed": {
      const d = e.data;
      return {
        ...doc,
        reviewers: [...doc.reviewers, {
          name: d.reviewer,
          source: "github",
          at: d.submittedAt,
          state: d.state,
        }],
        approvals: d.state === "approved"
          ? [...doc.approvals, { by: d.reviewer, at: d.submittedAt, pr: d.number }]
          : doc.approvals,
      };
    }
    case "PrMerged":
      return {
        ...doc,
        merged: {
          by: e.data.mergedBy,
          at: e.data.mergedAt,
          sha: e.data.mergeSha,
          pr: e.data.number,
        },
      };
    case "PrClosed":
      return { ...doc, closed: { by: e.data.closedBy, at: e.data.closedAt, pr: e.data.number } };
    case "JiraTransitioned":
      return doc.merged && !doc.doneAt ? { ...doc, doneAt: e.recordedAt } : doc;
    default:
      return doc;
  }
}

/** The `accountability` projection. */
export const accountabilityProjection: Projection<AccountabilityDoc> = {
  name: "accountability",
  version: 1,
  keys(e) {
    const key = issueKeyOfStream(e.stream);
    return key ? [key] : [];
  },
  evolve: (doc, e, id) => evolveAccountability(doc, e, id),
};
