/**
 * The runner's git treats a worktree (and a cache) that sandboxed code may
 * have touched as hostile: config planted in the shared cache or in a nested
 * repository runs nothing, pushes go to the routed URL whatever the config
 * says, and the commit is exactly the tree that was scanned.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { BwrapSandbox } from "../../adapters/sandbox/bwrap.ts";
import { hostileRig, personGit } from "../support/hostile_repo.ts";

const AUTHOR = { name: "AI Runner", email: "ai@example.com" };
const sandbox = new BwrapSandbox();

/** A script that leaves `marker` behind when anything runs it. */
async function trap(dir: string, marker: string): Promise<string> {
  const path = join(dir, `trap-${crypto.randomUUID()}.sh`);
  await Deno.writeTextFile(path, `#!/bin/sh\necho ran >> ${marker}\n`);
  await Deno.chmod(path, 0o755);
  return path;
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("git: a remote redirected in the cache's config does not receive the push", async () => {
  await using rig = await hostileRig(sandbox);
  const attacker = join(rig.base, "attacker.git");
  await personGit(rig.base, "init", "-q", "--bare", attacker);
  const cache = rig.git.cachePath("docs");
  await personGit(cache, "config", "remote.origin.url", `file://${attacker}`);
  await personGit(cache, "config", "remote.origin.pushurl", `file://${attacker}`);
  await personGit(cache, "config", `url.file://${attacker}.insteadOf`, `file://${rig.remote}`);
  await Deno.writeTextFile(join(rig.worktree.path, "README.md"), "# Docs\nchanged\n");
  const made = await rig.git.commit(rig.worktree, { message: "T-1: change", author: AUTHOR });
  // No cloneUrl given: the URL the runner recorded at prepare, not the config's.
  await rig.git.push(rig.worktree, { branch: rig.worktree.branch });
  assert.equal(await personGit(rig.remote, "rev-parse", "refs/heads/ai/T-1"), made!.sha);
  await assert.rejects(personGit(attacker, "rev-parse", "--verify", "refs/heads/ai/T-1"));
});

Deno.test("git: fsmonitor, hooks and an external diff planted in the cache never run", async () => {
  await using rig = await hostileRig(sandbox);
  const marker = join(rig.base, "ran.txt");
  const script = await trap(rig.base, marker);
  const cache = rig.git.cachePath("docs");
  await personGit(cache, "config", "core.fsmonitor", script);
  await personGit(cache, "config", "diff.external", script);
  await personGit(cache, "config", "core.pager", script);
  await Deno.mkdir(join(rig.base, "hooks"));
  for (const hook of ["pre-commit", "post-commit", "pre-push", "reference-transaction"]) {
    await Deno.copyFile(script, join(rig.base, "hooks", hook));
    await Deno.chmod(join(rig.base, "hooks", hook), 0o755);
  }
  await personGit(cache, "config", "core.hooksPath", join(rig.base, "hooks"));
  await Deno.writeTextFile(join(rig.worktree.path, "new.md"), "new\n");
  await rig.git.status(rig.worktree);
  await rig.git.diff(rig.worktree);
  const snap = await rig.git.snapshot(rig.worktree);
  await rig.git.commitTree(rig.worktree, snap.tree, { message: "T-1: new", author: AUTHOR });
  await Deno.writeTextFile(join(rig.worktree.path, "other.md"), "other\n");
  await rig.git.commit(rig.worktree, { message: "T-1: other", author: AUTHOR });
  await rig.git.push(rig.worktree, { branch: rig.worktree.branch });
  assert.equal(await exists(marker), false, "a planted command ran on the runner's git");
});

Deno.test("git: a planted cache config is reset when the next run prepares", async () => {
  await using rig = await hostileRig(sandbox);
  const marker = join(rig.base, "ran.txt");
  const script = await trap(rig.base, marker);
  const cache = rig.git.cachePath("docs");
  await personGit(cache, "config", "core.fsmonitor", script);
  await personGit(cache, "config", "include.path", join(rig.base, "evil.config"));
  await personGit(cache, "config", "extensions.worktreeConfig", "true");
  await personGit(cache, "config", "remote.origin.url", "https://attacker.example/x.git");
  await rig.git.prepare({
    repoId: "docs",
    cloneUrl: rig.remote,
    baseBranch: "main",
    branch: "ai/T-3",
    runId: "run-3",
  });
  const config = await Deno.readTextFile(join(cache, "config"));
  assert.doesNotMatch(config, /fsmonitor|include|worktreeConfig|attacker/i);
  assert.match(config, new RegExp(`url = file://${rig.remote}`));
  assert.equal(await exists(marker), false);
});

Deno.test("git: an fsmonitor in a nested repository the sandbox made never runs", async () => {
  await using rig = await hostileRig(sandbox);
  const marker = join(rig.base, "ran.txt");
  const script = await trap(rig.base, marker);
  const nested = join(rig.worktree.path, "vendor", "lib");
  await Deno.mkdir(nested, { recursive: true });
  await personGit(nested, "init", "-q");
  await Deno.writeTextFile(join(nested, "a.txt"), "a\n");
  await personGit(nested, "add", "a.txt");
  await personGit(nested, "commit", "-q", "-m", "nested");
  await personGit(nested, "config", "core.fsmonitor", script);
  await personGit(nested, "config", "core.hooksPath", join(rig.base));
  await rig.git.commit(rig.worktree, { message: "T-1: vendor", author: AUTHOR });
  await Deno.writeTextFile(join(nested, "a.txt"), "changed\n");
  await rig.git.status(rig.worktree);
  await rig.git.diff(rig.worktree);
  await rig.git.snapshot(rig.worktree);
  assert.equal(await exists(marker), false, "the nested repository's fsmonitor ran");
});

Deno.test("git: commitTree commits exactly the snapshot that was scanned", async () => {
  await using rig = await hostileRig(sandbox);
  const file = join(rig.worktree.path, "README.md");
  await Deno.writeTextFile(file, "# Docs\nscanned\n");
  const snap = await rig.git.snapshot(rig.worktree);
  assert.match(snap.diff, /\+scanned/);
  assert.deepEqual(snap.filesChanged, ["README.md"]);
  // Something writes after the scan (a process that outlived its sandbox would).
  await Deno.writeTextFile(file, "# Docs\nscanned\nAKIAIOSFODNN7EXAMPLE planted after the scan\n");
  const made = await rig.git.commitTree(rig.worktree, snap.tree, {
    message: "T-1: scanned",
    author: AUTHOR,
  });
  assert.ok(made);
  assert.deepEqual(made.filesChanged, ["README.md"]);
  const committed = await personGit(rig.worktree.path, "show", `${made.sha}:README.md`);
  assert.equal(committed, "# Docs\nscanned");
  assert.equal(await rig.git.head(rig.worktree), made.sha);
  // The late write is still there, uncommitted, and the next snapshot shows it.
  assert.deepEqual((await rig.git.status(rig.worktree)).map((c) => c.path), ["README.md"]);
  const again = await rig.git.snapshot(rig.worktree, { from: made.sha });
  assert.match(again.diff, /planted after the scan/);
  // The same tree again is no commit.
  assert.equal(
    await rig.git.commitTree(rig.worktree, snap.tree, { message: "T-1: again", author: AUTHOR }),
    null,
  );
});
