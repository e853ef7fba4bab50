/**
 * Nested instruction files (`AGENTS.md`, `CLAUDE.md` in subdirectories) and a
 * tool wrapper that shows them to the model the first time it works under
 * their directory.
 *
 * Finding them treats the worktree as hostile: regular files only (no
 * symlinks, FIFOs or devices; a file with several hard links is skipped, as
 * the tools skip it), symlinked directories are never entered, `.git` and
 * dependency folders are skipped, and everything is bounded: directories
 * visited, depth, number of files and bytes read per file and in all. The
 * files are read once, when the run's tools open: an instruction file the
 * model writes later is never taken as an instruction.
 *
 * @module
 */
import { SKIP_DIRS } from "./paths.ts";
import type { ToolOutcome } from "../../domain/agent/tool_executor.ts";
import {
  formatInstructions,
  type InstructionFile,
  instructionsFor,
} from "../../domain/instructions.ts";
import type { RunTools } from "../../domain/ports/workspace.ts";

export type { InstructionFile } from "../../domain/instructions.ts";

/** Names of instruction files that govern their directory's subtree. */
export const NESTED_INSTRUCTION_NAMES = ["AGENTS.md", "CLAUDE.md"];

/** Bounds of {@link findInstructionFiles}. */
export interface InstructionLimits {
  /** Most instruction files kept (the shallowest first). */
  maxFiles: number;
  /** Most bytes read of one file (the rest is cut, `truncated`). */
  maxBytesPerFile: number;
  /** Most bytes read in all. */
  maxTotalBytes: number;
  /** Most directories visited. */
  maxDirectories: number;
  /** Deepest directory visited (the root is 0). */
  maxDepth: number;
}

/** Defaults: 50 files, 32 KiB each, 256 KiB in all, 20,000 directories, depth 16. */
export const DEFAULT_INSTRUCTION_LIMITS: InstructionLimits = {
  maxFiles: 50,
  maxBytesPerFile: 32 * 1024,
  maxTotalBytes: 256 * 1024,
  maxDirectories: 20_000,
  maxDepth: 16,
};

/** What {@link findInstructionFiles} found, with notes on what it left out. */
export interface FoundInstructions {
  files: InstructionFile[];
  notes: string[];
}

/**
 * Every `AGENTS.md` / `CLAUDE.md` in the worktree (the root's included, with
 * `dir: ""`), breadth-first so the shallowest win when the count is capped.
 * `untrustedPaths`: files the branch changed against its base (an earlier
 * iteration's work), which are not taken as instructions.
 */
export async function findInstructionFiles(
  root: string,
  limits: Partial<InstructionLimits> = {},
  untrustedPaths: readonly string[] = [],
): Promise<FoundInstructions> {
  const untrusted = new Set(untrustedPaths);
  const max = { ...DEFAULT_INSTRUCTION_LIMITS, ...limits };
  const realRoot = await Deno.realPath(root);
  const files: InstructionFile[] = [];
  const notes: string[] = [];
  let total = 0;
  let visited = 0;
  const queue: { dir: string; depth: number }[] = [{ dir: "", depth: 0 }];
  while (queue.length > 0) {
    const { dir, depth } = queue.shift()!;
    if (++visited > max.maxDirectories) {
      notes.push(`Stopped looking for instruction files after ${max.maxDirectories} directories.`);
      break;
    }
    const abs = dir ? `${realRoot}/${dir}` : realRoot;
    const entries: Deno.DirEntry[] = [];
    try {
      for await (const e of Deno.readDir(abs)) entries.push(e);
    } catch {
      continue; // vanished or unreadable: nothing to find there
    }
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const rel = dir ? `${dir}/${e.name}` : e.name;
      // DirEntry does not follow symlinks: a symlinked directory is not entered.
      if (e.isDirectory && !e.isSymlink) {
        if (!SKIP_DIRS.has(e.name) && depth < max.maxDepth) {
          queue.push({ dir: rel, depth: depth + 1 });
        }
        continue;
      }
      if (!NESTED_INSTRUCTION_NAMES.includes(e.name)) continue;
      if (untrusted.has(rel)) {
        notes.push(`${rel} is changed on this branch, not on its base: not taken as instructions.`);
        continue;
      }
      if (files.length >= max.maxFiles) {
        notes.push(
          `More than ${max.maxFiles} instruction files: ${rel} and later ones are left out.`,
        );
        return { files, notes };
      }
      const room = Math.min(max.maxBytesPerFile, max.maxTotalBytes - total);
      if (room <= 0) {
        notes.push(`Instruction files over ${max.maxTotalBytes} bytes in all: ${rel} is left out.`);
        continue;
      }
      const read = await readRegularFile(`${realRoot}/${rel}`, room);
      if (!read.ok) {
        notes.push(`${rel} is not read: ${read.reason}.`);
        continue;
      }
      total += read.bytes;
      files.push({ dir, file: rel, text: read.text, truncated: read.truncated });
    }
  }
  return { files, notes };
}

