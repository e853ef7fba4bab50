/**
 * Tokens and git: a real smart-HTTP remote (`git http-backend` behind a loopback
 * Deno.serve that demands `Authorization: basic x-access-token:<token>`), the
 * adapter driven through a git wrapper that records every argument list and
 * turns on GIT_TRACE, so the test can show the token reached git through the
 * environment only and is in no argv, file or error.
 */
import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { join } from "node:path";
import { GitCliWorkspaces } from "../../adapters/git/workspaces.ts";
import { GitError } from "../../domain/ports/git.ts";

const TOKEN = "ghs_" + "T0kenForGitTests".repeat(2) + "abcd"; // a GitHub token shape
const PERSON_ENV = {
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_AUTHOR_NAME: "Leigh Human",
  GIT_AUTHOR_EMAIL: "leigh@example.com",
  GIT_COMMITTER_NAME: "Leigh Human",
  GIT_COMMITTER_EMAIL: "leigh@example.com",
};

async function git(cwd: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("git", { args, cwd, env: PERSON_ENV }).output();
  const text = new TextDecoder();
  if (out.code !== 0) throw new Error(`git ${args.join(" ")}: ${text.decode(out.stderr)}`);
  return text.decode(out.stdout).trim();
}

/** Splits a CGI answer into status, headers and body. */
function parseCgi(out: Uint8Array<ArrayBuffer>): Response {
  let split = -1;
  for (let i = 0; i + 1 < out.length; i++) {
    if (out[i] === 10 && out[i + 1] === 10) {
      split = i;
      break;
    }
    if (out[i] === 13 && out[i + 1] === 10 && out[i + 2] === 13 && out[i + 3] === 10) {
      split = i + 2;
      break;
    }
  }
  const head = new TextDecoder().decode(out.subarray(0, split));
  const body = out.slice(split + 2);
  const headers = new Headers();
  let status = 200;
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === "status") status = parseInt(value, 10);
    else headers.append(name, value);
  }
  return new Response(body, { status, headers });
}

/** A smart-HTTP git server over the repositories in `root`, for one token. */
function startGitHttp(root: string, token: string) {
  const authorizations: string[] = [];
  const expected = `basic ${btoa(`x-access-token:${token}`)}`;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (req) => {
      const url = new URL(req.url);
      const auth = req.headers.get("authorization") ?? "";
      authorizations.push(auth);
      if (auth.toLowerCase() !== expected.toLowerCase()) {
        await req.body?.cancel();
        return new Response("Unauthorized\n", {
          status: 401,
          headers: { "www-authenticate": 'Basic realm="git"' },
        });
      }
      const body = new Uint8Array(await req.arrayBuffer());
      const child = new Deno.Command("git", {
        args: ["http-backend"],
        clearEnv: true,
        env: {
          PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
          GIT_CONFIG_GLOBAL: "/dev/null",
          GIT_CONFIG_NOSYSTEM: "1",
          GIT_PROJECT_ROOT: root,
          GIT_HTTP_EXPORT_ALL: "1",
          PATH_INFO: url.pathname,
          QUERY_STRING: url.search.slice(1),
          REQUEST_METHOD: req.method,
          CONTENT_TYPE: req.headers.get("content-type") ?? "",
          CONTENT_LENGTH: String(body.length),
          HTTP_CONTENT_ENCODING: req.headers.get("content-encoding") ?? "",
          GIT_PROTOCOL: req.headers.get("git-protocol") ?? "",
          REMOTE_USER: "x-access-token",
          REMOTE_ADDR: "127.0.0.1",
        },
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const writer = child.stdin.getWriter();
      await writer.write(body);
      await writer.close();
      const out = await child.output();
      return parseCgi(out.stdout);
    },
  );
  return { url: `http://127.0.0.1:${server.addr.port}`, authorizations, server };
}

async function readAll(dir: string): Promise<string> {
  let text = "";
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) text += await readAll(path);
    else if (entry.isFile) text += await Deno.readTextFile(path).catch(() => "");
  }
  return text;
}

