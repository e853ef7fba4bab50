/**
 * What the runner writes for people: the one Jira comment per run (result,
 * no-change or failure) and the pull request's title and body. Markdown; the
 * Jira adapter turns it into ADF. Callers redact secrets before sending.
 *
 * @module
 */
import type { JiraComment } from "../ports/jira.ts";
import type { PullRequestFeedback } from "./feedback.ts";
import { runMarker } from "./feedback.ts";
import type { PreviousIteration } from "./prompt.ts";

/** What a finished run did, for its comment and PR body. */
export interface RunReport {
  issueKey: string;
  runId: string;
  summary: string;
  filesChanged: readonly string[];
  validation: { configured: boolean; passed: boolean; repairs: number };
  branch: string;
  /**
   * `draftRefused`: GitHub refused a draft in this repository, so the PR was
   * opened ready for review, marked "[validation failed]" (`OpenedPullRequest.draftRefused`).
   */
  pr: { number: number; url: string; draft: boolean; opened: boolean; draftRefused?: boolean };
  /** The model's use in one line (`describeSpend`): tokens by kind and the cost. */
  spend: string;
  /** What the runner found checking the summary against the diff (`formatClaimFindings`). */
  claims?: string;
  /** The self-review's verdict (`selfReviewLine`). */
  review?: string;
  /** How the PR's checks ended, when the repository waits for them (`checksLine`). */
  checks?: string;
  jiraFeedback: readonly JiraComment[];
  prFeedback: readonly PullRequestFeedback[];
}

