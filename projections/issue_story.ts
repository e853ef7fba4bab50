/**
 * An issue's story told from its events alone: the one audit model. A summary
 * of every run (tokens, estimated cost, validation, pull request, what needs
 * attention) and the accountability record (who asked for each run, what it
 * did, who gave feedback, who reviewed and approved, who merged), folded one
 * event at a time by {@link evolveStory}; and, for the audit, a timeline (who
 * did what, when, how long each step took) by {@link buildTimeline}.
 *
 * The `accountability` projection stores the fold ({@link IssueStory}); the
 * audit CLI and the dashboard's issue and run pages build the same thing from
 * the stream. Run statuses are the decider's {@link RunStatus} words.
 *
 * Pure: the same events always give the same story.
 *
 * @module
 */
import type { Person, RecordedEvent } from "../domain/events.ts";
import type { RunStatus } from "../domain/run/state.ts";
import { attentionOf, type AttentionReason } from "./attention.ts";
import { type CostEstimate, formatUsd, runCost } from "./cost.ts";

/** One event as a line of the timeline. */
export interface TimelineEntry {
  position: number;
  version: number;
  /** When the store recorded it (ISO-8601). */
  at: string;
  /** `metadata.actor`: `jira:<id>`, `github:<login>`, `worker:<id>`, … */
  actor: string;
  type: string;
  /** The run it belongs to, or null for issue-level facts (reviews, merges). */
  runId: string | null;
  /** 1-based number of the run within the issue, or null. */
  runNumber: number | null;
  /** What happened, in one line. */
  text: string;
  /** Time since the run's latest claim, once claimed. */
  sinceClaimMs: number | null;
  /** Time since the run's previous event: how long this step took. */
  stepMs: number | null;
}

/** Feedback a run acted on, and who wrote it. */
export interface FeedbackAuthor {
  source: "jira" | "github";
  /** The Jira comment id, or the GitHub `review:<id>` / `review_comment:<id>`. */
  id: string;
  displayName: string;
  /** When the feedback was written, when known. */
  at?: string;
}

/** The validation of a run. */
export interface ValidationSummary {
  passed: boolean;
  repairs: number;
  commands: { command: string; exitCode: number | null; durationMs: number; timedOut: boolean }[];
}

/** Everything one run did, from its events. */
export interface RunAccount {
  runId: string;
  number: number;
  /** `change` (ticket to PR) or `completion` (reporting a merged or closed PR). */
  kind: string;
  source: string;
  requestedBy: string;
  requestedByActor: string;
  requestedAt: string;
  /** Later requests folded into this run while it was queued. */
  coalesced: { by: string; at: string }[];
  attempts: number;
  workers: string[];
  claimedAt: string | null;
  finishedAt: string | null;
  /** Request to finish. */
  durationMs: number | null;
  /** Request to first claim: time spent waiting for a worker. */
  queueWaitMs: number | null;
  /** First claim to finish: time a worker spent on it (retry waits included). */
  workMs: number | null;
  status: RunStatus;
  /** The run this one retries (an operator's `retry`), or null. */
  retryOf: string | null;
  /** The run that retries this one, or null (a retried run needs no attention itself). */
  retriedBy: string | null;
  /** Where and why it failed, for a failed run. */
  failure: { step: string; kind: string; reason: string } | null;
  /** Why an operator should look at it (empty: nothing to do). */
  attention: AttentionReason[];
  /** `pr_opened`, `pr_updated`, `no_changes`, … or the failure / cancellation reason. */
  outcome: string | null;
  repo: string | null;
  branch: string | null;
  provider: string | null;
  model: string | null;
  turns: number;
  tokens: { input: number; output: number };
  /** Estimated cost, or null when the model's family has no price. */
  cost: CostEstimate | null;
  summary: string | null;
  filesChanged: string[];
  validation: ValidationSummary | null;
  commit: string | null;
  pr: { number: number; url: string; action: "opened" | "updated"; draft: boolean } | null;
  jiraCommentId: string | null;
  transitionedTo: string | null;
  /** Who the run assigned the issue to (display name where known, else account id). */
  assignedTo: string | null;
  feedbackFrom: FeedbackAuthor[];
  retries: number;
  /** What the run did, in one sentence. */
  did: string;
}

