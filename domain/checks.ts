/**
 * What CI says about a commit, for the model and the hand-over: the failed
 * check runs and commit statuses (name, conclusion or state, a bounded excerpt
 * of the summary/text, the link), and whether everything has finished. Pure.
 *
 * @module
 */
import type { CommitChecks } from "./ports/github.ts";

/** One failed check, as feedback the model must act on. */
export interface FailedCheck {
  /** The check run's name, or the commit status's context. */
  name: string;
  /** `check_run` or `status` (a commit status). */
  source: "check_run" | "status";
  /** The conclusion (`failure`, `timed_out`, …) or the status's state (`failure`, `error`). */
  conclusion: string;
  /** Title, summary and text (or the status's description), bounded. */
  excerpt: string;
  url: string | null;
}

/** The verdict on a commit's checks. */
export interface ChecksVerdict {
  /** `failed`: something failed; `pending`: nothing failed yet but not all finished; `passed`; `none`: no checks at all. */
  state: "failed" | "pending" | "passed" | "none";
  failed: FailedCheck[];
  /** Names still running or queued. */
  pending: string[];
}

/**
 * Conclusions that say the code failed a check; `cancelled`, `action_required`,
 * `stale`, `neutral` and `skipped` ask nothing of the code.
 */
const FAILING = new Set(["failure", "timed_out", "startup_failure"]);

/** Most characters of a check's excerpt. */
export const CHECK_EXCERPT_CHARS = 1500;

/** Sorts a commit's checks into failed, pending and passed. */
export function judgeChecks(
  checks: CommitChecks,
  excerptChars = CHECK_EXCERPT_CHARS,
): ChecksVerdict {
  const failed: FailedCheck[] = [];
  const pending: string[] = [];
  for (const run of checks.checkRuns) {
    if (run.status !== "completed") {
      pending.push(run.name);
    } else if (run.conclusion && FAILING.has(run.conclusion)) {
      failed.push({
        name: run.name,
        source: "check_run",
        conclusion: run.conclusion,
        excerpt: excerpt([run.title, run.summary, run.text], excerptChars),
        url: run.url || null,
      });
    }
  }
  for (const status of checks.statuses) {
    if (status.state === "pending") pending.push(status.context);
    else if (status.state === "failure" || status.state === "error") {
      failed.push({
        name: status.context,
        source: "status",
        conclusion: status.state,
        excerpt: excerpt([status.description], excerptChars),
        url: status.url,
      });
    }
  }
  const total = checks.checkRuns.length + checks.statuses.length;
  const state = failed.length > 0
    ? "failed"
    : pending.length > 0
    ? "pending"
    : total === 0
    ? "none"
    : "passed";
  return { state, failed, pending };
}

function excerpt(parts: readonly string[], max: number): string {
  const text = parts.map((p) => p.trim()).filter((p) => p !== "").join("\n\n");
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Failed checks as Markdown for the prompt (to be fenced as untrusted, like review text). */
export function formatFailedChecks(failed: readonly FailedCheck[]): string {
  return failed.map((f) =>
    `- ${f.name} (${f.source === "status" ? "commit status" : "check run"}): ${f.conclusion}` +
    (f.url ? ` <${f.url}>` : "") +
    (f.excerpt ? `\n  ${f.excerpt.replace(/\n/g, "\n  ")}` : "")
  ).join("\n");
}
