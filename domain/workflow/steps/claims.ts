/**
 * The runner's check of the model's summary against what the run changed,
 * from recorded facts: a summary that says "no change" over a non-empty diff,
 * or names files the diff does not touch, is flagged for the reviewer, and a
 * contradicting summary never becomes the commit title.
 *
 * @module
 */
import { checkClaims, type ClaimFinding, formatClaimFindings } from "../claims.ts";
import type { RunContext } from "../run_context.ts";

/** The findings for this run's summary and its scanned diff (none before the scan). */
export function claimFindings(ctx: RunContext): ClaimFinding[] {
  const generated = ctx.recorded("generate_changes", "ChangesGenerated");
  const scanned = ctx.recorded("scan_diff", "DiffScanned");
  if (!generated || !scanned) return [];
  return checkClaims({ summary: generated.summary, changedFiles: scanned.filesChanged });
}

/** The findings as Markdown for the PR body and the Jira comment; `""` when none. */
export function claimsText(ctx: RunContext): string {
  return formatClaimFindings(claimFindings(ctx));
}