/** A pull-request review. */
export interface ReviewRecord {
  reviewer: string;
  state: string;
  at: string;
  number: number;
  url: string;
}

/** Who asked, who did, who reviewed, who approved, who merged. */
export interface Accountability {
  requests: {
    runNumber: number;
    runId: string;
    by: string;
    actor: string;
    at: string;
    source: string;
  }[];
  runs: { runNumber: number; runId: string; did: string; status: string; at: string | null }[];
  feedback: (FeedbackAuthor & { runNumber: number; runId: string })[];
  reviews: ReviewRecord[];
  approvals: ReviewRecord[];
  merged:
    | { by: string; actor: string; at: string; sha: string | null; number: number; url: string }
    | null;
  closed: { by: string; actor: string; at: string; number: number; url: string } | null;
  /** When the ticket reached the Done status after the merge (by the runner, or found so). */
  doneAt: string | null;
}

/**
 * An issue's story without the timeline: what the `accountability` read model
 * stores, one document per issue.
 */
export interface IssueStory {
  issueKey: string;
  /** The summary last fetched from Jira (untrusted text). */
  summary: string | null;
  eventCount: number;
  runs: RunAccount[];
  accountability: Accountability;
  pr: { number: number; url: string; state: "open" | "merged" | "closed" } | null;
  totals: {
    tokens: { input: number; output: number };
    /** Sum of the runs' estimates; null when no run had a priced model. */
    costUsd: number | null;
    /** Runs with tokens but no price (their cost is not in `costUsd`). */
    unpricedRuns: number;
  };
  /** Jira account ids with the display names the stream has shown for them. */
  names: Record<string, string>;
}

/** An issue's whole story: the fold and its timeline. */
export interface IssueTimeline extends IssueStory {
  entries: TimelineEntry[];
}

/** Options of {@link buildTimeline}. */
export interface TimelineOptions {
  /**
   * Feedback authors per run id, e.g. read from the `IssueFetched` snapshot
   * artifacts; used for runs whose event does not name them itself.
   */
  feedbackAuthors?: ReadonlyMap<string, FeedbackAuthor[]>;
}

/** A person as people read it: display name, else login or account id, else the actor. */
export function personLabel(person: Person | null | undefined, actor: string): string {
  return person?.displayName || person?.login || person?.accountId || actor;
}

/** The run an event belongs to (`data.runId`), or null. */
export function runIdOf(e: { data: unknown }): string | null {
  const id = (e.data as { runId?: unknown }).runId;
  return typeof id === "string" ? id : null;
}

function ms(from: string | null, to: string): number | null {
  if (!from) return null;
  const d = Date.parse(to) - Date.parse(from);
  return Number.isFinite(d) ? Math.max(0, d) : null;
}

