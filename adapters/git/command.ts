/**
 * Runs the git CLI in a scrubbed environment: no inherited git variables, no
 * user or system config, no prompts, no hooks, English messages. A token reaches
 * git only as an environment-provided `http.<origin>/.extraHeader`
 * (`GIT_CONFIG_COUNT`/`GIT_CONFIG_KEY_n`/`GIT_CONFIG_VALUE_n`), never as an
 * argument, a URL or a file; every output quoted in an error is redacted.
 *
 * @module
 */
import { Redactor } from "../log/redact.ts";
import { GitError } from "../../domain/ports/git.ts";
import { classifyGitFailure } from "./classify.ts";

/** Variables passed through from the runner's environment (proxies, CA bundles). */
const PASSTHROUGH = [
  "PATH",
  "HOME",
  "TMPDIR",
  "SYSTEMROOT",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "ALL_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
  "all_proxy",
  "GIT_SSL_CAINFO",
  "GIT_SSL_CAPATH",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
];

/**
 * Config every git command runs with, through the environment. Command-line
 * config wins over the repository's own and is inherited by every git git
 * starts (nested repositories included), so a worktree that sandboxed code
 * touched, or a config planted in a cache, cannot make the runner's git run
 * anything: no hooks, no fsmonitor, no external diff or pager, no submodule
 * recursion, no `ext::` transport.
 */
const BASE_CONFIG: ReadonlyArray<readonly [string, string]> = [
  ["credential.helper", ""], // no stored credentials, no keychain
  ["core.hooksPath", "/dev/null"], // no hooks, whatever the cache holds
  ["core.fsmonitor", "false"], // a planted fsmonitor command never runs
  ["core.untrackedCache", "false"],
  ["core.pager", "cat"],
  ["core.editor", "false"],
  ["diff.external", ""],
  ["diff.ignoreSubmodules", "all"],
  ["status.submoduleSummary", "false"],
  ["submodule.recurse", "false"],
  ["fetch.recurseSubmodules", "false"],
  ["push.recurseSubmodules", "no"],
  ["protocol.ext.allow", "never"],
  // The runner owns its caches and worktrees; a worktree handed to the sandbox
  // user (runner as root) must not make git refuse it. Protected config only.
  ["safe.directory", "*"],
  ["gc.autoDetach", "false"], // no background gc outliving the repo lock
  ["advice.detachedHead", "false"],
  ["core.quotePath", "false"],
];

/** How to run git: the binary, limits and the identity used for reflogs. */
export interface GitRunnerOptions {
  /** The git binary; default `git` on PATH. */
  gitPath?: string;
  /** Longest a single git command may run; default 10 minutes. */
  timeoutMs?: number;
}

/** One git invocation. */
export interface GitInvocation {
  /** Short name for errors, e.g. `fetch`. */
  action: string;
  args: string[];
  cwd: string;
  /** A token for HTTPS remotes at `remoteUrl`. */
  token?: string;
  /** The remote the token is for; the header is scoped to its origin. */
  remoteUrl?: string;
  /** Extra environment (author identity, `GIT_INDEX_FILE`). */
  env?: Record<string, string>;
  stdin?: string;
  /** Exit codes that are answers rather than failures (e.g. 1 for `diff --quiet`). */
  okCodes?: number[];
}

/** What a git command printed and how it exited. */
export interface GitOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/** The `Authorization` header git sends for a token: basic `x-access-token:<token>`. */
export function authorizationHeader(token: string): string {
  const bytes = new TextEncoder().encode(`x-access-token:${token}`);
  return `AUTHORIZATION: basic ${btoa(String.fromCharCode(...bytes))}`;
}

/** The origin (`https://host[:port]`) of an HTTP(S) remote, or null for other remotes. */
export function httpOrigin(remoteUrl: string | undefined): string | null {
  if (!remoteUrl || !/^https?:\/\//i.test(remoteUrl)) return null;
  try {
    return new URL(remoteUrl).origin;
  } catch {
    return null;
  }
}

/** The environment a git command runs with: scrubbed, plus config and the token header. */
export function gitEnvironment(
  invocation: Pick<GitInvocation, "token" | "remoteUrl" | "env">,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of PASSTHROUGH) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  const config: Array<readonly [string, string]> = [...BASE_CONFIG];
  const origin = httpOrigin(invocation.remoteUrl);
  if (invocation.token && origin) {
    config.push([`http.${origin}/.extraHeader`, authorizationHeader(invocation.token)]);
  }
  config.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return {
    ...env,
    LC_ALL: "C",
    LANGUAGE: "C",
    GIT_TERMINAL_PROMPT: "0",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_ATTR_NOSYSTEM: "1",
    GIT_NO_REPLACE_OBJECTS: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_CONFIG_COUNT: String(config.length),
    GIT_COMMITTER_NAME: "AI Runner",
    GIT_COMMITTER_EMAIL: "ai-runner@localhost",
    GIT_AUTHOR_NAME: "AI Runner",
    GIT_AUTHOR_EMAIL: "ai-runner@localhost",
    ...invocation.env,
  };
}

const decoder = new TextDecoder();

/** Runs git commands; one instance per adapter. */
export class GitRunner {
  readonly #gitPath: string;
  readonly #timeoutMs: number;

  constructor(options: GitRunnerOptions = {}) {
    this.#gitPath = options.gitPath ?? "git";
    this.#timeoutMs = options.timeoutMs ?? 10 * 60_000;
  }

  /** Runs git; a failure (exit code not in `okCodes`) is a redacted {@link GitError}. */
  async run(invocation: GitInvocation): Promise<GitOutput> {
    const redactor = new Redactor(
      invocation.token ? [invocation.token, authorizationHeader(invocation.token)] : [],
    );
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.#timeoutMs);
    let output: Deno.CommandOutput;
    try {
      const child = new Deno.Command(this.#gitPath, {
        args: invocation.args,
        cwd: invocation.cwd,
        env: gitEnvironment(invocation),
        clearEnv: true,
        stdin: invocation.stdin === undefined ? "null" : "piped",
        stdout: "piped",
        stderr: "piped",
        signal: controller.signal,
      }).spawn();
      if (invocation.stdin !== undefined) {
        const writer = child.stdin.getWriter();
        await writer.write(new TextEncoder().encode(invocation.stdin));
        await writer.close();
      }
      output = await child.output();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new GitError(
        "permanent",
        "git_failed",
        redactor.redact(`git ${invocation.action} could not run: ${message}`),
      );
    } finally {
      clearTimeout(timer);
    }
    const result = {
      code: output.code,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
    };
    if (controller.signal.aborted) {
      throw new GitError(
        "transient",
        "timeout",
        `git ${invocation.action} took longer than ${this.#timeoutMs} ms and was stopped`,
      );
    }
    if (result.code !== 0 && !(invocation.okCodes ?? []).includes(result.code)) {
      throw classifyGitFailure(
        invocation.action,
        redactor.redact(`${result.stderr}\n${result.stdout}`),
      );
    }
    return result;
  }
}
