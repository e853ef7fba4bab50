/**
 * The repository context for the prompt: the repo's own instructions for AI
 * agents and a bounded file tree.
 *
 * @module
 */
import type { RepoContext } from "../../domain/ports/workspace.ts";

/** Files whose text is given to the model as the repository's instructions. */
export const INSTRUCTION_FILES = ["AGENTS.md", "CLAUDE.md", ".github/copilot-instructions.md"];

const SKIP_DIRS = new Set([".git", "node_modules", "vendor", "dist", "build", ".venv", "target"]);

/** Largest instruction file read, in bytes; a bigger one is left out. */
export const MAX_INSTRUCTION_BYTES = 200_000;

/**
 * The text of `rel` under `root` when it is a regular file reached without
 * following any symlink (a committed `.github -> /etc` or `AGENTS.md ->
 * ~/.ssh/id_rsa` is refused) and at most `maxBytes` long; null otherwise.
 * The opened file is checked to be the one inspected, so a swap in between
 * is refused too.
 */
export async function readConfinedFile(
  root: string,
  rel: string,
  maxBytes = MAX_INSTRUCTION_BYTES,
): Promise<string | null> {
  const parts = rel.split("/");
  if (parts.some((p) => p === "" || p === "." || p === "..")) return null;
  let path = root;
  let info: Deno.FileInfo | null = null;
  try {
    for (const [i, part] of parts.entries()) {
      path = `${path}/${part}`;
      info = await Deno.lstat(path);
      if (info.isSymlink) return null;
      if (i < parts.length - 1 ? !info.isDirectory : !info.isFile) return null;
    }
  } catch {
    return null; // absent
  }
  if (!info || info.size > maxBytes) return null;
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch {
    return null;
  }
  try {
    const opened = await file.stat();
    if (!opened.isFile || opened.ino !== info.ino || opened.dev !== info.dev) return null;
    const buffer = new Uint8Array(maxBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      const n = await file.read(buffer.subarray(length));
      if (n === null) break;
      length += n;
    }
    if (length > maxBytes) return null; // grew meanwhile
    return new TextDecoder().decode(buffer.subarray(0, length));
  } finally {
    file.close();
  }
}

/** Reads the instructions and lists up to `maxFiles` paths (breadth-first, sorted). */
export async function readRepoContext(root: string, maxFiles = 400): Promise<RepoContext> {
  const instructions: RepoContext["instructions"] = [];
  for (const file of INSTRUCTION_FILES) {
    const text = await readConfinedFile(root, file);
    if (text !== null) instructions.push({ file, text });
  }
  const files: string[] = [];
  let more = 0;
  const queue = [""];
  while (queue.length > 0) {
    const dir = queue.shift()!;
    const entries: Deno.DirEntry[] = [];
    for await (const e of Deno.readDir(`${root}/${dir}`)) entries.push(e);
    entries.sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const rel = dir ? `${dir}/${e.name}` : e.name;
      if (e.isDirectory) {
        if (!SKIP_DIRS.has(e.name)) queue.push(rel);
      } else if (files.length < maxFiles) files.push(rel);
      else more++;
    }
  }
  const fileTree = files.join("\n") + (more ? `\n… and ${more} more files` : "");
  return { instructions, fileTree };
}
