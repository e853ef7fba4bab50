/**
 * The issues around a ticket (its links, parent and sub-tasks) for the
 * prompt: which keys to read ({@link relatedIssueKeys}) and how they read
 * ({@link formatRelatedIssues}). Their text is as untrusted as the ticket's:
 * the caller fences the result the same way. Pure.
 *
 * @module
 */
import type { JiraIssue, JiraIssueBrief } from "./ports/jira.ts";

/** Most related issues read for one ticket. */
export const MAX_RELATED_ISSUES = 20;

/** The keys to read briefly: the parent, then links, then sub-tasks; no duplicates, not the issue itself. */
export function relatedIssueKeys(issue: JiraIssue, max = MAX_RELATED_ISSUES): string[] {
  const keys = [
    ...(issue.parent ? [issue.parent.key] : []),
    ...(issue.links ?? []).map((l) => l.key),
    ...(issue.subtasks ?? []).map((s) => s.key),
  ];
  return [...new Set(keys)].filter((k) => k !== issue.key).slice(0, max);
}

/** One line of a heading: `OPS-4 (Task, In Progress): Session store`. */
function heading(key: string, type: string, status: string, summary: string): string {
  const meta = [type, status].filter((s) => s !== "").join(", ");
  return `${key}${meta ? ` (${meta})` : ""}: ${summary.replace(/\s+/g, " ").trim()}`;
}

/**
 * The related issues as Markdown: how each relates (parent, "is blocked by",
 * sub-task), key, type, status, summary, and the short description read by
 * `briefIssues` (absent when it could not be read).
 */
export function formatRelatedIssues(
  issue: JiraIssue,
  briefs: readonly JiraIssueBrief[],
): string {
  const byKey = new Map(briefs.map((b) => [b.key, b]));
  const entries: {
    relation: string;
    key: string;
    type: string;
    status: string;
    summary: string;
  }[] = [];
  if (issue.parent) {
    entries.push({ relation: "parent", ...issue.parent, type: issue.parent.issueType });
  }
  for (const l of issue.links ?? []) {
    entries.push({ relation: `this issue ${l.type}`, ...l, type: l.issueType });
  }
  for (const s of issue.subtasks ?? []) {
    entries.push({ relation: "sub-task", ...s, type: s.issueType });
  }
  const seen = new Set<string>();
  const blocks: string[] = [];
  for (const e of entries) {
    if (e.key === issue.key || seen.has(`${e.relation} ${e.key}`)) continue;
    if (blocks.length >= MAX_RELATED_ISSUES) break;
    seen.add(`${e.relation} ${e.key}`);
    const brief = byKey.get(e.key);
    const line = `- ${e.relation}: ${
      heading(
        e.key,
        brief?.issueType || e.type,
        brief?.status || e.status,
        brief?.summary || e.summary,
      )
    }`;
    const description = brief?.description.trim();
    blocks.push(description ? `${line}\n  ${description.replace(/\n/g, "\n  ")}` : line);
  }
  return blocks.join("\n");
}
