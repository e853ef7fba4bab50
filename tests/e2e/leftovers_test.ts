/**
 * A failed run leaves its worktree behind (the workflow removes only a
 * finished run's); the worker's leftovers sweeper removes it, and leaves the
 * worktree of a run that is still active.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { leftoverSweeper } from "../../adapters/cli/worker.ts";
import { JsonLogger } from "../../adapters/log/json_logger.ts";
import { startLoop } from "../support/loop.ts";

async function runDirs(worktrees: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const repo of Deno.readDir(worktrees)) {
      for await (const run of Deno.readDir(join(worktrees, repo.name))) {
        if (!run.name.startsWith(".")) out.push(run.name);
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return out.sort();
}

Deno.test("leftovers: the sweeper removes a failed run's worktree, not an active run's", async () => {
  await using loop = await startLoop({
    issues: [{
      key: "MWC-4",
      summary: "x",
      description: 'Replace "Each run links" with "Every run links".',
    }],
  });
  loop.world.github.injectFault({ method: "POST", path: "/pulls", status: 404, times: 1 });
  const { runId } = await loop.assign("MWC-4");
  assert.deepEqual(await loop.drain(), ["failed"]);
  await loop.projector.catchUp();
  const worktrees = join(loop.config.dataDir, "worktrees");
  const before = await runDirs(worktrees);
  // An active run's worktree (a worker on it right now) must stay.
  const { runId: active } = await loop.assign("MWC-4");
  await loop.projector.catchUp();
  await Deno.mkdir(join(worktrees, "online-docs", active), { recursive: true });
  const sweep = leftoverSweeper(
    loop.config,
    loop.store,
    new JsonLogger({ level: "error", sink: () => {} }),
  );
  await sweep();
  const after = await runDirs(worktrees);
  assert.ok(before.includes(runId), `the failed run's worktree was left: ${before}`);
  assert.deepEqual(after, [active]);
});