type ReadResult =
  | { ok: true; text: string; bytes: number; truncated: boolean }
  | { ok: false; reason: string };

/**
 * Reads at most `max` bytes of a regular file that is not a symlink and has
 * one link, checking that what was opened is what was inspected.
 */
async function readRegularFile(path: string, max: number): Promise<ReadResult> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch {
    return { ok: false, reason: "it vanished" };
  }
  if (info.isSymlink) return { ok: false, reason: "it is a symbolic link" };
  if (!info.isFile) return { ok: false, reason: "it is not a regular file" };
  if ((info.nlink ?? 1) > 1) return { ok: false, reason: "it has several hard links" };
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch {
    return { ok: false, reason: "it cannot be opened" };
  }
  try {
    const opened = await file.stat();
    // Swapped between lstat and open (a race with something in the worktree): refuse.
    if (!opened.isFile || opened.ino !== info.ino || opened.dev !== info.dev) {
      return { ok: false, reason: "it changed while being read" };
    }
    const buffer = new Uint8Array(max + 1);
    let size = 0;
    while (size < buffer.length) {
      const n = await file.read(buffer.subarray(size));
      if (n === null) break;
      size += n;
    }
    const truncated = size > max;
    const bytes = buffer.subarray(0, Math.min(size, max));
    if (bytes.includes(0)) return { ok: false, reason: "it is not text" };
    let text = new TextDecoder("utf-8").decode(bytes);
    if (truncated) text = text.replace(/\uFFFD$/, "");
    return { ok: true, text, bytes: bytes.length, truncated };
  } finally {
    file.close();
  }
}

/** Tools whose `path` argument says where the model is working. */
const PATH_TOOLS: Record<string, "file" | "directory"> = {
  read_file: "file",
  write_file: "file",
  edit_file: "file",
  delete_file: "file",
  list_files: "directory",
  search: "directory",
};

/**
 * Wraps a run's tools so the first successful call that works under a
 * directory with nested instructions (`read_file`, `list_files`, `search`,
 * `write_file`, `edit_file`, `delete_file` with a `path` there) gets those
 * instructions appended to its result, once per instruction file. The
 * root's instructions are left out (the system prompt carries them).
 */
export function withNestedInstructions(
  tools: RunTools,
  files: readonly InstructionFile[],
): RunTools & { shown(): string[] } {
  const nested = files.filter((f) => f.dir !== "");
  const shown = new Set<string>();
  return {
    definitions: tools.definitions,
    filesChanged: () => tools.filesChanged(),
    diffBytes: tools.diffBytes ? () => tools.diffBytes!() : undefined,
    shown: () => [...shown],
    async execute(name, input, signal): Promise<ToolOutcome> {
      const outcome = await tools.execute(name, input, signal);
      const kind = PATH_TOOLS[name];
      const path = input && typeof input === "object"
        ? (input as { path?: unknown }).path
        : undefined;
      if (!kind || outcome.isError || typeof path !== "string" || nested.length === 0) {
        return outcome;
      }
      const fresh = instructionsFor(path, nested, kind === "directory")
        .filter((f) => !shown.has(f.file));
      if (fresh.length === 0) return outcome;
      for (const f of fresh) shown.add(f.file);
      return {
        ...outcome,
        content: `${outcome.content}\n\n${formatInstructions(fresh)}\n` +
          "Follow these for files under those directories, unless the task says otherwise.",
      };
    },
  };
}
