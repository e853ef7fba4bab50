/**
 * `deno task demo` runs to completion headless (no Ctrl-C wait), as a real
 * process from the checkout, and writes nothing into the checkout.
 */
import assert from "node:assert/strict";

const root = new URL("../../", import.meta.url).pathname;

/** Untracked and ignored paths in the checkout (`git status`). */
async function strayPaths(): Promise<Set<string>> {
  const out = await new Deno.Command("git", {
    args: ["status", "--porcelain", "--ignored", "--untracked-files=all"],
    cwd: root,
    stdout: "piped",
  }).output();
  return new Set(
    new TextDecoder().decode(out.stdout).split("\n")
      .filter((l) => l.startsWith("??") || l.startsWith("!!"))
      .map((l) => l.slice(3)),
  );
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("demo: the whole loop runs headless and exits 0, writing only to a temp dir", async () => {
  const hadDataDir = await exists(`${root}data`);
  const before = await strayPaths();
  const env = Deno.env.toObject();
  for (const name of ["DATA_DIR", "DATABASE_URL", "RUNNER_CONFIG", "PORT", "HOST"]) {
    delete env[name];
  }
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", "demo", "--no-wait"],
    cwd: root,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, `${stdout}\n${stderr}`);

  // Labelled as a demo on stand-ins.
  assert.match(stdout, /DEMO ON STAND-INS/);
  // The first iteration: progress, the branch's diff, the PR, the Jira comment and status.
  assert.match(stdout, /worker claimed the run/);
  assert.match(stdout, /pushed ai\/MWC-1 @[0-9a-f]{7}/);
  assert.match(stdout, /\+Run the installer and wait to receive the confirmation email\./);
  const pr = /pull request #1 opened: (http:\/\/127\.0\.0\.1:\d+\/acme\/online-docs\/pull\/1)/
    .exec(stdout);
  assert.ok(pr, "the PR URL is shown");
  assert.match(stdout, /AI Runner opened a pull request for this issue/);
  assert.ok(stdout.includes(`[#1](${pr[1]})`), "the Jira comment links the PR");
  assert.match(stdout, /Jira status: In Testing, assignee: Leigh Reviewer/);
  // The second iteration, on the same branch and PR, acting on the reviewer's comment.
  assert.match(stdout, /6\. The second iteration/);
  assert.match(stdout, /continued from the remote branch/);
  assert.match(stdout, /\+Open the dashboard to see your runs\./);
  assert.match(stdout, /pull request #1 updated/);
  assert.match(stdout, /AI Runner updated a pull request for this issue/);
  assert.doesNotMatch(stdout, /pull request #2/);
  // The approval and the merge, delivered as signed webhooks and recorded.
  assert.match(stdout, /leigh approves PR #1 on GitHub/);
  assert.match(stdout, /Approved: +PR #1 by leigh/);
  assert.doesNotMatch(stdout, /no approval recorded/);
  assert.match(stdout, /server answered 200 .*"PrMerged"/);
  assert.match(stdout, /PR #1 merged by leigh/);
  // The audit timeline and where to look next.
  assert.match(stdout, /8\. The audit timeline/);
  assert.match(stdout, /Dashboard: +http:\/\/127\.0\.0\.1:\d+\//);
  assert.match(stdout, /Exiting \(--no-wait\)/);

  // Nothing written in the checkout: the data lived in a temp dir, now removed.
  const dataDir = /Data: +(\S+)/.exec(stdout)?.[1] ?? "";
  assert.ok(dataDir && !dataDir.startsWith(root), `data dir ${dataDir} is outside the checkout`);
  assert.equal(await exists(dataDir), false, "the temp dir is removed on exit");
  assert.equal(await exists(`${root}data`), hadDataDir, "no data/ dir appeared in the checkout");
  assert.match(stdout, /the temp dir is removed \(--keep keeps it\)/);
  const runtime = /(^|\/)(data\/|worktrees\/)|\.(db|db-wal|db-shm|log)$/;
  const added = [...await strayPaths()].filter((p) => !before.has(p) && runtime.test(p));
  assert.deepEqual(added, [], "runtime files appeared in the checkout");
});

Deno.test("demo --keep: the directory with the database and repositories stays, and is named", async () => {
  const env = Deno.env.toObject();
  for (const name of ["DATA_DIR", "DATABASE_URL", "RUNNER_CONFIG", "PORT", "HOST"]) {
    delete env[name];
  }
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", "demo", "--no-wait", "--keep"],
    cwd: root,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, stdout + new TextDecoder().decode(out.stderr));
  const kept = /the directory (\S+) is kept \(--keep\)/.exec(stdout)?.[1];
  assert.ok(kept, stdout.slice(-2000));
  try {
    const dataDir = /Data: +(\S+)/.exec(stdout)?.[1] ?? "";
    assert.ok(dataDir.startsWith(kept), `${dataDir} is inside ${kept}`);
    assert.ok(await exists(`${dataDir}/runner.db`), "the database is kept");
    // And the kept store answers the audit, read-only.
    const audit = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "main.ts", "audit", "--verify"],
      cwd: root,
      env: { ...env, DATABASE_URL: `sqlite:${dataDir}/runner.db` },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(audit.code, 0, new TextDecoder().decode(audit.stdout));
  } finally {
    await Deno.remove(kept, { recursive: true });
  }
});
