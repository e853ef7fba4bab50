/**
 * The repository's instructions for agents, where they apply: an instruction
 * file (`AGENTS.md`, `CLAUDE.md`) in a directory applies to everything under
 * that directory, and the nearest one speaks last, the rule Codex
 * (`AGENTS.md` from the root down to the working directory) and Claude Code
 * (nested `CLAUDE.md` read when it works in that subtree) follow. Pure.
 *
 * @module
 */

/** One instruction file found in the repository. */
export interface InstructionFile {
  /** The directory it governs, relative to the root, `/`-separated; `""` for the root. */
  dir: string;
  /** Its path relative to the root (`packages/api/AGENTS.md`). */
  file: string;
  text: string;
  /** True when only the first part of the file is kept. */
  truncated: boolean;
}

/** The directory of a path (`a/b/c.ts` → `a/b`; `c.ts` → `""`). */
export function parentDir(path: string): string {
  const clean = normalize(path);
  const slash = clean.lastIndexOf("/");
  return slash < 0 ? "" : clean.slice(0, slash);
}

function normalize(path: string): string {
  return path.split("/").filter((s) => s !== "" && s !== ".").join("/");
}

/** True when `dir` is `target` or one of its ancestors (`""` is everyone's). */
export function governs(dir: string, target: string): boolean {
  return dir === "" || target === dir || target.startsWith(`${dir}/`);
}

/**
 * The instructions that apply to `path` (a file or a directory): the root's
 * and every ancestor directory's, the nearest last. `isDirectory`: the path is
 * a directory, so its own instruction files apply too.
 */
export function instructionsFor(
  path: string,
  files: readonly InstructionFile[],
  isDirectory = false,
): InstructionFile[] {
  const target = isDirectory ? normalize(path) : parentDir(path);
  return files.filter((f) => governs(f.dir, target))
    .sort((a, b) => depth(a.dir) - depth(b.dir) || a.file.localeCompare(b.file));
}

function depth(dir: string): number {
  return dir === "" ? 0 : dir.split("/").length;
}

/** A backtick fence longer than any run of backticks in `text`. */
function fenceFor(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  return "`".repeat(Math.max(3, longest + 1));
}

/** Instruction files as text for the model, each headed by where it applies. */
export function formatInstructions(files: readonly InstructionFile[]): string {
  return files.map((f) => {
    const fence = fenceFor(f.text);
    const scope = f.dir === "" ? "the whole repository" : `files under ${f.dir}/`;
    return `Repository instructions from ${f.file} (they apply to ${scope}` +
      `${f.truncated ? "; cut to the first part" : ""}):\n${fence}markdown\n${f.text}\n${fence}`;
  }).join("\n\n");
}
