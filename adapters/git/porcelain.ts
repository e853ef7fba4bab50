/**
 * Parsers of git's machine-readable outputs: `git worktree list --porcelain -z`
 * and `git status --porcelain=v1 -z`.
 *
 * @module
 */
import type { ChangedFile, FileChange } from "../../domain/ports/git.ts";

/** One entry of `git worktree list --porcelain`. */
export interface WorktreeEntry {
  path: string;
  head: string | null;
  /** Full ref, e.g. `refs/heads/ai/MWC-1`; null when detached or bare. */
  branch: string | null;
  bare: boolean;
  /** Git considers it prunable (its directory is gone). */
  prunable: boolean;
}

/** Parses `git worktree list --porcelain -z` (attributes NUL-terminated, entries by an empty one). */
export function parseWorktreeList(output: string): WorktreeEntry[] {
  const entries: WorktreeEntry[] = [];
  let current: WorktreeEntry | null = null;
  for (const field of output.split("\0")) {
    if (field === "") {
      if (current) entries.push(current);
      current = null;
      continue;
    }
    const space = field.indexOf(" ");
    const key = space < 0 ? field : field.slice(0, space);
    const value = space < 0 ? "" : field.slice(space + 1);
    if (key === "worktree") {
      if (current) entries.push(current);
      current = { path: value, head: null, branch: null, bare: false, prunable: false };
    } else if (current) {
      if (key === "HEAD") current.head = value;
      else if (key === "branch") current.branch = value;
      else if (key === "bare") current.bare = true;
      else if (key === "prunable") current.prunable = true;
    }
  }
  if (current) entries.push(current);
  return entries;
}

function changeOf(x: string, y: string): FileChange {
  if (x === "?" || x === "A") return "added";
  if (x === "D" || y === "D") return "deleted";
  if (x === "T" || y === "T") return "type_changed";
  return "modified";
}

/**
 * Parses `git status --porcelain=v1 -z --no-renames`: entries `XY path` separated
 * by NUL. (With renames off, a rename shows as a deletion and an addition.)
 */
export function parseStatus(output: string): ChangedFile[] {
  return output.split("\0").filter((e) => e.length > 3).map((entry) => ({
    path: entry.slice(3),
    change: changeOf(entry[0], entry[1]),
  }));
}
