/**
 * Pull request review comments grouped into threads, as people read them on
 * GitHub: a top-level comment on a line (with the diff hunk it points at) and
 * its replies in order. GitHub allows replies only to top-level comments
 * (`in_reply_to_id`), so a thread is one level deep; a reply whose parent is
 * missing (deleted, or not fetched) starts a thread of its own. Pure.
 *
 * @module
 */
import type { ReviewComment } from "./ports/github.ts";

/** One review thread: the comment that opened it and the replies. */
export interface ReviewThread {
  /** The top-level comment's id. */
  id: number;
  path: string;
  /** The line now (null when the code moved on: the thread is outdated). */
  line: number | null;
  /** The line when the thread was opened. */
  originalLine: number | null;
  /** First line of a multi-line comment. */
  startLine: number | null;
  side: "LEFT" | "RIGHT" | null;
  /** The diff around the line(s), from the opening comment. */
  diffHunk: string;
  /** True when GitHub no longer places the thread on a line of the current diff. */
  outdated: boolean;
  /** Oldest first; the first is the opening comment. */
  comments: ReviewComment[];
}

/** Groups comments into threads: by file path, then line, then when opened. */
export function groupReviewThreads(comments: readonly ReviewComment[]): ReviewThread[] {
  const byId = new Map(comments.map((c) => [c.id, c]));
  const threads = new Map<number, ReviewThread>();
  const rootOf = (c: ReviewComment): ReviewComment => {
    // One level by GitHub's rule; the guard keeps a malformed chain from looping.
    let current = c;
    for (let hops = 0; hops < 50 && current.inReplyToId !== null; hops++) {
      const parent = byId.get(current.inReplyToId);
      if (!parent) break;
      current = parent;
    }
    return current;
  };
  const ordered = [...comments].sort((a, b) =>
    a.createdAt.localeCompare(b.createdAt) || a.id - b.id
  );
  for (const c of ordered) {
    const root = rootOf(c);
    let thread = threads.get(root.id);
    if (!thread) {
      thread = {
        id: root.id,
        path: root.path,
        line: root.line,
        originalLine: root.originalLine ?? null,
        startLine: root.startLine ?? null,
        side: root.side ?? null,
        diffHunk: root.diffHunk ?? "",
        outdated: root.line === null && (root.originalLine ?? null) !== null,
        comments: [],
      };
      threads.set(root.id, thread);
    }
    thread.comments.push(c);
  }
  return [...threads.values()].sort((a, b) =>
    a.path.localeCompare(b.path) ||
    (a.line ?? a.originalLine ?? 0) - (b.line ?? b.originalLine ?? 0) ||
    a.comments[0].createdAt.localeCompare(b.comments[0].createdAt)
  );
}

/**
 * A thread as Markdown for the prompt: where it is, the hunk in a `diff`
 * fence, then each comment with its author. The comment text is untrusted:
 * the caller fences the whole as it fences ticket text; fences inside the
 * hunk or bodies cannot close this one (a longer fence is chosen).
 */
export function formatReviewThread(thread: ReviewThread): string {
  const where = thread.line !== null
    ? `${thread.path}:${thread.startLine ? `${thread.startLine}-` : ""}${thread.line}`
    : thread.originalLine !== null
    ? `${thread.path} (was line ${thread.originalLine}; outdated)`
    : `${thread.path} (the whole file)`;
  const side = thread.side === "LEFT" ? " on the removed code" : "";
  const lines = [`Thread on ${where}${side}:`];
  if (thread.diffHunk) {
    const fence = fenceFor(thread.diffHunk);
    lines.push(`${fence}diff`, thread.diffHunk, fence);
  }
  for (const c of thread.comments) {
    lines.push(`- ${c.author ?? "ghost"}: ${c.body.trim().replace(/\n/g, "\n  ")}`);
  }
  return lines.join("\n");
}

/** A backtick fence longer than any run of backticks in `text`. */
function fenceFor(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  return "`".repeat(Math.max(3, longest + 1));
}
