/**
 * A branch's diff for the prompt, within a size budget: the whole unified diff
 * when it fits; otherwise a per-file summary (`path +N −M`) followed by each
 * file's first hunks while the budget lasts. Binary patches are never shown,
 * only named. Pure.
 *
 * @module
 */

/** One file of a unified diff. */
export interface DiffFile {
  /** The path after the change (before it, for a deletion). */
  path: string;
  /** The path before a rename or copy, when it differs. */
  oldPath?: string;
  added: number;
  removed: number;
  binary: boolean;
  status: "added" | "deleted" | "modified" | "renamed";
  /** The file's part of the diff (header and hunks). */
  text: string;
}

/** A diff cut to a budget. */
export interface BoundedDiff {
  /** What goes into the prompt. */
  text: string;
  /** True when `text` is the whole diff. */
  whole: boolean;
  files: DiffFile[];
}

/** Unquotes a path as git writes unusual ones (`"a/sp ace\t.txt"`), without its `a/`/`b/` prefix. */
function gitPath(raw: string): string {
  let path = raw.trim();
  if (path.startsWith('"') && path.endsWith('"')) {
    try {
      path = JSON.parse(
        path.replace(
          /\\([0-7]{3})/g,
          (_m, o) => `\\u00${parseInt(o, 8).toString(16).padStart(2, "0")}`,
        ),
      );
    } catch {
      path = path.slice(1, -1);
    }
  }
  return path.replace(/^[ab]\//, "");
}

/** Splits a `git diff` into files, counting added and removed lines. */
export function parseUnifiedDiff(diff: string): DiffFile[] {
  const files: DiffFile[] = [];
  const parts = diff.split(/^(?=diff --git )/m).filter((p) => p.startsWith("diff --git "));
  for (const text of parts) {
    const lines = text.split("\n");
    let minus = "";
    let plus = "";
    let renameFrom = "";
    let renameTo = "";
    let added = 0;
    let removed = 0;
    let binary = false;
    let inHunk = false;
    let status: DiffFile["status"] = "modified";
    for (const line of lines) {
      if (!inHunk) {
        if (line.startsWith("--- ")) minus = line.slice(4);
        else if (line.startsWith("+++ ")) plus = line.slice(4);
        else if (line.startsWith("rename from ")) renameFrom = line.slice(12);
        else if (line.startsWith("rename to ")) renameTo = line.slice(10);
        else if (line.startsWith("new file mode")) status = "added";
        else if (line.startsWith("deleted file mode")) status = "deleted";
        else if (line.startsWith("Binary files ") || line === "GIT binary patch") binary = true;
      }
      if (line.startsWith("@@")) inHunk = true;
      else if (inHunk && line.startsWith("+")) added++;
      else if (inHunk && line.startsWith("-")) removed++;
      if (line === "GIT binary patch") binary = true;
    }
    const header = /^diff --git (.+?) (b\/.+|"b\/.+")$/.exec(lines[0]);
    const after = plus && plus !== "/dev/null" ? gitPath(plus) : "";
    const before = minus && minus !== "/dev/null" ? gitPath(minus) : "";
    let path = renameTo ? gitPath(renameTo) : after || before;
    if (!path && header) path = gitPath(header[2]);
    const oldPath = renameFrom ? gitPath(renameFrom) : undefined;
    if (oldPath && oldPath !== path) status = "renamed";
    files.push({
      path,
      ...(oldPath && oldPath !== path ? { oldPath } : {}),
      added,
      removed,
      binary,
      status,
      text,
    });
  }
  return files;
}

/** `path +N −M`, one line of the per-file summary. */
export function fileSummaryLine(f: DiffFile): string {
  const name = f.oldPath ? `${f.oldPath} → ${f.path}` : f.path;
  const what = f.status === "modified" || f.status === "renamed" ? "" : ` (${f.status})`;
  return f.binary ? `${name}${what} (binary)` : `${name}${what} +${f.added} −${f.removed}`;
}

/** A file's header and as many whole hunks as fit in `budget` characters (at least the header). */
function firstHunks(f: DiffFile, budget: number): { text: string; cut: boolean } {
  if (f.binary) {
    const lines = f.text.split("\n");
    const stop = lines.indexOf("GIT binary patch");
    const header = (stop < 0 ? lines : lines.slice(0, stop)).slice(0, 8).join("\n");
    return { text: `${header.replace(/\n+$/, "")}\n(binary patch not shown)`, cut: false };
  }
  const [head, ...hunks] = f.text.split(/^(?=@@)/m);
  let text = head;
  let cut = false;
  for (const hunk of hunks) {
    if (text.length + hunk.length > budget) {
      cut = true;
      break;
    }
    text += hunk;
  }
  return { text: text.replace(/\n+$/, ""), cut };
}

/**
 * The diff within `maxChars`: whole when it fits, else the per-file summary
 * and then, file by file, the first hunks that fit (a file's later hunks and
 * the files after the budget is spent are left out, and the text says so).
 */
export function boundDiff(diff: string, maxChars: number): BoundedDiff {
  const files = parseUnifiedDiff(diff);
  if (diff.length <= maxChars && !files.some((f) => f.binary && /GIT binary patch/.test(f.text))) {
    return { text: diff, whole: true, files };
  }
  const head = `${files.length} file(s) changed, +${files.reduce((n, f) => n + f.added, 0)} −${
    files.reduce((n, f) => n + f.removed, 0)
  } lines; the diff is shortened (each file's first hunks):`;
  // The summary takes at most half the budget; files beyond that are counted.
  const lines = [head];
  let length = head.length;
  for (const [i, f] of files.entries()) {
    const line = `- ${fileSummaryLine(f)}`;
    if (length + line.length + 1 > maxChars / 2) {
      lines.push(`- … and ${files.length - i} more file(s)`);
      break;
    }
    lines.push(line);
    length += line.length + 1;
  }
  const summary = lines.join("\n");
  const parts = [summary];
  let used = summary.length;
  let left = 0;
  for (const [i, f] of files.entries()) {
    // Share what is left fairly among the files still to show.
    const share = Math.floor((maxChars - used) / (files.length - i));
    if (share < 200) {
      left = files.length - i;
      break;
    }
    const { text, cut } = firstHunks(f, share);
    const piece = cut ? `${text}\n… (more of ${f.path} not shown)` : text;
    if (used + piece.length + 2 > maxChars) {
      left = files.length - i;
      break;
    }
    parts.push(piece);
    used += piece.length + 2;
  }
  if (left > 0) parts.push(`… (the hunks of ${left} more file(s) are not shown)`);
  return { text: parts.join("\n\n"), whole: false, files };
}
