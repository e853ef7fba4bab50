/**
 * The audit timeline as text for people: the events in order with times,
 * actors and step durations, each run's summary (tokens, estimated cost,
 * validation, pull request), then the accountability summary.
 *
 * @module
 */
import { ATTENTION_LABELS } from "../../projections/attention.ts";
import { COST_LABEL, formatUsd } from "../../projections/cost.ts";
import {
  type Accountability,
  formatCount,
  formatDuration,
  type IssueTimeline,
  printable,
  type RunAccount,
} from "../../projections/issue_story.ts";

export { printable };

/** `2025-06-01T12:00:00.123Z` as `2025-06-01 12:00:00` (UTC). */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toISOString().slice(0, 19).replace("T", " ");
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + " ".repeat(width - text.length);
}

/** The tokens and cost of a run or a total: `1,234 in + 56 out tokens, ~$0.01 (estimate …)`. */
export function formatTokens(
  tokens: { input: number; output: number },
  costUsd: number | null,
  model?: string | null,
): string {
  const t = `${formatCount(tokens.input)} in + ${formatCount(tokens.output)} out tokens`;
  if (tokens.input + tokens.output === 0) return t;
  if (costUsd !== null) return `${t}, ~${formatUsd(costUsd)} (${COST_LABEL})`;
  return model ? `${t} (no price known for ${model}: tokens only)` : t;
}

function runLines(run: RunAccount): string[] {
  const lines: string[] = [];
  const took = run.durationMs !== null
    ? ` in ${formatDuration(run.durationMs)}` +
      (run.queueWaitMs !== null
        ? ` (${formatDuration(run.queueWaitMs)} queued, ${formatDuration(run.workMs)} working)`
        : "")
    : "";
  const outcome = run.outcome && run.status === "succeeded" ? ` (${run.outcome})` : "";
  lines.push(`  #${run.number} ${run.runId}  ${run.status}${outcome}${took}`);
  if (run.attention.length) {
    lines.push(
      `     NEEDS ATTENTION: ${run.attention.map((a) => ATTENTION_LABELS[a]).join(", ")}` +
        (run.status === "failed" || run.attention.includes("jira_handover_failed")
          ? " (once the cause is fixed: deno task retry <KEY>)"
          : ""),
    );
  }
  if (run.retryOf) lines.push(`     retries run ${run.retryOf}`);
  if (run.retriedBy) lines.push(`     retried by run ${run.retriedBy}`);
  lines.push(
    `     requested by ${run.requestedBy} (${run.requestedByActor}, ${run.source}) at ${
      formatTime(run.requestedAt)
    }` + (run.coalesced.length ? `; ${run.coalesced.length} more request(s) folded in` : ""),
  );
  if (run.attempts) {
    lines.push(
      `     attempt ${run.attempts} on ${run.workers.join(", ")}` +
        (run.retries ? `; ${run.retries} retr${run.retries === 1 ? "y" : "ies"}` : ""),
    );
  }
  if (run.repo) lines.push(`     repo ${run.repo}, branch ${run.branch}`);
  if (run.model) {
    lines.push(
      `     model ${run.provider}/${run.model}: ${run.turns} turn(s), ${
        formatTokens(run.tokens, run.cost?.usd ?? null, run.model)
      }`,
    );
  }
  if (run.validation) {
    const cmds = run.validation.commands.map((c) =>
      `${c.command} (${c.timedOut ? "timed out" : `exit ${c.exitCode ?? "?"}`}, ${
        formatDuration(c.durationMs)
      })`
    ).join("; ") || "no commands";
    lines.push(
      `     validation ${run.validation.passed ? "passed" : "FAILED"}: ${cmds}` +
        (run.validation.repairs ? `; ${run.validation.repairs} repair round(s)` : ""),
    );
  }
  if (run.filesChanged.length) lines.push(`     files: ${run.filesChanged.join(", ")}`);
  if (run.commit) lines.push(`     commit ${run.commit.slice(0, 12)}`);
  if (run.pr) {
    lines.push(
      `     PR #${run.pr.number} ${run.pr.action}${run.pr.draft ? " (draft)" : ""}: ${run.pr.url}`,
    );
  }
  const jira = [
    run.jiraCommentId ? `Jira comment ${run.jiraCommentId}` : null,
    run.transitionedTo ? `moved to ${run.transitionedTo}` : null,
    run.assignedTo ? `assigned to ${run.assignedTo}` : null,
  ].filter(Boolean);
  if (jira.length) lines.push(`     ${jira.join("; ")}`);
  if (run.summary) lines.push(`     summary: ${run.summary.split("\n")[0].slice(0, 200)}`);
  if (run.status === "failed" || run.status === "cancelled") lines.push(`     ${run.outcome}`);
  return lines;
}

