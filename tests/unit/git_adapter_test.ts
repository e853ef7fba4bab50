/** The git adapter's pure parts: input checks, porcelain parsers, error classes, environment. */
import assert, { deepStrictEqual as assertEquals, throws } from "node:assert/strict";
import {
  checkBranch,
  checkId,
  checkTrailer,
  commitMessage,
  normalizeCloneUrl,
} from "../../adapters/git/validate.ts";
import { parseStatus, parseWorktreeList } from "../../adapters/git/porcelain.ts";
import { classifyGitFailure } from "../../adapters/git/classify.ts";
import { authorizationHeader, gitEnvironment, httpOrigin } from "../../adapters/git/command.ts";
import { GitError } from "../../domain/ports/git.ts";

const isInvalid = (e: unknown) => e instanceof GitError && e.code === "invalid_input";

Deno.test("branch names: runner branches pass, option-like and malformed names do not", () => {
  for (const ok of ["ai/MWC-42", "main", "release/2024.1", "feature_x"]) {
    assertEquals(checkBranch(ok), ok);
  }
  for (
    const bad of [
      "",
      "-delete",
      "--force",
      "a..b",
      "a b",
      "a~1",
      "a^",
      "a:b",
      "x.lock",
      "/abs",
      "trail/",
      "a//b",
      "ai/.hidden",
      "HEAD",
      "a@{1}",
      "tab\there",
    ]
  ) {
    throws(() => checkBranch(bad), isInvalid, bad);
  }
});

Deno.test("ids are single safe path segments", () => {
  assertEquals(checkId("runId", "run_01HZX-abc.1"), "run_01HZX-abc.1");
  for (const bad of ["", "..", "../x", "a/b", ".hidden", "a..b", "x".repeat(101)]) {
    throws(() => checkId("runId", bad), isInvalid, bad);
  }
});

Deno.test("clone URLs: local paths become file URLs; credentials and odd transports are refused", () => {
  assertEquals(normalizeCloneUrl("/srv/git/docs.git"), "file:///srv/git/docs.git");
  assertEquals(normalizeCloneUrl("repos/docs.git", "/work"), "file:///work/repos/docs.git");
  assertEquals(normalizeCloneUrl("file:///srv/docs.git"), "file:///srv/docs.git");
  assertEquals(
    normalizeCloneUrl("https://github.com/acme/docs.git"),
    "https://github.com/acme/docs.git",
  );
  assertEquals(normalizeCloneUrl("git@github.com:acme/docs.git"), "git@github.com:acme/docs.git");
  throws(() => normalizeCloneUrl("https://x-access-token:ghp_abc@github.com/a/b.git"), isInvalid);
  throws(() => normalizeCloneUrl("https://user@github.com/a/b.git"), isInvalid);
  throws(() => normalizeCloneUrl("ext::sh -c touch% /tmp/pwned"), isInvalid);
  throws(() => normalizeCloneUrl("--upload-pack=evil"), isInvalid);
});

Deno.test("commit messages: subject, body, then trailers after one blank line", () => {
  assertEquals(
    commitMessage("DOC-1: Fix typo\r\n\r\nLonger text.\n\n", [
      "Jira-Issue: DOC-1",
      "Co-authored-by: Leigh <leigh@example.com>",
    ]),
    "DOC-1: Fix typo\n\nLonger text.\n\nJira-Issue: DOC-1\nCo-authored-by: Leigh <leigh@example.com>\n",
  );
  assertEquals(commitMessage("DOC-1: Only a subject"), "DOC-1: Only a subject\n");
  throws(() => commitMessage("  \n\n"), isInvalid);
  throws(() => checkTrailer("Jira-Issue: DOC-1\nEvil: x"), isInvalid);
  throws(() => checkTrailer("no colon here"), isInvalid);
  throws(() => checkTrailer("Bad Token: x"), isInvalid);
});

Deno.test("status porcelain: added, modified, deleted, untracked and type changes", () => {
  const out = " M README.md\0D  gone.md\0 D also-gone.md\0?? new dir/file.md\0A  staged.md\0" +
    " T link\0MM both.md\0";
  assertEquals(parseStatus(out), [
    { path: "README.md", change: "modified" },
    { path: "gone.md", change: "deleted" },
    { path: "also-gone.md", change: "deleted" },
    { path: "new dir/file.md", change: "added" },
    { path: "staged.md", change: "added" },
    { path: "link", change: "type_changed" },
    { path: "both.md", change: "modified" },
  ]);
  assertEquals(parseStatus(""), []);
});

