/**
 * What needs an operator's attention about a run, derived from its events
 * alone: the one rule the `runs` read model, the audit story, the dashboard's
 * needs-attention panel and the metrics share.
 *
 * @module
 */
import type { RunStatus } from "../domain/run/state.ts";

/**
 * Why a run needs attention:
 * - `failed`: the run failed;
 * - `jira_handover_failed`: it ended (failed, or succeeded with a change) without
 *   its Jira comment recorded, so the ticket may still sit with the AI user with
 *   nothing said on it (Jira refused the comment, say with a 403);
 * - `draft_pr`: it opened its pull request as a draft (validation still failed).
 */
export type AttentionReason = "failed" | "jira_handover_failed" | "draft_pr";

/** Every reason, in the order the dashboard lists them. */
export const ATTENTION_REASONS: readonly AttentionReason[] = [
  "failed",
  "jira_handover_failed",
  "draft_pr",
];

/** What a run's attention is decided from. */
export interface AttentionFacts {
  status: RunStatus;
  kind: string;
  /** The run's own Jira comment (result, no change, failure) is recorded. */
  jiraCommented: boolean;
  /** The run opened its pull request as a draft. */
  draft: boolean;
}

/** The reasons a run needs attention (empty: none). */
export function attentionOf(run: AttentionFacts): AttentionReason[] {
  const reasons: AttentionReason[] = [];
  if (run.status === "failed") reasons.push("failed");
  const ended = run.status === "failed" || run.status === "succeeded";
  // A completion run may rightly end without a comment (the ticket was already Done).
  if (ended && !run.jiraCommented && (run.kind === "change" || run.status === "failed")) {
    reasons.push("jira_handover_failed");
  }
  if (run.draft && run.status === "succeeded") reasons.push("draft_pr");
  return reasons;
}

/** How a reason reads on a page. */
export const ATTENTION_LABELS: Readonly<Record<AttentionReason, string>> = {
  failed: "failed",
  jira_handover_failed: "Jira hand-over failed",
  draft_pr: "draft PR",
};