function quote(text: string, max = 160): string {
  const one = text.replace(/\s+/g, " ").trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

function validationLine(v: RunReport["validation"], draftRefused = false): string {
  if (!v.configured) return "no validation commands are configured for this repository";
  const repairs = v.repairs ? ` after ${v.repairs} repair(s)` : "";
  if (v.passed) return `passed${repairs}`;
  return draftRefused
    ? `**failed**${repairs} (this repository does not allow draft pull requests, so the pull ` +
      `request is open for review, its title marked "[validation failed]": do not merge it ` +
      `before the validation passes)`
    : `**failed**${repairs} (the pull request is a draft)`;
}

function feedbackLines(r: RunReport): string[] {
  const lines: string[] = [];
  for (const c of r.jiraFeedback) lines.push(`- ${c.author.displayName}: "${quote(c.bodyText)}"`);
  for (const f of r.prFeedback) {
    lines.push(`- ${f.author} on the PR: "${quote(f.body || f.state || "")}"`);
  }
  return lines;
}

/** The Jira comment of a run that pushed changes. */
export function resultComment(r: RunReport): string {
  const verb = r.pr.opened ? "opened" : "updated";
  const lines = [
    `**AI Runner ${verb} a pull request for this issue:** [#${r.pr.number}](${r.pr.url})`,
    "",
    r.summary,
    "",
    ...(r.claims ? [r.claims, ""] : []),
    ...(r.review ? [`**Self-review:** ${r.review}`, ""] : []),
  ];
  const feedback = feedbackLines(r);
  if (feedback.length) lines.push("**Feedback acted on:**", ...feedback, "");
  lines.push(
    `**Files changed (${r.filesChanged.length}):**`,
    ...r.filesChanged.slice(0, 30).map((f) => `- \`${f}\``),
    ...(r.filesChanged.length > 30 ? [`- … and ${r.filesChanged.length - 30} more`] : []),
    "",
    `- **Validation:** ${validationLine(r.validation, r.pr.draftRefused)}`,
    ...(r.checks ? [`- **Checks:** ${r.checks}`] : []),
    `- **Branch:** \`${r.branch}\``,
    `- **Pull request:** ${r.pr.url}`,
    `- **Model use:** ${r.spend}`,
    "",
    `Please review the pull request. To ask for changes, comment here and assign the issue back ` +
      `to the AI Runner user.`,
    "",
    `\`${runMarker(r.runId)}\``,
  );
  return lines.join("\n");
}

/** The Jira comment of a run that found nothing to change. */
export function noChangeComment(issueKey: string, runId: string, summary: string): string {
  return [
    `**AI Runner made no change for ${issueKey}.**`,
    "",
    summary || "The model did not say why.",
    "",
    "Please clarify the ticket (what should change, where, and how to check it), then assign " +
    "it back to the AI Runner user.",
    "",
    `\`${runMarker(runId)}\``,
  ].join("\n");
}

/** The Jira comment of a failed run: what went wrong and what to do. */
export function failureComment(
  issueKey: string,
  runId: string,
  step: string,
  reason: string,
  advice: string,
): string {
  return [
    `**AI Runner could not finish ${issueKey}** (step: ${step.replaceAll("_", " ")}).`,
    "",
    `Reason: ${reason}`,
    "",
    advice,
    "",
    `\`${runMarker(runId)}\``,
  ].join("\n");
}

/** What a person should do about a failure at a step. */
export function failureAdvice(kind: string): string {
  switch (kind) {
    case "budget":
      return "The change needed more than the run's budget allows. Split the ticket into smaller " +
        "ones or narrow it, then assign it back to the AI Runner user.";
    case "config":
      return "This is a configuration problem of the runner; an operator should run " +
        "`deno task doctor`. Assign the ticket back to the AI Runner user once it is fixed.";
    case "transient_exhausted":
      return "An outside service kept failing. Assign the ticket back to the AI Runner user to " +
        "try again later.";
    default:
      return "Fix the cause (see the reason above) and assign the ticket back to the AI Runner user " +
        "to try again.";
  }
}

/** The pull request's title. */
export function pullRequestTitle(issueKey: string, issueSummary: string): string {
  const s = issueSummary.replace(/\s+/g, " ").trim();
  return `${issueKey}: ${s.length > 90 ? `${s.slice(0, 89)}…` : s}`;
}

/** The pull request's body, with the log of every iteration. */
export function pullRequestBody(input: {
  issueKey: string;
  issueUrl: string;
  runId: string;
  summary: string;
  validation: RunReport["validation"];
  iterations: readonly PreviousIteration[];
  /** What the runner found checking the summary against the diff (`formatClaimFindings`). */
  claims?: string;
  /** The self-review's verdict (`selfReviewLine`). */
  review?: string;
  /** The model's use in one line (`describeSpend`). */
  spend?: string;
}): string {
  const lines = [
    `Resolves [${input.issueKey}](${input.issueUrl}).`,
    "",
    input.summary,
    "",
    ...(input.claims ? [input.claims, ""] : []),
    ...(input.review ? [`**Self-review:** ${input.review}`, ""] : []),
    `**Validation:** ${validationLine(input.validation)}`,
    ...(input.spend ? ["", `**Model use:** ${input.spend}`] : []),
    "",
    "### Iterations",
    ...input.iterations.map((it, n) =>
      `${n + 1}. \`${it.runId}\`: ${quote(it.summary.split("\n")[0] ?? "", 120)}` +
      (it.filesChanged.length ? ` (${it.filesChanged.length} file(s))` : "")
    ),
    "",
    "_Opened by AI Runner for human review. Request changes on the Jira issue and assign it back " +
    "to the AI Runner user._",
    "",
    `<!-- ${runMarker(input.runId)} -->`,
  ];
  return lines.join("\n");
}

/** The Jira comment of a completion run: the pull request was merged. */
export function mergedComment(input: {
  runId: string;
  number: number;
  url: string;
  mergedBy: string | null;
  mergeSha: string | null;
  toStatus: string;
}): string {
  return [
    `**The pull request [#${input.number}](${input.url}) was merged** by ` +
    `${input.mergedBy ?? "someone"}` +
    (input.mergeSha ? ` as commit \`${input.mergeSha.slice(0, 12)}\`` : "") + ".",
    "",
    `Moving the issue to ${input.toStatus}.`,
    "",
    `\`${runMarker(input.runId)}\``,
  ].join("\n");
}

/** The Jira comment of a completion run: the pull request was closed unmerged. */
export function closedComment(input: {
  issueKey: string;
  runId: string;
  number: number;
  url: string;
  closedBy: string | null;
}): string {
  return [
    `**The pull request [#${input.number}](${input.url}) was closed without merging** by ` +
    `${input.closedBy ?? "someone"}.`,
    "",
    `The branch \`ai/${input.issueKey}\` is kept. To try again, comment here with what should ` +
    "change and assign the issue to the AI Runner user.",
    "",
    `\`${runMarker(input.runId)}\``,
  ].join("\n");
}

/** How the PR's checks ended, in a few words for the hand-over. */
export function checksLine(c: {
  state: "passed" | "failed" | "pending" | "none";
  failed: readonly { name: string; conclusion: string }[];
}): string {
  switch (c.state) {
    case "passed":
      return "passed";
    case "none":
      return "none reported";
    case "pending":
      return "still running when the wait ended";
    case "failed":
      return `**failed**: ${c.failed.map((f) => `${f.name} (${f.conclusion})`).join(", ")}`;
  }
}
