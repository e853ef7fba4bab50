/**
 * A runner's world for attack tests: a local bare remote, the adapter's bare
 * cache and two run worktrees under a DATA_DIR, a secret file and an event
 * store file beside them, and the real workspace over a real sandbox.
 */
import { join } from "node:path";
import { GitCliWorkspaces } from "../../adapters/git/workspaces.ts";
import { LocalWorkspace } from "../../adapters/workspace/workspace.ts";
import type { Worktree } from "../../domain/ports/git.ts";
import type { Sandbox } from "../../domain/ports/sandbox.ts";

const PERSON_ENV = {
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_AUTHOR_NAME: "Leigh Human",
  GIT_AUTHOR_EMAIL: "leigh@example.com",
  GIT_COMMITTER_NAME: "Leigh Human",
  GIT_COMMITTER_EMAIL: "leigh@example.com",
  LC_ALL: "C",
};

/** Runs git as a person would (not the runner's hardened git); throws on failure. */
export async function personGit(cwd: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("git", { args, cwd, env: PERSON_ENV, clearEnv: true })
    .output();
  const text = new TextDecoder();
  if (out.code !== 0) throw new Error(`git ${args.join(" ")}: ${text.decode(out.stderr)}`);
  return text.decode(out.stdout).trim();
}

/** Everything an attack test needs. */
export interface HostileRig {
  base: string;
  dataDir: string;
  remote: string;
  git: GitCliWorkspaces;
  worktree: Worktree;
  other: Worktree;
  /** A mounted secret (`JIRA_API_TOKEN_FILE`) and its value. */
  secretFile: string;
  secretValue: string;
  /** The event store's file under DATA_DIR, and what it holds. */
  storeFile: string;
  storeText: string;
  workspace: LocalWorkspace;
  sandbox: Sandbox;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Builds the world; `sandbox` confines the workspace's commands. */
export async function hostileRig(sandbox: Sandbox): Promise<HostileRig> {
  const base = await Deno.makeTempDir({ prefix: "ai-runner-attack-" });
  const dataDir = join(base, "data");
  const remote = join(base, "remote.git");
  await personGit(base, "init", "-q", "--bare", "-b", "main", remote);
  const seed = join(base, "seed");
  await personGit(base, "clone", "-q", remote, seed);
  await personGit(seed, "checkout", "-q", "-b", "main");
  await Deno.mkdir(join(seed, "scripts"));
  await Deno.writeTextFile(join(seed, "README.md"), "# Docs\n");
  await Deno.writeTextFile(
    join(seed, "scripts", "check.sh"),
    "#!/bin/sh\ntest -f README.md && echo check-ok\n",
  );
  await personGit(seed, "add", "-A");
  await personGit(seed, "commit", "-q", "-m", "seed");
  await personGit(seed, "push", "-q", "origin", "main");
  const git = new GitCliWorkspaces({
    cacheDir: join(dataDir, "git"),
    worktreeDir: join(dataDir, "worktrees"),
  });
  const prepare = (n: number) =>
    git.prepare({
      repoId: "docs",
      cloneUrl: remote,
      baseBranch: "main",
      branch: `ai/T-${n}`,
      runId: `run-${n}`,
    });
  const worktree = await prepare(1);
  const other = await prepare(2);
  await Deno.mkdir(join(base, "secrets"));
  const secretFile = join(base, "secrets", "jira_api_token");
  const secretValue = `jira-token-${crypto.randomUUID()}`;
  await Deno.writeTextFile(secretFile, secretValue);
  const storeFile = join(dataDir, "runner.db");
  const storeText = `event store ${crypto.randomUUID()}\n`;
  await Deno.writeTextFile(storeFile, storeText);
  // No redaction: these tests are about what the sandbox lets through, not what the
  // redactor would catch (an attacker encodes a secret before printing it anyway).
  const workspace = new LocalWorkspace((t) => t, sandbox);
  return {
    base,
    dataDir,
    remote,
    git,
    worktree,
    other,
    secretFile,
    secretValue,
    storeFile,
    storeText,
    workspace,
    sandbox,
    async [Symbol.asyncDispose]() {
      await Deno.remove(base, { recursive: true }).catch(() => {});
    },
  };
}

/** The model's tools on the rig's worktree, with `validate` running `commands`. */
export function openTools(rig: HostileRig, commands: string[], timeoutSeconds = 60) {
  return rig.workspace.openTools(
    rig.worktree.path,
    (signal) => rig.workspace.validate(rig.worktree.path, commands, timeoutSeconds, signal),
  );
}
