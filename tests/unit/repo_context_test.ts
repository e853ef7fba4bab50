/**
 * The repository's instruction files reach the system prompt only when they
 * are regular files inside the worktree: a committed symlink (at any path
 * component) or an oversized file is left out.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  MAX_INSTRUCTION_BYTES,
  readConfinedFile,
  readRepoContext,
} from "../../adapters/workspace/repo_context.ts";

async function withDirs(fn: (worktree: string, outside: string) => Promise<void>) {
  const base = await Deno.makeTempDir({ prefix: "repo-context-" });
  const worktree = `${base}/worktree`;
  const outside = `${base}/outside`;
  await Deno.mkdir(worktree);
  await Deno.mkdir(outside);
  await Deno.writeTextFile(`${outside}/copilot-instructions.md`, "SECRET=hunter2 from outside");
  await Deno.writeTextFile(`${outside}/AGENTS.md`, "outside agents file");
  try {
    await fn(worktree, outside);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

Deno.test("attack: a committed .github symlink out of the worktree is not followed", async () => {
  await withDirs(async (worktree, outside) => {
    await Deno.symlink(outside, `${worktree}/.github`);
    const context = await readRepoContext(worktree);
    assert.deepEqual(context.instructions, []);
    assert.ok(!JSON.stringify(context).includes("hunter2"));
  });
});

Deno.test("attack: a symlinked instruction file, even to a file inside the worktree, is not read", async () => {
  await withDirs(async (worktree, outside) => {
    await Deno.symlink(`${outside}/AGENTS.md`, `${worktree}/AGENTS.md`);
    await Deno.writeTextFile(`${worktree}/notes.md`, "inside");
    await Deno.symlink("notes.md", `${worktree}/CLAUDE.md`);
    const context = await readRepoContext(worktree);
    assert.deepEqual(context.instructions, []);
  });
});

Deno.test("a FIFO, a directory or an oversized file named like an instruction file is left out", async () => {
  await withDirs(async (worktree) => {
    await Deno.mkdir(`${worktree}/AGENTS.md`);
    await new Deno.Command("mkfifo", { args: [`${worktree}/CLAUDE.md`] }).output();
    await Deno.mkdir(`${worktree}/.github`);
    await Deno.writeTextFile(
      `${worktree}/.github/copilot-instructions.md`,
      "x".repeat(MAX_INSTRUCTION_BYTES + 1),
    );
    const context = await readRepoContext(worktree);
    assert.deepEqual(context.instructions, []);
  });
});

Deno.test("positive control: regular instruction files inside the worktree are read", async () => {
  await withDirs(async (worktree) => {
    await Deno.writeTextFile(`${worktree}/AGENTS.md`, "Use British spelling.");
    await Deno.mkdir(`${worktree}/.github`);
    await Deno.writeTextFile(`${worktree}/.github/copilot-instructions.md`, "Be brief.");
    const context = await readRepoContext(worktree);
    assert.deepEqual(context.instructions, [
      { file: "AGENTS.md", text: "Use British spelling." },
      { file: ".github/copilot-instructions.md", text: "Be brief." },
    ]);
    assert.equal(await readConfinedFile(worktree, "../outside/AGENTS.md"), null);
  });
});
