/**
 * The leftovers sweeper: worktrees of runs that are not active go (those of
 * active runs stay, and so does the pool of parked worktrees); scratch
 * directories go once no live process uses them (a directory a live process
 * has as its HOME or working directory stays).
 *
 * @module
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  inUseByLiveProcess,
  sweepScratchDirs,
  sweepWorktrees,
  type WorktreeOnDisk,
} from "../../adapters/git/sweep.ts";

Deno.test("sweepWorktrees: removes worktrees of runs no longer active, keeps the rest", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sweep-wt-" });
  try {
    for (const p of ["docs/run-failed", "docs/run-active", "docs/.pool/x", "api/run-nochange"]) {
      await Deno.mkdir(join(dir, p), { recursive: true });
    }
    const removed: WorktreeOnDisk[] = [];
    const result = await sweepWorktrees({
      worktreeDir: dir,
      isActive: (runId) => Promise.resolve(runId === "run-active"),
      remove: async (w) => {
        removed.push(w);
        await Deno.remove(w.path, { recursive: true });
      },
    });
    assert.deepEqual(result.map((w) => `${w.repoId}/${w.runId}`), [
      "api/run-nochange",
      "docs/run-failed",
    ]);
    assert.deepEqual(removed, result);
    assert.ok(existsSync(join(dir, "docs/run-active")));
    assert.ok(existsSync(join(dir, "docs/.pool/x")), "the pool is the adapter's");
    assert.deepEqual(
      await sweepWorktrees({
        worktreeDir: join(dir, "missing"),
        isActive: () => Promise.resolve(false),
        remove: () => Promise.reject(new Error("never")),
      }),
      [],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("sweepScratchDirs: dead processes' scratch dirs go, a live one's stays", async () => {
  const base = await Deno.makeTempDir({ prefix: "sweep-tmp-" });
  const sleeper: Deno.ChildProcess[] = [];
  try {
    const dead = join(base, "ai-runner-diff-dead");
    const live = join(base, "ai-runner-validate-live");
    const young = join(base, "ai-runner-validate-young");
    const other = join(base, "something-else");
    for (const d of [dead, live, young, other]) await Deno.mkdir(d);
    // A live process whose HOME is the validate directory (as a validation's is).
    const child = new Deno.Command("sleep", {
      args: ["300"],
      env: { HOME: live },
      cwd: live,
      stdout: "null",
      stderr: "null",
    }).spawn();
    sleeper.push(child);
    assert.equal(await inUseByLiveProcess(live), true);
    assert.equal(await inUseByLiveProcess(dead), false);
    const old = new Date(Date.now() - 60 * 60_000);
    for (const d of [dead, live, other]) await Deno.utime(d, old, old);
    const removed = await sweepScratchDirs({ tmpDir: base });
    assert.deepEqual(removed, [dead]);
    assert.ok(existsSync(live), "in use by a live process");
    assert.ok(existsSync(young), "too young to judge");
    assert.ok(existsSync(other), "not ours");
    // Where /proc cannot tell, only the very old go.
    const unknown = await sweepScratchDirs({
      tmpDir: base,
      inUse: () => Promise.resolve(null),
      maxAgeMs: 30 * 60_000,
    });
    assert.deepEqual(unknown, [live]);
  } finally {
    for (const c of sleeper) {
      c.kill();
      await c.status;
    }
    await Deno.remove(base, { recursive: true });
  }
});