Deno.test("the token reaches git through the environment only: not argv, not a file, not the URL", async () => {
  const root = await Deno.makeTempDir({ prefix: "git-auth-test-" });
  const http = startGitHttp(join(root, "srv"), TOKEN);
  try {
    // The remote, seeded with a main branch.
    await Deno.mkdir(join(root, "srv"));
    const remote = join(root, "srv", "docs.git");
    await git(root, "init", "--bare", "-b", "main", remote);
    const seed = join(root, "seed");
    await git(root, "clone", remote, seed);
    await Deno.writeTextFile(join(seed, "README.md"), "hello\n");
    await git(seed, "add", "-A");
    await git(seed, "commit", "-m", "init");
    await git(seed, "push", "origin", "HEAD:refs/heads/main");

    // A git wrapper that logs each argv and traces every child git runs.
    const realGit = new TextDecoder().decode(
      (await new Deno.Command("sh", { args: ["-c", "command -v git"] }).output()).stdout,
    ).trim();
    const argvLog = join(root, "argv.log");
    const traceLog = join(root, "trace.log");
    const envLog = join(root, "env.log");
    const wrapper = join(root, "git-wrapper.sh");
    await Deno.writeTextFile(
      wrapper,
      `#!/bin/sh\nprintf '%s\\n' "$*" >> '${argvLog}'\n` +
        `env | grep -c '^GIT_CONFIG_VALUE_' >> '${envLog}'\n` +
        `GIT_TRACE='${traceLog}' exec '${realGit}' "$@"\n`,
    );
    await Deno.chmod(wrapper, 0o755);

    const data = join(root, "data");
    const workspaces = new GitCliWorkspaces({
      cacheDir: join(data, "git"),
      worktreeDir: join(data, "worktrees"),
      gitPath: wrapper,
    });
    const cloneUrl = `${http.url}/docs.git`;
    const wt = await workspaces.prepare({
      repoId: "docs",
      cloneUrl,
      baseBranch: "main",
      branch: "ai/DOC-7",
      runId: "run-7",
      token: TOKEN,
    });
    await Deno.writeTextFile(join(wt.path, "page.md"), "new page\n");
    const commit = await workspaces.commit(wt, {
      message: "DOC-7: Add a page",
      author: { name: "AI Runner", email: "ai@example.com" },
    });
    await workspaces.push(wt, { branch: "ai/DOC-7", token: TOKEN });
    assertEquals(await git(root, "--git-dir", remote, "rev-parse", "ai/DOC-7"), commit!.sha);
    assertEquals(
      await workspaces.remoteHead({ repoId: "docs", cloneUrl, token: TOKEN }, "ai/DOC-7"),
      commit!.sha,
    );

    // The server saw the token, as the header the adapter configured.
    const header = `basic ${btoa(`x-access-token:${TOKEN}`)}`;
    assert(http.authorizations.length >= 4);
    assert(http.authorizations.every((a) => a.toLowerCase() === header.toLowerCase()));

    // And nothing on disk or in any argument list holds it, raw or encoded.
    const encoded = btoa(`x-access-token:${TOKEN}`);
    const argv = await Deno.readTextFile(argvLog);
    const trace = await Deno.readTextFile(traceLog);
    assert(argv.includes("clone --bare") && argv.includes("push --porcelain"), argv);
    assert(trace.includes("remote-http") || trace.includes("remote-curl"), "trace saw children");
    assert((await Deno.readTextFile(envLog)).split("\n").some((n) => Number(n) > 0));
    const onDisk = await readAll(data);
    for (const [where, text] of [["argv", argv], ["trace", trace], ["data dir", onDisk]]) {
      assert(!text.includes(TOKEN), `token in ${where}`);
      assert(!text.includes(encoded), `encoded token in ${where}`);
    }
    const cacheConfig = await Deno.readTextFile(join(workspaces.cachePath("docs"), "config"));
    assert(cacheConfig.includes(`url = ${cloneUrl}`), "remote URL as given, no credentials");
    assert(!/extraheader/i.test(cacheConfig));
    assert((await Deno.readTextFile(join(wt.path, ".git"))).startsWith("gitdir: "));
  } finally {
    await http.server.shutdown();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a refused token is a permanent auth error that does not quote the token", async () => {
  const root = await Deno.makeTempDir({ prefix: "git-auth-test-" });
  const http = startGitHttp(root, TOKEN);
  try {
    await git(root, "init", "--bare", "-b", "main", join(root, "docs.git"));
    const workspaces = new GitCliWorkspaces({
      cacheDir: join(root, "data", "git"),
      worktreeDir: join(root, "data", "worktrees"),
    });
    const wrongToken = "ghp_" + "Wr0ngWr0ngWr0ng".repeat(2) + "xyz123";
    let error: unknown;
    try {
      await workspaces.prepare({
        repoId: "docs",
        cloneUrl: `${http.url}/docs.git`,
        baseBranch: "main",
        branch: "ai/DOC-8",
        runId: "run-8",
        token: wrongToken,
      });
    } catch (e) {
      error = e;
    }
    assert(error instanceof GitError, String(error));
    assertEquals([error.kind, error.code], ["permanent", "auth"]);
    assert(!error.message.includes(wrongToken));
    assert(http.authorizations.length > 0, "git did talk to the server");
  } finally {
    await http.server.shutdown();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("git output quoted in an error is redacted (token value and token shapes)", async () => {
  const root = await Deno.makeTempDir({ prefix: "git-auth-test-" });
  try {
    const workspaces = new GitCliWorkspaces({
      cacheDir: join(root, "data", "git"),
      worktreeDir: join(root, "data", "worktrees"),
    });
    // git echoes the missing path back: a path that happens to hold secrets.
    const other = "github_pat_" + "A1b2C3d4E5".repeat(3);
    const missing = join(root, `nothing-${TOKEN}-${other}`);
    let error: unknown;
    try {
      await workspaces.prepare({
        repoId: "docs",
        cloneUrl: missing,
        baseBranch: "main",
        branch: "ai/DOC-9",
        runId: "run-9",
        token: TOKEN,
      });
    } catch (e) {
      error = e;
    }
    assert(error instanceof GitError, String(error));
    assert(error.message.includes("[REDACTED]"), error.message);
    assert(!error.message.includes(TOKEN), error.message);
    assert(!error.message.includes(other), error.message);
    assertEquals(error.kind, "permanent");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
