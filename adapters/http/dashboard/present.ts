/**
 * View models: read-model documents and audit timelines turned into the plain
 * strings and links the templates print (escaped there). Pure.
 *
 * @module
 */
import { ATTENTION_LABELS, type AttentionReason } from "../../../projections/attention.ts";
import type {
  Accountability,
  RunAccount,
  TimelineEntry,
} from "../../../projections/issue_story.ts";
import type { RunDoc } from "../../../projections/mod.ts";
import {
  formatAge,
  formatCount,
  formatDuration,
  formatUsd,
  formatUtc,
  safeHref,
  statusBadge,
} from "./format.ts";

/** A run as a row of a runs table. */
export interface RunRow {
  runId: string;
  shortId: string;
  href: string;
  number?: number;
  issueKey: string;
  issueHref: string;
  /** `completion` for a run that reports a merged or closed PR back to Jira, else empty. */
  kind: string;
  status: { label: string; tone: string };
  /** Why it needs attention, as badges (none: nothing to do). */
  attention: { label: string; tone: string }[];
  /** The failed step, or empty. */
  step: string;
  /** The failure reason or outcome, in one line. */
  reason: string;
  repo: string;
  requester: string;
  attempt: number;
  requestedAt: string;
  requestedUtc: string;
  age: string;
  /** Time waiting for a worker. */
  queueWait: string;
  /** A worker's time on it (so far, while it works). */
  duration: string;
  prNumber: number | null;
  prHref: string | null;
  tokens: string;
  tokensTitle: string;
}

/** The dashboard path of a run. */
export function runPath(runId: string): string {
  return `/runs/${encodeURIComponent(runId)}`;
}

/** The dashboard path of an issue. */
export function issuePath(issueKey: string): string {
  return `/issues/${encodeURIComponent(issueKey)}`;
}

/** The first characters of a run id (UUIDs are long). */
export function shortId(runId: string): string {
  return runId.length > 13 ? `${runId.slice(0, 8)}…` : runId;
}

/**
 * How long a worker spent on a run (from its first claim), or has been
 * working on it, or how long it has been waiting for one; queue wait apart.
 */
export function runDuration(run: RunDoc, now: Date): string {
  if (run.workMs !== undefined && run.workMs !== null) return formatDuration(run.workMs);
  if (run.durationMs !== null) return formatDuration(run.durationMs);
  const since = run.claimedAt ?? run.requestedAt;
  const ms = now.getTime() - Date.parse(since);
  if (!Number.isFinite(ms)) return "";
  const d = formatDuration(Math.max(0, ms));
  return run.status === "queued" ? `waiting ${d}` : `${d} so far`;
}

/** How long a run waited for a worker (so far, while queued). */
export function queueWait(run: RunDoc, now: Date): string {
  if (run.queueWaitMs !== undefined && run.queueWaitMs !== null) {
    return formatDuration(run.queueWaitMs);
  }
  if (run.status !== "queued") return "—";
  const ms = now.getTime() - Date.parse(run.requestedAt);
  return Number.isFinite(ms) ? `${formatDuration(Math.max(0, ms))} so far` : "";
}

/**
 * A run's status badge: the decider's word, except that a success that
 * still needs someone (a draft PR, a missing Jira hand-over) is never green.
 */
export function runBadge(run: Pick<RunDoc, "status" | "attention">): {
  label: string;
  tone: string;
} {
  const badge = statusBadge(run.status);
  const attention = run.attention ?? [];
  if (run.status === "succeeded" && attention.length) {
    return {
      label: `succeeded · ${attention.map((a) => ATTENTION_LABELS[a]).join(" · ")}`,
      tone: "warn",
    };
  }
  return badge;
}

/** Attention reasons as badges. */
export function attentionBadges(reasons: readonly AttentionReason[] | undefined) {
  return (reasons ?? []).map((r) => ({
    label: ATTENTION_LABELS[r],
    tone: r === "draft_pr" ? "warn" : "bad",
  }));
}

/** The reason column: where and why it failed, else the outcome. */
export function reasonText(run: RunDoc): { step: string; reason: string } {
  if (run.status === "failed" && run.lastError) {
    const reason = run.lastError.reason.split("\n")[0];
    return {
      step: run.lastError.step,
      reason: `${run.lastError.kind}: ${reason.length > 100 ? `${reason.slice(0, 99)}…` : reason}`,
    };
  }
  if (run.status === "retry_wait" && run.lastError) {
    return { step: run.lastError.step, reason: run.lastError.reason.split("\n")[0].slice(0, 140) };
  }
  return { step: "", reason: run.outcome ? run.outcome.replaceAll("_", " ") : "" };
}

