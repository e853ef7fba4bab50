/**
 * View models: read-model documents and audit timelines turned into the plain
 * strings and links the templates print (escaped there). Pure.
 *
 * @module
 */
import type { Accountability, RunAccount, TimelineEntry } from "../../cli/audit_timeline.ts";
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
  repo: string;
  attempt: number;
  requestedAt: string;
  requestedUtc: string;
  age: string;
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

/** How long a run took, or has been going / waiting. */
export function runDuration(run: RunDoc, now: Date): string {
  if (run.durationMs !== null) return formatDuration(run.durationMs);
  const since = run.claimedAt ?? run.requestedAt;
  const ms = now.getTime() - Date.parse(since);
  if (!Number.isFinite(ms)) return "";
  const d = formatDuration(Math.max(0, ms));
  return run.status === "queued" ? `waiting ${d}` : `${d} so far`;
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
    status: statusBadge(run.status),
    repo: run.repoId ?? "—",
    attempt: run.attempt,
    requestedAt: run.requestedAt,
    requestedUtc: formatUtc(run.requestedAt, true),
    age: formatAge(run.requestedAt, now),
    duration: runDuration(run, now),
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
    status: statusBadge(doc?.status ?? (account.status === "running" ? "claimed" : account.status)),
    requestedBy: account.requestedBy,
    requestedAt: formatUtc(account.requestedAt, true),
    duration: doc ? runDuration(doc, now) : formatDuration(account.durationMs),
    did: account.did,
    tokens: tokenCell(account.tokens).tokens,
    href: runPath(account.runId),
    shortId: shortId(account.runId),
  };
}
