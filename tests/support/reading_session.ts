/**
 * A scripted reading session for caching tests and the bench: a temp worktree
 * of `files` documentation pages of about 8 KB each, and a script that reads
 * one page per turn (the way an agent explores a repository) and finishes.
 */
import { createWorkspaceTools, type WorkspaceTools } from "../../adapters/workspace/tools.ts";
import type { FakeTurn } from "../../adapters/standins/llm_server.ts";

/** One ~8 KB page of plausible documentation. */
export function page(i: number, bytes = 8 * 1024): string {
  const lines: string[] = [`# Page ${i}`, ""];
  let size = 0;
  for (let n = 0; size < bytes; n++) {
    const line = `Section ${i}.${n}: the runner keeps every step as an event, so an auditor ` +
      `can replay run ${i * 1000 + n} and see who asked, reviewed and merged.`;
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join("\n") + "\n";
}

/** A temp worktree with `files` pages, the workspace tools on it, and cleanup. */
export async function withPages<T>(
  files: number,
  fn: (repo: { root: string; tools: WorkspaceTools }) => Promise<T>,
): Promise<T> {
  const root = await Deno.makeTempDir({ prefix: "reading-session-" });
  try {
    await Deno.mkdir(`${root}/docs`);
    for (let i = 0; i < files; i++) await Deno.writeTextFile(`${root}/docs/page-${i}.md`, page(i));
    const tools = await createWorkspaceTools({
      root,
      runValidation: () => Promise.resolve({ passed: true, output: "ok" }),
    });
    return await fn({ root, tools });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/** `turns` turns: read page 0, 1, … (wrapping), the last one calls `finish`. */
export function readingScript(
  turns: number,
  files: number,
  extra: { reasoning?: string } = {},
): FakeTurn[] {
  return Array.from(
    { length: turns },
    (_, i): FakeTurn =>
      i === turns - 1
        ? { ...extra, toolCalls: [{ name: "finish", input: { summary: `Read ${i} pages.` } }] }
        : {
          ...extra,
          text: `Reading page ${i % files}.`,
          toolCalls: [{ name: "read_file", input: { path: `docs/page-${i % files}.md` } }],
        },
  );
}
