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

/** Reads the instructions and lists up to `maxFiles` paths (breadth-first, sorted). */
export async function readRepoContext(root: string, maxFiles = 400): Promise<RepoContext> {
  const instructions: RepoContext["instructions"] = [];
  for (const file of INSTRUCTION_FILES) {
    try {
      const info = await Deno.lstat(`${root}/${file}`);
      if (!info.isFile || info.size > 200_000) continue;
      instructions.push({ file, text: await Deno.readTextFile(`${root}/${file}`) });
    } catch { /* absent */ }
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