Deno.test("worktree list porcelain: bare cache, branches, detached and prunable entries", () => {
  const out = "worktree /data/git/docs.git\0bare\0\0" +
    "worktree /data/wt/docs/run-1\0HEAD 1111111111111111111111111111111111111111\0" +
    "branch refs/heads/ai/DOC-1\0\0" +
    "worktree /data/wt/docs/run 2\0HEAD 2222222222222222222222222222222222222222\0detached\0" +
    "prunable gitdir file points to non-existent location\0\0";
  const entries = parseWorktreeList(out);
  assertEquals(entries.map((e) => [e.path, e.branch, e.bare, e.prunable]), [
    ["/data/git/docs.git", null, true, false],
    ["/data/wt/docs/run-1", "refs/heads/ai/DOC-1", false, false],
    ["/data/wt/docs/run 2", null, false, true],
  ]);
});

Deno.test("git failures are classified transient or permanent with a code", () => {
  const cases: Array<[string, string, string]> = [
    [" ! [rejected]        HEAD -> ai/X (fetch first)", "permanent", "non_fast_forward"],
    ["!\tHEAD:refs/heads/ai/X\t[rejected] (non-fast-forward)", "permanent", "non_fast_forward"],
    [
      " ! [remote rejected] HEAD -> main (protected branch hook declined)",
      "permanent",
      "remote_rejected",
    ],
    ["fatal: Authentication failed for 'https://github.com/a/b.git/'", "permanent", "auth"],
    [
      "fatal: could not read Username for 'https://github.com': terminal prompts disabled",
      "permanent",
      "auth",
    ],
    ["remote: Repository not found.\nfatal: repository 'x' not found", "permanent", "not_found"],
    [
      "fatal: unable to access 'https://github.com/a/b.git/': Could not resolve host: github.com",
      "transient",
      "network",
    ],
    [
      "error: RPC failed; HTTP 502 curl 22 The requested URL returned error: 502",
      "transient",
      "network",
    ],
    ["fatal: Unable to create '/x/index.lock': File exists.", "transient", "busy"],
    ["fatal: something nobody expected", "permanent", "git_failed"],
  ];
  for (const [stderr, kind, code] of cases) {
    const error = classifyGitFailure("push", stderr);
    assertEquals([error.kind, error.code], [kind, code], stderr);
    assert(error.message.startsWith("git push failed: "));
  }
});

Deno.test("the environment: scrubbed, no prompts, no user config, token header scoped to the remote's origin", () => {
  const token = "ghs_abcdefghijklmnopqrstuvwxyz0123456789";
  const env = gitEnvironment({ token, remoteUrl: "https://github.com/acme/docs.git" });
  assertEquals(env.GIT_TERMINAL_PROMPT, "0");
  assertEquals(env.GIT_CONFIG_GLOBAL, "/dev/null");
  assertEquals(env.GIT_CONFIG_NOSYSTEM, "1");
  const count = Number(env.GIT_CONFIG_COUNT);
  const config = Array.from({ length: count }, (_, i) => [
    env[`GIT_CONFIG_KEY_${i}`],
    env[`GIT_CONFIG_VALUE_${i}`],
  ]);
  assert(
    config.some(([k, v]) =>
      k === "http.https://github.com/.extraHeader" &&
      v === `AUTHORIZATION: basic ${btoa(`x-access-token:${token}`)}`
    ),
  );
  assert(config.some(([k, v]) => k === "credential.helper" && v === ""));
  assert(!Object.values(env).some((v) => v.includes(token)), "only the encoded header");
  assertEquals(
    authorizationHeader(token),
    `AUTHORIZATION: basic ${btoa(`x-access-token:${token}`)}`,
  );

  const local = gitEnvironment({ token, remoteUrl: "file:///srv/docs.git" });
  assert(!Object.values(local).some((v) => v.includes("AUTHORIZATION")), "no header for local");
  assertEquals(httpOrigin("http://127.0.0.1:8080/x.git"), "http://127.0.0.1:8080");
  assertEquals(httpOrigin("git@github.com:a/b.git"), null);
});