/** Tokens in a cell: `6,040` with the split as a tooltip. */
export function tokenCell(tokens: { input: number; output: number }): {
  tokens: string;
  tokensTitle: string;
} {
  const total = tokens.input + tokens.output;
  return {
    tokens: total ? formatCount(total) : "—",
    tokensTitle: `${formatCount(tokens.input)} in + ${formatCount(tokens.output)} out`,
  };
}

/** A run document as a table row. */
export function runRow(run: RunDoc, now: Date, number?: number): RunRow {
  return {
    runId: run.runId,
    shortId: shortId(run.runId),
    href: runPath(run.runId),
    number,
    issueKey: run.issueKey,
    issueHref: issuePath(run.issueKey),
    kind: (run as { kind?: string }).kind === "completion" ? "completion" : "",
    status: runBadge(run),
    attention: attentionBadges(run.attention),
    ...reasonText(run),
    repo: run.repoId ?? "—",
    requester: run.requester ?? run.requestedBy?.displayName ?? run.source,
    attempt: run.attempt,
    requestedAt: run.requestedAt,
    requestedUtc: formatUtc(run.requestedAt, true),
    age: formatAge(run.requestedAt, now),
    queueWait: queueWait(run, now),
    duration: run.status === "queued" ? "—" : runDuration(run, now),
    prNumber: run.pr?.number ?? null,
    prHref: safeHref(run.pr?.url),
    ...tokenCell(run.tokens),
  };
}

/** A timeline entry as a row. */
export interface TimelineRow {
  time: string;
  position: number;
  runNumber: number | null;
  runHref: string | null;
  sinceClaim: string;
  step: string;
  actor: string;
  text: string;
}

/** Timeline entries as rows. */
export function timelineRows(entries: readonly TimelineEntry[]): TimelineRow[] {
  return entries.map((e) => ({
    time: formatUtc(e.at, true),
    position: e.position,
    runNumber: e.runNumber,
    runHref: e.runId ? runPath(e.runId) : null,
    sinceClaim: formatDuration(e.sinceClaimMs),
    step: formatDuration(e.stepMs),
    actor: e.actor,
    text: e.text,
  }));
}

/** Tokens and an estimate, in words. */
export function tokensText(
  tokens: { input: number; output: number },
  costUsd: number | null,
  model?: string | null,
): string {
  const total = tokens.input + tokens.output;
  if (!total) return "no tokens";
  const t = `${formatCount(total)} tokens (${formatCount(tokens.input)} in + ${
    formatCount(tokens.output)
  } out)`;
  if (costUsd !== null) return `${t} · ~${formatUsd(costUsd)} estimate`;
  return model ? `${t} · no price known for ${model}` : t;
}

/** The accountability panel's view. */
export function accountabilityView(acc: Accountability) {
  return {
    requests: acc.requests.map((r) => ({
      ...r,
      href: runPath(r.runId),
      at: formatUtc(r.at, true),
    })),
    runs: acc.runs.map((r) => ({ ...r, href: runPath(r.runId), at: formatUtc(r.at, true) })),
    feedback: acc.feedback.map((f) => ({
      runNumber: f.runNumber,
      who: f.displayName,
      where: f.source === "jira" ? `Jira comment ${f.id}` : `GitHub ${f.id.replace("_", " ")}`,
      at: formatUtc(f.at, true),
    })),
    reviews: acc.reviews.map((r) => ({
      ...r,
      state: r.state.replace("_", " "),
      href: safeHref(r.url),
      at: formatUtc(r.at, true),
    })),
    approvals: acc.approvals.map((r) => ({ ...r, at: formatUtc(r.at, true) })),
    merged: acc.merged
      ? {
        ...acc.merged,
        href: safeHref(acc.merged.url),
        at: formatUtc(acc.merged.at, true),
        sha: acc.merged.sha?.slice(0, 12) ?? null,
      }
      : null,
    closed: acc.closed ? { ...acc.closed, at: formatUtc(acc.closed.at, true) } : null,
  };
}

/** An iteration of an issue as a row. */
export function iterationRow(account: RunAccount, doc: RunDoc | undefined, now: Date) {
  return {
    number: account.number,
    status: doc ? runBadge(doc) : runBadge(account),
    requestedBy: account.requestedBy,
    requestedAt: formatUtc(account.requestedAt, true),
    duration: doc ? runDuration(doc, now) : formatDuration(account.durationMs),
    did: account.did,
    tokens: tokenCell(account.tokens).tokens,
    href: runPath(account.runId),
    shortId: shortId(account.runId),
  };
}