/** A duration for people: `850 ms`, `12.3 s`, `4 min 05 s`, `2 h 03 min`, `3 d 4 h`. */
export function formatDuration(msValue: number | null): string {
  if (msValue === null || !Number.isFinite(msValue)) return "";
  const v = Math.max(0, msValue);
  if (v < 1000) return `${Math.round(v)} ms`;
  if (v < 60_000) return `${(v / 1000).toFixed(1)} s`;
  const s = Math.round(v / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  const m = Math.floor(s / 60);
  if (m < 24 * 60) return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
  const h = Math.floor(m / 60);
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** Control characters (terminal escapes in ticket text) made visible, never interpreted. */
export function printable(text: string): string {
  return text.replace(
    // deno-lint-ignore no-control-regex
    /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
}

/** Thousands separated: `12,345`. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

function short(sha: string | null | undefined): string {
  return sha ? sha.slice(0, 12) : "?";
}

function firstLine(text: string, max = 120): string {
  const line = text.split("\n")[0].trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function requesterOf(e: RecordedEvent): string {
  if (e.type === "RunRequested" || e.type === "RunRequestCoalesced") {
    return personLabel(e.data.requestedBy, e.metadata.actor);
  }
  return e.metadata.actor;
}

/**
 * One event in one line (ticket text in it is untrusted: escape it where it is
 * rendered). `names` maps Jira account ids to display names, where known.
 */
export function describeEvent(
  e: RecordedEvent,
  names: ReadonlyMap<string, string> = new Map(),
): string {
  switch (e.type) {
    case "RunRequested": {
      const kind = (e.data as { kind?: string }).kind;
      const what = kind === "completion"
        ? "completion run"
        : kind === "notice"
        ? "refusal notice"
        : "run";
      return `${what} requested by ${requesterOf(e)} (${e.data.source})`;
    }
    case "RunRequestRefused":
      return `request by ${personLabel(e.data.requestedBy, e.metadata.actor)} REFUSED: ${
        firstLine(e.data.reason, 200)
      }` + (e.data.noticeRunId ? " (they will be told on Jira)" : "");
    case "RunRequestCoalesced":
      return `request by ${requesterOf(e)} folded into the queued run`;
    case "RunClaimed":
      return `claimed by ${e.data.workerId} (attempt ${e.data.attempt})`;
    case "RunLeaseExtended":
      return `lease extended to ${e.data.leaseExpiresAt}`;
    case "IssueFetched": {
      const feedback = e.data.feedbackCommentIds.length;
      const from = e.data.jiraDeployment === "datacenter"
        ? " from Jira Data Center"
        : e.data.jiraDeployment === "cloud"
        ? " from Jira Cloud"
        : "";
      const skipped = e.data.skippedFeedback ?? [];
      return `issue fetched${from}: "${firstLine(e.data.summary, 100)}" (${e.data.status})` +
        (feedback ? `, ${feedback} feedback comment(s)` : "") +
        (skipped.length
          ? `; not acted on: ${
            skipped.slice(0, 10).map((s) =>
              `${firstLine(s.author, 60)} on ${s.source} (${s.reason.replaceAll("_", " ")})`
            ).join(", ")
          }${skipped.length > 10 ? ` and ${skipped.length - 10} more` : ""}`
          : "");
    }
    case "WorkspacePrepared":
      return `workspace ${e.data.github} on ${e.data.branch} from ${e.data.baseBranch}` +
        (e.data.continued ? " (continued)" : "");
    case "ChangesGenerated": {
      const u = e.data.usage;
      const cost = runCost(e.data.model, u, e.data.costUsd);
      const cached = u.cacheReadTokens ? `, ${formatCount(u.cacheReadTokens)} from cache` : "";
      return `changes generated by ${e.data.provider}/${e.data.model}: ` +
        `${e.data.filesChanged.length} file(s), ${e.data.turns} turn(s), ` +
        `${formatCount(u.inputTokens)} in${cached} + ${formatCount(u.outputTokens)} out tokens` +
        (cost ? ` (~${formatUsd(cost.usd)} estimate)` : "") +
        (e.data.contextElisions ? `; older tool output elided ${e.data.contextElisions}×` : "");
    }
    case "ValidationCompleted": {
      const cmds = e.data.commands.map((c) =>
        `${firstLine(c.command, 60)}: ${c.timedOut ? "timed out" : `exit ${c.exitCode ?? "?"}`}, ${
          formatDuration(c.durationMs)
        }`
      );
      return `validation ${e.data.passed ? "passed" : "FAILED"}` +
        (cmds.length ? ` (${cmds.join("; ")})` : " (no commands)") +
        (e.data.repairs ? `, ${e.data.repairs} repair round(s)` : "");
    }
    case "ChangesCommitted":
      return `committed ${short(e.data.sha)}: ${firstLine(e.data.message)}`;
    case "BranchPushed":
      return `pushed ${e.data.branch} at ${short(e.data.sha)}`;
    case "PullRequestOpened":
      return `PR #${e.data.number} opened${e.data.draft ? " as a draft" : ""}: ${e.data.url}`;
    case "PullRequestUpdated":
      return `PR #${e.data.number} updated: ${e.data.url}`;
    case "JiraCommented":
      return `Jira comment ${e.data.commentId} posted (${e.data.purpose})`;
    case "JiraTransitioned":
      return `Jira issue moved to ${e.data.toStatus}` +
        (e.data.alreadyThere ? " (it was already there)" : "");
    case "JiraAssigned":
      return `Jira issue assigned to ${names.get(e.data.accountId) ?? e.data.accountId}`;
    case "RunSucceeded":
      return `run succeeded (${e.data.outcome})`;
    case "RunFailed":
      return `run FAILED at ${e.data.step} (${e.data.kind}): ${firstLine(e.data.reason, 200)}`;
    case "RunRetryScheduled":
      return `retry ${e.data.retry} scheduled after ${e.data.step} failed: ` +
        `${firstLine(e.data.reason, 160)} (not before ${e.data.notBefore})`;
    case "RunCancelled":
      return `run cancelled by ${personLabel(e.data.cancelledBy, e.metadata.actor)}: ${
        firstLine(e.data.reason)
      }`;
    case "PrReviewed":
      return `PR #${e.data.number} reviewed by ${e.data.reviewer}: ${
        e.data.state.replace("_", " ")
      }`;
    case "PrMerged":
      return `PR #${e.data.number} merged by ${e.data.mergedBy ?? "?"} at ${
        short(e.data.mergeSha)
      }`;
    case "PrClosed":
      return `PR #${e.data.number} closed without merging by ${e.data.closedBy ?? "?"}`;
    default:
      return (e as { type: string }).type;
  }
}

function newRun(e: RecordedEvent & { type: "RunRequested" }, number: number): RunAccount {
  return {
    runId: e.data.runId,
    number,
    kind: e.data.kind ?? "change",
    source: e.data.source,
    requestedBy: requesterOf(e),
    requestedByActor: e.metadata.actor,
    requestedAt: e.data.requestedAt,
    coalesced: [],
    attempts: 0,
    workers: [],
    claimedAt: null,
    finishedAt: null,
    durationMs: null,
    queueWaitMs: null,
    workMs: null,
    status: "queued",
    retryOf: e.data.retryOf ?? null,
    retriedBy: null,
    failure: null,
    attention: [],
    outcome: null,
    repo: null,
    branch: null,
    provider: null,
    model: null,
    turns: 0,
    tokens: { input: 0, output: 0 },
    cost: null,
    summary: null,
    filesChanged: [],
    validation: null,
    commit: null,
    pr: null,
    jiraCommentId: null,
    transitionedTo: null,
    assignedTo: null,
    feedbackFrom: [],
    retries: 0,
    did: "",
  };
}

/** The run's account after one of its events (a new object; `run` is not changed). */
function foldRun(
  previous: RunAccount,
  e: RecordedEvent,
  names: Record<string, string>,
): RunAccount {
  const run: RunAccount = { ...previous };
  switch (e.type) {
    case "RunRequestCoalesced":
      run.coalesced = [...run.coalesced, { by: requesterOf(e), at: e.data.requestedAt }];
      break;
    case "RunClaimed":
      run.attempts = Math.max(run.attempts, e.data.attempt);
      if (!run.workers.includes(e.data.workerId)) run.workers = [...run.workers, e.data.workerId];
      run.claimedAt ??= e.recordedAt;
      run.queueWaitMs ??= ms(run.requestedAt, e.recordedAt);
      run.status = "claimed";
      break;
    case "RunRetryScheduled":
      run.retries++;
      run.status = "retry_wait";
      break;
    case "IssueFetched": {
      const from = e.data.feedbackFrom;
      if (from?.length) run.feedbackFrom = from.map((f) => ({ ...f }));
      break;
    }
    case "WorkspacePrepared":
      run.repo = e.data.github;
      run.branch = e.data.branch;
      break;
    case "ChangesGenerated": {
      run.provider = e.data.provider;
      run.model = e.data.model;
      run.turns += e.data.turns;
      run.tokens = {
        input: run.tokens.input + e.data.usage.inputTokens,
        output: run.tokens.output + e.data.usage.outputTokens,
      };
      {
        const cost = runCost(e.data.model, e.data.usage, e.data.costUsd);
        run.cost = cost ? { usd: (run.cost?.usd ?? 0) + cost.usd, family: cost.family } : run.cost;
      }
      run.summary = e.data.summary;
      run.filesChanged = e.data.filesChanged;
      break;
    }
    case "ValidationCompleted":
      run.validation = {
        passed: e.data.passed,
        repairs: e.data.repairs,
        commands: e.data.commands.map((c) => ({ ...c })),
      };
      break;
    case "ChangesCommitted":
      run.commit = e.data.sha;
      run.filesChanged = e.data.filesChanged;
      break;
    case "PullRequestOpened":
      run.pr = { number: e.data.number, url: e.data.url, action: "opened", draft: e.data.draft };
      break;
    case "PullRequestUpdated":
      run.pr = { number: e.data.number, url: e.data.url, action: "updated", draft: false };
      break;
    case "JiraCommented":
      run.jiraCommentId = e.data.commentId;
      break;
    case "JiraTransitioned":
      run.transitionedTo = e.data.toStatus;
      break;
    case "JiraAssigned":
      run.assignedTo = names[e.data.accountId] ?? e.data.accountId;
      break;
    case "RunSucceeded":
      run.status = "succeeded";
      run.outcome = e.data.outcome;
      break;
    case "RunFailed":
      run.status = "failed";
      run.failure = { step: e.data.step, kind: e.data.kind, reason: e.data.reason };
      run.outcome = `failed at ${e.data.step} (${e.data.kind}): ${firstLine(e.data.reason, 200)}`;
      break;
    case "RunCancelled":
      run.status = "cancelled";
      run.outcome = `cancelled: ${firstLine(e.data.reason)}`;
      break;
  }
  if (e.type === "RunSucceeded" || e.type === "RunFailed" || e.type === "RunCancelled") {
    run.finishedAt = e.recordedAt;
    run.durationMs = ms(run.requestedAt, e.recordedAt);
    run.workMs = ms(run.claimedAt, e.recordedAt);
  }
  run.attention = attentionFor(run);
  run.did = whatRunDid(run);
  return run;
}

/** The attention rule applied to a run's account (none once an operator retried it). */
function attentionFor(run: RunAccount): AttentionReason[] {
  if (run.retriedBy) return [];
  return attentionOf({
    status: run.status,
    kind: run.kind,
    jiraCommented: run.jiraCommentId !== null,
    draft: run.pr?.draft === true,
  });
}

/** One sentence saying what a run did. */
export function whatRunDid(run: RunAccount): string {
  const files = `${run.filesChanged.length} file(s)`;
  const validation = run.validation
    ? run.validation.passed ? "validation passed" : "validation FAILED"
    : null;
  const parts: string[] = [];
  if (run.kind === "completion") {
    parts.push("reported the pull request's end back to Jira");
  } else if (run.pr) {
    parts.push(
      `${run.pr.action} PR #${run.pr.number}${run.pr.draft ? " (draft)" : ""} changing ${files}`,
    );
  } else if (run.outcome === "no_changes") {
    parts.push("made no change and asked for clarification");
  } else if (run.filesChanged.length) {
    parts.push(`changed ${files}`);
  }
  if (validation) parts.push(validation);
  if (run.transitionedTo) parts.push(`moved the issue to ${run.transitionedTo}`);
  if (run.status === "failed" || run.status === "cancelled") parts.push(run.outcome ?? run.status);
  else if (run.status === "queued") parts.push("is waiting for a worker");
  else if (run.status === "claimed") parts.push("is in progress");
  else if (run.status === "retry_wait") parts.push("is waiting to retry");
  if (run.attention.includes("jira_handover_failed")) {
    parts.push("its Jira hand-over is missing (the ticket may still sit with the AI user)");
  }
  return parts.length ? parts.join("; ") : run.status;
}

/** The story of an issue with no events yet. */
export function emptyStory(issueKey: string): IssueStory {
  return {
    issueKey,
    summary: null,
    eventCount: 0,
    runs: [],
    accountability: {
      requests: [],
      runs: [],
      feedback: [],
      reviews: [],
      approvals: [],
      merged: null,
      closed: null,
      doneAt: null,
    },
    pr: null,
    totals: { tokens: { input: 0, output: 0 }, costUsd: null, unpricedRuns: 0 },
    names: {},
  };
}

/** The per-run parts of the accountability record and the totals, from the runs. */
function summarise(story: IssueStory): IssueStory {
  let costUsd: number | null = null;
  let unpricedRuns = 0;
  const tokens = { input: 0, output: 0 };
  for (const run of story.runs) {
    tokens.input += run.tokens.input;
    tokens.output += run.tokens.output;
    if (run.cost) costUsd = (costUsd ?? 0) + run.cost.usd;
    else if (run.tokens.input + run.tokens.output > 0) unpricedRuns++;
  }
  return {
    ...story,
    accountability: {
      ...story.accountability,
      runs: story.runs.map((run) => ({
        runNumber: run.number,
        runId: run.runId,
        did: run.did,
        status: run.status,
        at: run.finishedAt,
      })),
      feedback: story.runs.flatMap((run) =>
        run.feedbackFrom.map((f) => ({ ...f, runNumber: run.number, runId: run.runId }))
      ),
    },
    totals: { tokens, costUsd, unpricedRuns },
  };
}

/**
 * Folds one event of an issue's stream into its story. Pure and immutable (the
 * story passed in is not changed), so the `accountability` projection can keep
 * it as its document.
 */
export function evolveStory(
  current: IssueStory | null,
  e: RecordedEvent,
  issueKey: string,
): IssueStory {
  let story: IssueStory = { ...(current ?? emptyStory(issueKey)) };
  story.eventCount++;
  if (e.type === "RunRequested" || e.type === "RunRequestCoalesced") {
    const p = e.data.requestedBy;
    if (p?.accountId && p.displayName && story.names[p.accountId] !== p.displayName) {
      story.names = { ...story.names, [p.accountId]: p.displayName };
    }
  }
  let acc = story.accountability;
  if (e.type === "RunRequested" && !story.runs.some((r) => r.runId === e.data.runId)) {
    const run = newRun(e, story.runs.length + 1);
    run.did = whatRunDid(run);
    story.runs = [...story.runs, run];
    const retried = e.data.retryOf;
    if (retried) {
      story.runs = story.runs.map((r) => {
        if (r.runId !== retried) return r;
        const next = { ...r, retriedBy: run.runId };
        next.attention = attentionFor(next);
        next.did = whatRunDid(next);
        return next;
      });
    }
    acc = {
      ...acc,
      requests: [...acc.requests, {
        runNumber: run.number,
        runId: run.runId,
        by: run.requestedBy,
        actor: e.metadata.actor,
        at: e.data.requestedAt,
        source: e.data.source,
      }],
    };
  }
  const runId = runIdOf(e);
  const index = runId ? story.runs.findIndex((r) => r.runId === runId) : -1;
  if (index >= 0) {
    const runs = [...story.runs];
    runs[index] = foldRun(runs[index], e, story.names);
    story.runs = runs;
  }
  switch (e.type) {
    case "IssueFetched":
      story.summary = e.data.summary;
      break;
    case "PullRequestOpened":
    case "PullRequestUpdated":
      story.pr = { number: e.data.number, url: e.data.url, state: "open" };
      break;
    case "PrReviewed": {
      const review: ReviewRecord = {
        reviewer: e.data.reviewer,
        state: e.data.state,
        at: e.data.submittedAt,
        number: e.data.number,
        url: e.data.url,
      };
      acc = {
        ...acc,
        reviews: [...acc.reviews, review],
        approvals: review.state === "approved" ? [...acc.approvals, review] : acc.approvals,
      };
      break;
    }
    case "PrMerged":
      story.pr = { number: e.data.number, url: e.data.url, state: "merged" };
      acc = {
        ...acc,
        merged: {
          by: e.data.mergedBy ?? e.metadata.actor,
          actor: e.metadata.actor,
          at: e.data.mergedAt,
          sha: e.data.mergeSha,
          number: e.data.number,
          url: e.data.url,
        },
      };
      break;
    case "PrClosed":
      story.pr = { number: e.data.number, url: e.data.url, state: "closed" };
      acc = {
        ...acc,
        closed: {
          by: e.data.closedBy ?? e.metadata.actor,
          actor: e.metadata.actor,
          at: e.data.closedAt,
          number: e.data.number,
          url: e.data.url,
        },
      };
      break;
    case "JiraTransitioned":
      if (acc.merged && !acc.doneAt) acc = { ...acc, doneAt: e.recordedAt };
      break;
  }
  story.accountability = acc;
  story = summarise(story);
  return story;
}

/**
 * Fills in the feedback authors of runs whose events do not name them (read
 * from the `IssueFetched` snapshots by `feedbackFromSnapshots`).
 */
export function withFeedbackAuthors<T extends IssueStory>(
  story: T,
  authors: ReadonlyMap<string, FeedbackAuthor[]> | undefined,
): T {
  if (!authors?.size) return story;
  const runs = story.runs.map((run) =>
    run.feedbackFrom.length || !authors.has(run.runId)
      ? run
      : { ...run, feedbackFrom: [...(authors.get(run.runId) ?? [])] }
  );
  return summarise({ ...story, runs }) as T;
}

/** Builds an issue's story and its timeline from its stream. */
export function buildTimeline(
  issueKey: string,
  events: readonly RecordedEvent[],
  options: TimelineOptions = {},
): IssueTimeline {
  let story = emptyStory(issueKey);
  const lastAt = new Map<string, string>();
  const claimAt = new Map<string, string>();
  const entries: TimelineEntry[] = [];
  for (const e of events) {
    story = evolveStory(story, e, issueKey);
    let runId = runIdOf(e);
    const run = runId ? story.runs.find((r) => r.runId === runId) : undefined;
    if (!run) runId = null;
    if (e.type === "RunClaimed") claimAt.set(e.data.runId, e.recordedAt);
    const previous = runId ? lastAt.get(runId) ?? null : null;
    entries.push({
      position: e.position,
      version: e.version,
      at: e.recordedAt,
      actor: e.metadata.actor,
      type: e.type,
      runId,
      runNumber: run?.number ?? null,
      text: describeEvent(e, new Map(Object.entries(story.names))),
      sinceClaimMs: runId ? ms(claimAt.get(runId) ?? null, e.recordedAt) : null,
      stepMs: previous ? ms(previous, e.recordedAt) : null,
    });
    if (runId) lastAt.set(runId, e.recordedAt);
  }
  return { ...withFeedbackAuthors(story, options.feedbackAuthors), entries };
}
