/**
 * The git adapter against real git: a local bare repository as the remote, the
 * adapter's bare cache and worktrees in a temp dir, and "people" pushing to the
 * remote from their own clones in between.
 */
import assert, { deepStrictEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import { join } from "node:path";
import { GitCliWorkspaces } from "../../adapters/git/workspaces.ts";
import { GitError, type Worktree } from "../../domain/ports/git.ts";
import { JsonLogger } from "../../adapters/log/json_logger.ts";

function assertStringIncludes(text: string, part: string): void {
  assert.ok(text.includes(part), `expected ${JSON.stringify(part)} in:\n${text}`);
}

/** The error `fn` rejects with, checked to be a `type`. */
async function assertRejects<E extends Error>(
  fn: () => Promise<unknown>,
  type: new (...args: never[]) => E,
): Promise<E> {
  try {
    await fn();
  } catch (error) {
    assert.ok(error instanceof type, `expected ${type.name}, got ${error}`);
    return error;
  }
  throw new assert.AssertionError({ message: `expected a ${type.name} rejection` });
}

const PERSON_ENV = {
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_AUTHOR_NAME: "Leigh Human",
  GIT_AUTHOR_EMAIL: "leigh@example.com",
  GIT_COMMITTER_NAME: "Leigh Human",
  GIT_COMMITTER_EMAIL: "leigh@example.com",
  LC_ALL: "C",
};

/** Runs git as a person would; throws with stderr on failure. */
async function git(cwd: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("git", { args, cwd, env: PERSON_ENV }).output();
  const text = new TextDecoder();
  if (out.code !== 0) {
    throw new Error(`git ${args.join(" ")} failed: ${text.decode(out.stderr)}`);
  }
  return text.decode(out.stdout).trim();
}

interface Fixture {
  root: string;
  remote: string;
  mainSha: string;
  workspaces: GitCliWorkspaces;
  logLines: string[];
}

const AUTHOR = { name: "AI Runner", email: "ai-runner@example.com" };

async function withRemote(fn: (f: Fixture) => Promise<void>, gitPath?: string): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "git-ws-test-" });
  try {
    const remote = join(root, "remote.git");
    await git(root, "init", "--bare", "-b", "main", remote);
    const seed = join(root, "seed");
    await git(root, "clone", remote, seed);
    await git(seed, "checkout", "-b", "main");
    await Deno.writeTextFile(join(seed, "README.md"), "# Docs\n\nHello.\n");
    await Deno.mkdir(join(seed, "docs"));
    await Deno.writeTextFile(join(seed, "docs", "intro.md"), "Intro\n");
    await git(seed, "add", "-A");
    await git(seed, "commit", "-m", "Initial docs");
    await git(seed, "push", "origin", "main");
    const mainSha = await git(seed, "rev-parse", "HEAD");
    const logLines: string[] = [];
    const workspaces = new GitCliWorkspaces({
      cacheDir: join(root, "data", "git"),
      worktreeDir: join(root, "data", "worktrees"),
      gitPath,
      logger: new JsonLogger({ level: "debug", sink: (line) => logLines.push(line) }),
    });
    await fn({ root, remote, mainSha, workspaces, logLines });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

/** A person clones the remote, commits on `branch` and pushes; returns the new head. */
async function personPushes(
  f: Fixture,
  branch: string,
  file: string,
  content: string,
): Promise<string> {
  const dir = await Deno.makeTempDir({ dir: f.root, prefix: "person-" });
  await git(dir, "clone", f.remote, ".");
  const remoteHas = await git(dir, "ls-remote", "--heads", "origin", branch);
  await git(dir, "checkout", ...(remoteHas ? [branch] : ["-b", branch]));
  await Deno.writeTextFile(join(dir, file), content);
  await git(dir, "add", "-A");
  await git(dir, "commit", "-m", `Person edits ${file}`);
  await git(dir, "push", "origin", `HEAD:refs/heads/${branch}`);
  return await git(dir, "rev-parse", "HEAD");
}

function prepare(f: Fixture, runId: string, branch = "ai/DOC-1"): Promise<Worktree> {
  return f.workspaces.prepare({
    repoId: "online-docs",
    cloneUrl: f.remote,
    baseBranch: "main",
    branch,
    runId,
  });
}

async function remoteSha(f: Fixture, branch: string): Promise<string | null> {
  const line = await git(f.root, "ls-remote", "--heads", f.remote, `refs/heads/${branch}`);
  return line ? line.split("\t")[0] : null;
}

async function exists(path: string): Promise<boolean> {
  return await Deno.lstat(path).then(() => true, () => false);
}

Deno.test("prepare creates the branch from the remote base branch in a bare (not mirror) cache", async () => {
  await withRemote(async (f) => {
    const wt = await prepare(f, "run-1");
    assertEquals(wt.continued, false);
    assertEquals(wt.reused, false);
    assertEquals(wt.startSha, f.mainSha);
    assertEquals(wt.branch, "ai/DOC-1");
    assertEquals(await git(wt.path, "rev-parse", "--abbrev-ref", "HEAD"), "ai/DOC-1");
    assertEquals(await Deno.readTextFile(join(wt.path, "docs", "intro.md")), "Intro\n");

    const cache = f.workspaces.cachePath("online-docs");
    assertEquals(await git(cache, "rev-parse", "--is-bare-repository"), "true");
    const config = await Deno.readTextFile(join(cache, "config"));
    assert(!/mirror/.test(config), "the cache must not be a mirror");
    assertEquals(
      await git(cache, "rev-parse", "refs/remotes/origin/main"),
      f.mainSha,
      "fetched into refs/remotes/origin/*",
    );
    assertEquals(await remoteSha(f, "ai/DOC-1"), null, "prepare pushes nothing");
  });
});

Deno.test("commit records message, author and trailers; push fast-forwards the remote branch", async () => {
  await withRemote(async (f) => {
    const wt = await prepare(f, "run-1");
    await Deno.writeTextFile(join(wt.path, "docs", "intro.md"), "Intro, clearer.\n");
    const commit = await f.workspaces.commit(wt, {
      message: "DOC-1: Clarify the intro",
      author: AUTHOR,
      trailers: [
        "Co-authored-by: Leigh Human <leigh@example.com>",
        "Jira-Issue: DOC-1",
        "AI-Runner-Run: run-1",
      ],
    });
    assert(commit);
    assertEquals(commit.filesChanged, ["docs/intro.md"]);
    const pushed = await f.workspaces.push(wt, { branch: "ai/DOC-1" });
    assertEquals(pushed.sha, commit.sha);
    assertEquals(await remoteSha(f, "ai/DOC-1"), commit.sha);

    const message = await git(f.remote, "log", "-1", "--format=%B", commit.sha);
    assertEquals(
      message,
      "DOC-1: Clarify the intro\n\nCo-authored-by: Leigh Human <leigh@example.com>\n" +
        "Jira-Issue: DOC-1\nAI-Runner-Run: run-1",
    );
    assertEquals(
      await git(f.remote, "log", "-1", "--format=%an <%ae>|%cn <%ce>", commit.sha),
      "AI Runner <ai-runner@example.com>|AI Runner <ai-runner@example.com>",
    );
    const trailers = await git(
      f.remote,
      "log",
      "-1",
      "--format=%(trailers:key=Jira-Issue)",
      commit.sha,
    );
    assertEquals(trailers, "Jira-Issue: DOC-1");
    assertEquals(await git(f.remote, "rev-parse", `${commit.sha}^`), f.mainSha);

    // A second commit fast-forwards too.
    await Deno.writeTextFile(join(wt.path, "new.md"), "New page\n");
    const second = await f.workspaces.commit(wt, { message: "DOC-1: Add a page", author: AUTHOR });
    assert(second);
    await f.workspaces.push(wt, { branch: "ai/DOC-1" });
    assertEquals(await remoteSha(f, "ai/DOC-1"), second.sha);
  });
});

Deno.test("no changes means no commit", async () => {
  await withRemote(async (f) => {
    const wt = await prepare(f, "run-1");
    assertEquals(await f.workspaces.status(wt), []);
    const result = await f.workspaces.commit(wt, { message: "DOC-1: Nothing", author: AUTHOR });
    assertEquals(result, null);
    assertEquals(await git(wt.path, "rev-parse", "HEAD"), f.mainSha);
    // Touching a file without changing it is no change either.
    await Deno.writeTextFile(join(wt.path, "README.md"), "# Docs\n\nHello.\n");
    assertEquals(await f.workspaces.commit(wt, { message: "DOC-1: x", author: AUTHOR }), null);
  });
});

Deno.test("status and diff see modified, deleted and untracked files; diff leaves the index alone", async () => {
  await withRemote(async (f) => {
    const wt = await prepare(f, "run-1");
    await Deno.writeTextFile(join(wt.path, "README.md"), "# Docs\n\nHello, world.\n");
    await Deno.remove(join(wt.path, "docs", "intro.md"));
    await Deno.mkdir(join(wt.path, "guides"));
    await Deno.writeTextFile(join(wt.path, "guides", "setup.md"), "token = abc\n");

    const status = await f.workspaces.status(wt);
    assertEquals(
      status.sort((a, b) => (a.path < b.path ? -1 : 1)),
      [
        { path: "README.md", change: "modified" },
        { path: "docs/intro.md", change: "deleted" },
        { path: "guides/setup.md", change: "added" },
      ],
    );
    const before = await git(wt.path, "status", "--porcelain");
    const diff = await f.workspaces.diff(wt);
    assertStringIncludes(diff, "+++ b/guides/setup.md");
    assertStringIncludes(diff, "+token = abc");
    assertStringIncludes(diff, "-Intro");
    assertStringIncludes(diff, "+Hello, world.");
    assertEquals(await git(wt.path, "status", "--porcelain"), before, "index untouched");

    // After a commit the diff (from the run's start) still shows what a push would publish.
    await f.workspaces.commit(wt, { message: "DOC-1: Edit", author: AUTHOR });
    assertEquals(await f.workspaces.status(wt), []);
    assertStringIncludes(await f.workspaces.diff(wt), "+token = abc");
    assertEquals(
      await f.workspaces.diff(wt, { from: await git(wt.path, "rev-parse", "HEAD") }),
      "",
    );
  });
});

Deno.test("a later run continues the remote branch and keeps a person's commit", async () => {
  await withRemote(async (f) => {
    const first = await prepare(f, "run-1");
    await Deno.writeTextFile(join(first.path, "ai.md"), "From the AI\n");
    const aiCommit = await f.workspaces.commit(first, { message: "DOC-1: First", author: AUTHOR });
    await f.workspaces.push(first, { branch: "ai/DOC-1" });
    await f.workspaces.remove(first);
    assertEquals(await exists(first.path), false);

    const personSha = await personPushes(f, "ai/DOC-1", "person.md", "From Leigh\n");

    const second = await prepare(f, "run-2");
    assertEquals(second.continued, true);
    assertEquals(second.startSha, personSha);
    assertEquals(await Deno.readTextFile(join(second.path, "person.md")), "From Leigh\n");
    assertEquals(await Deno.readTextFile(join(second.path, "ai.md")), "From the AI\n");
    assertEquals(await git(second.path, "rev-parse", "HEAD^"), aiCommit!.sha);

    await Deno.writeTextFile(join(second.path, "ai.md"), "From the AI, revised\n");
    const commit = await f.workspaces.commit(second, { message: "DOC-1: Revise", author: AUTHOR });
    await f.workspaces.push(second, { branch: "ai/DOC-1" });
    assertEquals(await remoteSha(f, "ai/DOC-1"), commit!.sha);
    assertEquals(await git(f.remote, "rev-parse", `${commit!.sha}^`), personSha);
  });
});

Deno.test("a push behind the remote branch is a typed non-fast-forward error and forces nothing", async () => {
  await withRemote(async (f) => {
    const wt = await prepare(f, "run-1");
    const personSha = await personPushes(f, "ai/DOC-1", "person.md", "Leigh was here\n");
    await Deno.writeTextFile(join(wt.path, "ai.md"), "AI\n");
    await f.workspaces.commit(wt, { message: "DOC-1: AI edit", author: AUTHOR });

    const error = await assertRejects(
      () => f.workspaces.push(wt, { branch: "ai/DOC-1" }),
      GitError,
    );
    assertEquals(error.code, "non_fast_forward");
    assertEquals(error.kind, "permanent");
    assertStringIncludes(error.message, "nothing was forced");
    assertEquals(await remoteSha(f, "ai/DOC-1"), personSha, "the person's commit stays");
  });
});

Deno.test("push refuses the base branch; bad names and credentials in URLs are refused", async () => {
  await withRemote(async (f) => {
    const wt = await prepare(f, "run-1");
    const toBase = await assertRejects(() => f.workspaces.push(wt, { branch: "main" }), GitError);
    assertEquals(toBase.code, "invalid_input");
    assertEquals(await remoteSha(f, "main"), f.mainSha);

    const badBranch = await assertRejects(() => prepare(f, "run-2", "--upload-pack=x"), GitError);
    assertEquals(badBranch.code, "invalid_input");
    const badRun = await assertRejects(() => prepare(f, "../escape"), GitError);
    assertEquals(badRun.code, "invalid_input");
    const withCredentials = await assertRejects(
      () =>
        f.workspaces.prepare({
          repoId: "online-docs",
          cloneUrl: "https://user:secret-password@example.com/o/r.git",
          baseBranch: "main",
          branch: "ai/DOC-9",
          runId: "run-9",
        }),
      GitError,
    );
    assertEquals(withCredentials.code, "invalid_input");
    assert(!withCredentials.message.includes("secret-password"));
  });
});

Deno.test("a missing base branch is a permanent not_found error", async () => {
  await withRemote(async (f) => {
    const error = await assertRejects(
      () =>
        f.workspaces.prepare({
          repoId: "online-docs",
          cloneUrl: f.remote,
          baseBranch: "develop",
          branch: "ai/DOC-1",
          runId: "run-1",
        }),
      GitError,
    );
    assertEquals([error.kind, error.code], ["permanent", "not_found"]);
  });
});

Deno.test("remoteHead answers the branch head via ls-remote, or null", async () => {
  await withRemote(async (f) => {
    const repo = { repoId: "online-docs", cloneUrl: `file://${f.remote}` };
    assertEquals(await f.workspaces.remoteHead(repo, "main"), f.mainSha);
    assertEquals(await f.workspaces.remoteHead(repo, "ai/DOC-1"), null);
    const sha = await personPushes(f, "ai/DOC-1", "x.md", "x\n");
    assertEquals(await f.workspaces.remoteHead(repo, "ai/DOC-1"), sha);
  });
});

Deno.test("crash recovery: the same run reuses its worktree with its edits and a stale index lock", async () => {
  await withRemote(async (f) => {
    const wt = await prepare(f, "run-1");
    await Deno.writeTextFile(join(wt.path, "draft.md"), "half-done work\n");
    await Deno.writeTextFile(join(wt.path, "README.md"), "# Docs\n\nEdited before the crash.\n");
    await Deno.writeTextFile(
      join(await git(wt.path, "rev-parse", "--absolute-git-dir"), "index.lock"),
      "",
    );
    // The worker is killed here: no remove. A new worker resumes the same run.
    const again = await prepare(f, "run-1");
    assertEquals(again.reused, true);
    assertEquals(again.path, wt.path);
    assertEquals(again.startSha, wt.startSha);
    assertEquals(await Deno.readTextFile(join(again.path, "draft.md")), "half-done work\n");
    const commit = await f.workspaces.commit(again, { message: "DOC-1: Resume", author: AUTHOR });
    assertEquals(commit?.filesChanged.sort(), ["README.md", "draft.md"]);
    assert(f.logLines.some((l) => l.includes("reusing the worktree")));
  });
});

Deno.test("crash recovery: a new run removes a leftover worktree that holds the branch", async () => {
  await withRemote(async (f) => {
    const dead = await prepare(f, "run-1");
    await Deno.writeTextFile(join(dead.path, "junk.md"), "never committed\n");
    const next = await prepare(f, "run-2");
    assertEquals(next.reused, false);
    assertEquals(await exists(dead.path), false, "the leftover is gone");
    assertEquals(await exists(join(next.path, "junk.md")), false);
    const list = await git(f.workspaces.cachePath("online-docs"), "worktree", "list");
    assert(!list.includes("run-1"), list);
    assertStringIncludes(list, "run-2");
  });
});

Deno.test("crash recovery: half-made worktrees and caches are rebuilt", async () => {
  await withRemote(async (f) => {
    // A directory git never registered (killed during `worktree add`).
    const orphan = join(f.root, "data", "worktrees", "online-docs", "run-1");
    await Deno.mkdir(orphan, { recursive: true });
    await Deno.writeTextFile(join(orphan, "garbage.txt"), "x");
    const wt = await prepare(f, "run-1");
    assertEquals(wt.reused, false);
    assertEquals(await exists(join(wt.path, "garbage.txt")), false);
    assertEquals(await Deno.readTextFile(join(wt.path, "README.md")), "# Docs\n\nHello.\n");

    // A registered worktree whose add never finished (no metadata) is recreated.
    const gitDir = await git(wt.path, "rev-parse", "--absolute-git-dir");
    await Deno.remove(join(gitDir, "ai-runner.json"));
    await Deno.writeTextFile(join(wt.path, "stray.md"), "x");
    const again = await prepare(f, "run-1");
    assertEquals(again.reused, false);
    assertEquals(await exists(join(again.path, "stray.md")), false);
    await f.workspaces.remove(again);

    // A broken cache and a killed clone's temp dir are replaced by a fresh clone.
    const cache = f.workspaces.cachePath("online-docs");
    await Deno.remove(cache, { recursive: true });
    await Deno.mkdir(cache);
    await Deno.writeTextFile(join(cache, "HEAD"), "garbage");
    await Deno.mkdir(`${cache}.tmp-killed`);
    const fresh = await prepare(f, "run-3");
    assertEquals(fresh.startSha, f.mainSha);
    assertEquals(await exists(`${cache}.tmp-killed`), false);
  });
});

Deno.test("remove is idempotent and prunes the worktree from the cache", async () => {
  await withRemote(async (f) => {
    const wt = await prepare(f, "run-1");
    await Deno.writeTextFile(join(wt.path, "dirty.md"), "x");
    await f.workspaces.remove(wt);
    await f.workspaces.remove(wt);
    assertEquals(await exists(wt.path), false);
    const list = await git(
      f.workspaces.cachePath("online-docs"),
      "worktree",
      "list",
      "--porcelain",
    );
    // At most a parked worktree is left: detached, holding no branch, not at the run's path.
    assertEquals(list.includes(`worktree ${wt.path}\n`), false, list);
    assertEquals(list.includes("branch refs/heads/"), false, list);
  });
});

Deno.test("a parked worktree serves the next run clean, on its own branch", async () => {
  await withRemote(async (f) => {
    const first = await prepare(f, "run-1", "ai/DOC-1");
    await Deno.writeTextFile(join(first.path, "dirty.md"), "left behind");
    await Deno.writeTextFile(join(first.path, "README.md"), "changed but never committed");
    await f.workspaces.remove(first);
    const second = await prepare(f, "run-2", "ai/DOC-2");
    assertEquals(second.reused, false);
    assertEquals(await exists(join(second.path, "dirty.md")), false);
    assertEquals(await git(second.path, "status", "--porcelain"), "");
    assertEquals(await git(second.path, "rev-parse", "--abbrev-ref", "HEAD"), "ai/DOC-2");
    const pooled = await git(
      f.workspaces.cachePath("online-docs"),
      "worktree",
      "list",
      "--porcelain",
    );
    assertEquals(pooled.includes("/.pool/"), false, "the parked worktree was taken, not copied");
  });
});

Deno.test("two runs of different issues prepare concurrently on one cache", async () => {
  await withRemote(async (f) => {
    const [a, b] = await Promise.all([
      prepare(f, "run-a", "ai/DOC-1"),
      prepare(f, "run-b", "ai/DOC-2"),
    ]);
    assertEquals([a.branch, b.branch], ["ai/DOC-1", "ai/DOC-2"]);
    assertEquals(await git(a.path, "rev-parse", "--abbrev-ref", "HEAD"), "ai/DOC-1");
    assertEquals(await git(b.path, "rev-parse", "--abbrev-ref", "HEAD"), "ai/DOC-2");
  });
});

Deno.test("another process holding the cache lock makes prepare wait; nothing touches the cache meanwhile", async () => {
  const root = await Deno.makeTempDir({ prefix: "git-lock-test-" });
  try {
    const events = join(root, "events.log");
    const realGit = await new Deno.Command("sh", { args: ["-c", "command -v git"] }).output();
    const wrapper = join(root, "git-wrapper.sh");
    await Deno.writeTextFile(
      wrapper,
      `#!/bin/sh\nprintf 'git %s\\n' "$1" >> '${events}'\nexec '${
        new TextDecoder().decode(realGit.stdout).trim()
      }' "$@"\n`,
    );
    await Deno.chmod(wrapper, 0o755);
    await withRemote(async (f) => {
      const lockPath = join(f.root, "data", "git", "online-docs.lock");
      await Deno.mkdir(join(f.root, "data", "git"), { recursive: true });
      const holder = new Deno.Command(Deno.execPath(), {
        args: [
          "eval",
          `const f = await Deno.open(${JSON.stringify(lockPath)}, { create: true, write: true });
           await f.lock(true);
           console.log("held");
           for await (const _ of Deno.stdin.readable) { /* until stdin closes */ }
           await Deno.writeTextFile(${JSON.stringify(events)}, "released\\n", { append: true });
           f.close();`,
        ],
        stdin: "piped",
        stdout: "piped",
      }).spawn();
      const reader = holder.stdout.pipeThrough(new TextDecoderStream()).getReader();
      assertEquals((await reader.read()).value?.trim(), "held");

      const waiting = Promise.withResolvers<void>();
      const seen = f.logLines;
      const poll = setInterval(() => {
        if (seen.some((l) => l.includes("waiting for the git cache lock"))) waiting.resolve();
      }, 10);
      const prepared = prepare(f, "run-1");
      await waiting.promise;
      clearInterval(poll);
      await holder.stdin.close();
      await holder.status;
      await reader.cancel();
      const wt = await prepared;
      assertEquals(wt.startSha, f.mainSha);

      const lines = (await Deno.readTextFile(events)).trim().split("\n");
      const released = lines.indexOf("released");
      assert(released >= 0);
      const cloneAt = lines.indexOf("git clone");
      const fetchAt = lines.indexOf("git fetch");
      assert(cloneAt > released && fetchAt > released, lines.join(", "));
    }, wrapper);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("worktree paths live under the configured worktree dir, named by the run", async () => {
  await withRemote(async (f) => {
    const wt = await prepare(f, "run-42");
    assertMatch(wt.path, /data\/worktrees\/online-docs\/run-42$/);
    const dotGit = await Deno.readTextFile(join(wt.path, ".git"));
    assertMatch(dotGit, /^gitdir: .*online-docs\.git\/worktrees\/run-42\n$/);

    // Relative directories (DATA_DIR defaults to `data/`) resolve against the cwd: checked
    // in a child process started there (a test never changes this process's cwd, which
    // test files running in parallel share).
    const module = new URL("../../adapters/git/mod.ts", import.meta.url).href;
    const script = `
      import { GitCliWorkspaces } from ${JSON.stringify(module)};
      const relative = new GitCliWorkspaces({ cacheDir: "rel/git", worktreeDir: "rel/wt" });
      const rel = await relative.prepare({
        repoId: "docs", cloneUrl: "remote.git", baseBranch: "main", branch: "ai/DOC-3",
        runId: "run-3",
      });
      console.log(JSON.stringify({ startSha: rel.startSha, cache: relative.cachePath("docs") }));
    `;
    const child = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--no-check", script],
      cwd: f.root,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const td = new TextDecoder();
    assert(child.success, td.decode(child.stderr));
    const out = JSON.parse(td.decode(child.stdout).trim().split("\n").at(-1)!);
    assertEquals(out.startSha, f.mainSha);
    assertEquals(out.cache, join(await Deno.realPath(f.root), "rel/git/docs.git"));
    assert(await exists(join(f.root, "rel", "wt", "docs", "run-3", "README.md")));
  });
});

Deno.test("a run's patch (text and binary) is put back on a fresh worktree; a stale one conflicts", async () => {
  await withRemote(async (f) => {
    const lost = await prepare(f, "run-1");
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3, 255, 0, 10, 13]);
    await Deno.writeTextFile(join(lost.path, "README.md"), "# Docs\n\nRewritten.\n");
    await Deno.remove(join(lost.path, "docs", "intro.md"));
    await Deno.writeTextFile(join(lost.path, "new.md"), "New\n");
    await Deno.writeFile(join(lost.path, "logo.png"), png);
    const patch = await f.workspaces.diff(lost);
    const changes = (await f.workspaces.status(lost)).map((c) => c.path).sort();
    await f.workspaces.remove(lost); // the host and its worktree are gone

    const fresh = await prepare(f, "run-1");
    assertEquals(fresh.reused, false);
    assertEquals(await f.workspaces.head(fresh), f.mainSha);
    await f.workspaces.applyPatch(fresh, patch);
    await f.workspaces.applyPatch(fresh, ""); // nothing to put back: no-op
    assertEquals((await f.workspaces.status(fresh)).map((c) => c.path).sort(), changes);
    assertEquals(await Deno.readTextFile(join(fresh.path, "README.md")), "# Docs\n\nRewritten.\n");
    assertEquals(await Deno.readFile(join(fresh.path, "logo.png")), png);
    assertEquals(await exists(join(fresh.path, "docs", "intro.md")), false);
    const commit = await f.workspaces.commit(fresh, { message: "DOC-1: Resumed", author: AUTHOR });
    assertEquals(await f.workspaces.head(fresh), commit!.sha);

    // A patch whose context is gone (a person rewrote the file meanwhile) conflicts.
    const other = await prepare(f, "run-2", "ai/DOC-2");
    await Deno.writeTextFile(join(other.path, "README.md"), "# Something else entirely\n");
    await f.workspaces.commit(other, { message: "DOC-2: Rewrite", author: AUTHOR });
    const error = await assertRejects(() => f.workspaces.applyPatch(other, patch), GitError);
    assertEquals([error.kind, error.code], ["permanent", "conflict"]);
  });
});

Deno.test("a later run's diff from the merge base is the branch's work so far, not the base's progress", async () => {
  await withRemote(async (f) => {
    const first = await prepare(f, "run-1");
    await Deno.writeTextFile(join(first.path, "docs", "intro.md"), "Intro, clarified.\n");
    await f.workspaces.commit(first, { message: "DOC-1: Clarify the intro", author: AUTHOR });
    await f.workspaces.push(first, { branch: "ai/DOC-1" });
    await f.workspaces.remove(first);
    // Meanwhile main moves on.
    await personPushes(f, "main", "README.md", "# Docs\n\nChanged on main.\n");
    const second = await prepare(f, "run-2");
    assertEquals(second.continued, true);
    const base = await f.workspaces.mergeBase(second);
    assertEquals(base, f.mainSha);
    const diff = await f.workspaces.diff(second, { from: base });
    assertStringIncludes(diff, "+Intro, clarified.");
    assert.ok(!diff.includes("Changed on main"), diff);
    assert.ok(!diff.includes("README.md"), diff);
  });
});
