/**
 * Small pure formatters the dashboard's views use: ages, times, counts,
 * status labels, and links that are only ever `http(s)`.
 *
 * @module
 */
import { ISSUE_KEY_PATTERN } from "../../../domain/events.ts";

export { formatCount, formatDuration } from "../../../projections/issue_story.ts";
export { formatUsd } from "../../../projections/cost.ts";

/** `2025-06-01T12:00:00.123Z` as `2025-06-01 12:00 UTC`-style text (UTC, to the minute or second). */
export function formatUtc(iso: string | null | undefined, seconds = false): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return d.toISOString().slice(0, seconds ? 19 : 16).replace("T", " ");
}

/** How long ago, for people: `just now`, `42 s ago`, `5 min ago`, `3 h ago`, `2 d ago`. */
export function formatAge(iso: string | null | undefined, now: Date): string {
  if (!iso) return "";
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return "";
  const s = Math.max(0, Math.round((now.getTime() - t) / 1000));
  if (s < 5) return "just now";
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

/**
 * How a run status reads on the page, and its badge style: the decider's
 * words (`RunStatus`), as the audit prints them.
 */
export const STATUS_LABELS: Readonly<Record<string, { label: string; tone: string }>> = {
  queued: { label: "queued", tone: "neutral" },
  claimed: { label: "claimed", tone: "info" },
  retry_wait: { label: "retry_wait", tone: "warn" },
  succeeded: { label: "succeeded", tone: "good" },
  failed: { label: "failed", tone: "bad" },
  cancelled: { label: "cancelled", tone: "neutral" },
};

/** The label and tone of a status (unknown statuses are shown as they are). */
export function statusBadge(status: string): { label: string; tone: string } {
  return STATUS_LABELS[status] ?? { label: status, tone: "neutral" };
}

/** The URL when it is an absolute `http:`/`https:` URL, else null (never a `javascript:` link). */
export function safeHref(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    return u.protocol === "https:" || u.protocol === "http:" ? u.href : null;
  } catch {
    return null;
  }
}

/** The Jira page of an issue, or null without a (valid) site URL or key. */
export function jiraIssueUrl(base: string | null | undefined, key: string): string | null {
  const site = safeHref(base);
  if (!site || !ISSUE_KEY_PATTERN.test(key)) return null;
  return `${site.replace(/\/+$/, "")}/browse/${key}`;
}

/** The Jira page of an issue focused on one comment. */
export function jiraCommentUrl(
  base: string | null | undefined,
  key: string,
  commentId: string,
): string | null {
  const issue = jiraIssueUrl(base, key);
  return issue ? `${issue}?focusedCommentId=${encodeURIComponent(commentId)}` : null;
}

/**
 * The GitHub web page of a branch, derived from a pull request's URL
 * (`https://host/owner/name/pull/7` → `https://host/owner/name/tree/<branch>`).
 */
export function branchUrl(prUrl: string | null | undefined, branch: string | null): string | null {
  const pr = safeHref(prUrl);
  if (!pr || !branch) return null;
  const m = /^(.*\/[^/]+\/[^/]+)\/pull\/\d+\/?$/.exec(pr);
  return m ? `${m[1]}/tree/${branch.split("/").map(encodeURIComponent).join("/")}` : null;
}

/** The middle value (mean of the two middle ones for an even count), or null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Text cut to `max` characters, keeping the end (logs: the end says what failed). */
export function tail(text: string, max: number): { text: string; omitted: number } {
  if (text.length <= max) return { text, omitted: 0 };
  return { text: text.slice(text.length - max), omitted: text.length - max };
}
