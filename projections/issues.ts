/**
 * The `issues` read model: one document per Jira issue with its active and
 * queued runs, its pull request and the outcome of its last run.
 *
 * @module
 */
import { issueKeyOfStream, type RecordedEvent } from "../domain/events.ts";
import type { Projection } from "./projection.ts";

/** An issue as the dashboard sees it. */
export interface IssueDoc {
  issueKey: string;
  summary: string | null;
  activeRunId: string | null;
  queuedRunId: string | null;
  runCount: number;
  lastRunId: string | null;
  lastOutcome: "succeeded" | "failed" | "cancelled" | null;
  pr: { number: number; url: string; state: "open" | "merged" | "closed" } | null;
  /**
   * Runs a person cancelled whose Jira comment is not recorded yet (a cancel
   * from the CLI, which has no Jira credentials): a worker posts them.
   */
  cancelCommentsOwed: string[];
  /** True when {@link cancelCommentsOwed} is not empty (a field to query on). */
  cancelCommentOwed: boolean;
  updatedAt: string;
}

function owed(doc: IssueDoc, runs: string[]): IssueDoc {
  return { ...doc, cancelCommentsOwed: runs, cancelCommentOwed: runs.length > 0 };
}

function clearRun(doc: IssueDoc, runId: string): IssueDoc {
  return {
    ...doc,
    activeRunId: doc.activeRunId === runId ? null : doc.activeRunId,
    queuedRunId: doc.queuedRunId === runId ? null : doc.queuedRunId,
    lastRunId: runId,
  };
}

/** Folds one event into an issue document. */
export function evolveIssue(doc: IssueDoc | null, e: RecordedEvent, issueKey: string): IssueDoc {
  const d: IssueDoc = {
    ...(doc ?? {
      issueKey,
      summary: null,
      activeRunId: null,
      queuedRunId: null,
      runCount: 0,
      lastRunId: null,
      lastOutcome: null,
      pr: null,
      cancelCommentsOwed: [],
      cancelCommentOwed: false,
      updatedAt: e.recordedAt,
    }),
    updatedAt: e.recordedAt,
  };
  switch (e.type) {
    case "RunRequested":
      return { ...d, queuedRunId: e.data.runId, runCount: d.runCount + 1 };
    case "RunClaimed":
      return {
        ...d,
        activeRunId: e.data.runId,
        queuedRunId: d.queuedRunId === e.data.runId ? null : d.queuedRunId,
      };
    case "IssueFetched":
      return { ...d, summary: e.data.summary };
    case "PullRequestOpened":
    case "PullRequestUpdated":
      return { ...d, pr: { number: e.data.number, url: e.data.url, state: "open" } };
    case "PrMerged":
      return { ...d, pr: { number: e.data.number, url: e.data.url, state: "merged" } };
    case "PrClosed":
      return { ...d, pr: { number: e.data.number, url: e.data.url, state: "closed" } };
    case "RunSucceeded":
      return { ...clearRun(d, e.data.runId), lastOutcome: "succeeded" };
    case "RunFailed":
      return { ...clearRun(d, e.data.runId), lastOutcome: "failed" };
    case "RunCancelled": {
      const next = { ...clearRun(d, e.data.runId), lastOutcome: "cancelled" as const };
      // The decider's own cancels (e.g. "merged before this run started") owe no comment.
      return e.data.cancelledBy
        ? owed(next, [...(d.cancelCommentsOwed ?? []), e.data.runId])
        : next;
    }
    case "JiraCommented": {
      const cause = e.metadata.causationId ?? "";
      if (e.data.purpose !== "cancelled" || !cause.startsWith("run:")) return d;
      return owed(d, (d.cancelCommentsOwed ?? []).filter((id) => id !== cause.slice(4)));
    }
    default:
      return d;
  }
}

/** The `issues` projection. */
export const issuesProjection: Projection<IssueDoc> = {
  name: "issues",
  version: 2,
  keys(e) {
    const key = issueKeyOfStream(e.stream);
    return key ? [key] : [];
  },
  evolve: (doc, e, id) => evolveIssue(doc, e, id),
};