/** The accountability summary as lines. */
export function accountabilityLines(acc: Accountability): string[] {
  const lines: string[] = ["Accountability"];
  const row = (label: string, text: string) => lines.push(`  ${pad(label, 11)} ${text}`);
  if (!acc.requests.length) row("Requested:", "no run was ever requested");
  for (const r of acc.requests) {
    row(
      "Requested:",
      `run #${r.runNumber} by ${r.by} (${r.actor}, ${r.source}) at ${formatTime(r.at)}`,
    );
  }
  for (const r of acc.runs) {
    row("Did:", `run #${r.runNumber}: ${r.did}` + (r.at ? ` (finished ${formatTime(r.at)})` : ""));
  }
  for (const f of acc.feedback) {
    const where = f.source === "jira" ? `Jira comment ${f.id}` : `GitHub ${f.id.replace("_", " ")}`;
    row(
      "Feedback:",
      `run #${f.runNumber} acted on feedback from ${f.displayName} (${where}` +
        (f.at ? `, written ${formatTime(f.at)})` : ")"),
    );
  }
  if (!acc.reviews.length) row("Reviewed:", "no pull-request review recorded");
  for (const r of acc.reviews) {
    row(
      "Reviewed:",
      `PR #${r.number} by ${r.reviewer}: ${r.state.replace("_", " ")} at ${formatTime(r.at)}`,
    );
  }
  if (!acc.approvals.length) row("Approved:", "no approval recorded");
  for (const r of acc.approvals) {
    row("Approved:", `PR #${r.number} by ${r.reviewer} at ${formatTime(r.at)}`);
  }
  if (acc.merged) {
    row(
      "Merged:",
      `PR #${acc.merged.number} by ${acc.merged.by} (${acc.merged.actor}) at ${
        formatTime(acc.merged.at)
      }` + (acc.merged.sha ? `, merge commit ${acc.merged.sha.slice(0, 12)}` : ""),
    );
  } else if (acc.closed) {
    row(
      "Closed:",
      `PR #${acc.closed.number} closed unmerged by ${acc.closed.by} at ${
        formatTime(acc.closed.at)
      }`,
    );
  } else {
    row("Merged:", "not merged");
  }
  return lines;
}

/** The whole audit of an issue as lines of text (control characters made visible). */
export function formatTimeline(t: IssueTimeline): string[] {
  const lines: string[] = [];
  const pr = t.pr ? `PR #${t.pr.number} ${t.pr.state}` : "no PR";
  lines.push(`${t.issueKey}${t.summary !== null ? `  "${t.summary}"` : ""}`);
  lines.push(
    `${pr} · ${t.runs.length} run(s) · ${t.eventCount} events · ` +
      formatTokens(t.totals.tokens, t.totals.costUsd) +
      (t.totals.unpricedRuns ? ` (+${t.totals.unpricedRuns} run(s) without a known price)` : ""),
  );
  lines.push("");
  lines.push(
    "Timeline (UTC; +claim: since the run was claimed; step: since the run's previous event)",
  );
  const widthActor = Math.min(32, Math.max(5, ...t.entries.map((e) => e.actor.length)));
  lines.push(
    `  ${pad("time", 19)}  ${pad("pos", 6)} run  ${pad("+claim", 10)} ${pad("step", 10)} ${
      pad("actor", widthActor)
    }  what`,
  );
  for (const e of t.entries) {
    lines.push(
      `  ${formatTime(e.at)}  ${pad(String(e.position), 6)} ${
        pad(e.runNumber ? `#${e.runNumber}` : "", 4)
      } ` +
        `${pad(formatDuration(e.sinceClaimMs), 10)} ${pad(formatDuration(e.stepMs), 10)} ` +
        `${pad(e.actor, widthActor)}  ${e.text}`,
    );
  }
  lines.push("");
  lines.push("Runs");
  if (!t.runs.length) lines.push("  none");
  for (const run of t.runs) lines.push(...runLines(run));
  lines.push("");
  lines.push(...accountabilityLines(t.accountability));
  return lines.map(printable);
}
