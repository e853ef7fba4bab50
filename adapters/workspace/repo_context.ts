/**
 * The repository context for the prompt: the repo's own instructions for AI
 * agents and a bounded file tree.
 *
 * @module
 */
import type { RepoContext, RepoFocus } from "../../domain/ports/workspace.ts";
import { buildRepoMap } from "./repo_map.ts";

/** Files whose text is given to the model as the repository's instructions. */
export const INSTRUCTION_FILES = ["AGENTS.md", "CLAUDE.md", ".github/copilot-instructions.md"];

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

/** Reads the instructions (confined, see {@link readConfinedFile}) and maps the repository, ranked toward `focus`. */
export async function readRepoContext(root: string, focus?: RepoFocus): Promise<RepoContext> {
  const instructions: RepoContext["instructions"] = [];
  for (const file of INSTRUCTION_FILES) {
    const text = await readConfinedFile(root, file);
    if (text !== null) instructions.push({ file, text });
  }
  const map = await buildRepoMap(root, {
    focus: focus ? { text: focus.text, paths: focus.paths } : undefined,
    budgetChars: focus?.budgetChars,
  });
  return {
    instructions,
    fileTree: map.text,
    map: {
      totalFiles: map.totalFiles,
      symbols: map.symbols,
      relevant: map.relevant,
      notes: map.notes,
      files: map.files,
    },
  };
}
