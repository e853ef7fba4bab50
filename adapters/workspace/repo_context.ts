/**
 * The repository context for the prompt: the repo's own instructions for AI
 * agents and the repository map (`repo_map.ts`).
 *
 * @module
 */
import type { RepoContext, RepoFocus } from "../../domain/ports/workspace.ts";
import { buildRepoMap } from "./repo_map.ts";

/** Files whose text is given to the model as the repository's instructions. */
export const INSTRUCTION_FILES = ["AGENTS.md", "CLAUDE.md", ".github/copilot-instructions.md"];

/** Reads the instructions and maps the repository, ranked toward `focus`. */
export async function readRepoContext(root: string, focus?: RepoFocus): Promise<RepoContext> {
  const instructions: RepoContext["instructions"] = [];
  for (const file of INSTRUCTION_FILES) {
    try {
      const info = await Deno.lstat(`${root}/${file}`);
      if (!info.isFile || info.size > 200_000) continue;
      instructions.push({ file, text: await Deno.readTextFile(`${root}/${file}`) });
    } catch { /* absent */ }
  }
  const map = await buildRepoMap(root, {
    focus: focus ? { text: focus.text, paths: focus.paths } : undefined,
    budgetChars: focus?.budgetChars,
  });
  const fileTree = map.text;
  return {
    instructions,
    fileTree,
    map: {
      totalFiles: map.totalFiles,
      symbols: map.symbols,
      relevant: map.relevant,
      notes: map.notes,
      files: map.files,
    },
  };
}
