/**
 * The doctor's GitHub and git checks, per routed repository: the token's
 * access (read, push, pull requests) and git's reach (`ls-remote` with the
 * token, the base branch present).
 *
 * @module
 */
import { GitError } from "../../domain/ports/git.ts";
import { type GitHubClient as GitHubPort, GitHubError } from "../../domain/ports/github.ts";
import type { GitHubProbe } from "../../domain/ports/probes.ts";

/** The workflow's GitHub port plus what the doctor probes. */
type GitHubClient = GitHubPort & GitHubProbe;
import type { RepoRoute, RoutingConfig } from "../../domain/routing.ts";
import type { RunnerConfig } from "../config/env.ts";
import { GitCliWorkspaces } from "../git/mod.ts";
import { createGitHubClient } from "../github/mod.ts";
import type { Report } from "./doctor_report.ts";
import { cloneUrlFor } from "./worker.ts";

/** A GitHub client that gives up quickly. */
export function doctorGitHubClient(config: RunnerConfig): GitHubClient {
  return createGitHubClient({
    apiUrl: config.github.apiUrl,
    token: config.github.token,
    app: config.github.app,
    retry: { maxRetries: 1, maxWaitMs: 5_000, baseDelayMs: 500 },
    requestTimeoutMs: 15_000,
    secrets: config.secrets,
  });
}

/** The fix for a failed GitHub call about `repo`. */
export function gitHubFix(error: unknown, config: RunnerConfig, repo: string): string {
  const reason = error instanceof GitHubError ? error.reason : "unexpected";
  const app = config.github.app !== null;
  switch (reason) {
    case "unauthorized":
      return app
        ? "GitHub refused the app's credentials: check GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY " +
          "(the app's current private key) and GITHUB_APP_INSTALLATION_ID"
        : "GitHub refused GITHUB_TOKEN (wrong, expired or revoked): create a fine-grained token " +
          "with Contents and Pull requests: Read and write (Metadata: Read) on the routed repos";
    case "not_found":
      return `check "github": "${repo}" in RUNNER_CONFIG (${config.runnerConfigPath}), and that ` +
        (app
          ? "the app is installed on that repository"
          : "the token's repository access includes it");
    case "forbidden":
      return app
        ? "the app lacks a permission: grant Contents and Pull requests: Read and write, then " +
          "accept the new permissions on the installation"
        : "the token lacks a permission (or an organization policy blocks it): grant Contents " +
          "and Pull requests: Read and write, and approve the token in the organization if asked";
    case "rate_limited":
      return "GitHub rate-limited the check: try again later";
    case "network":
      return `no answer from GITHUB_API_URL (${config.github.apiUrl}): check the URL, DNS, proxy ` +
        "and firewall";
    default:
      return "see GitHub's message above";
  }
}

/** Checks read, push and pull-request access to every routed repo. */
export async function checkGitHub(
  config: RunnerConfig,
  routing: RoutingConfig,
  github: GitHubClient,
  report: Report,
): Promise<void> {
  for (const repo of routing.repos) {
    const check = `github ${repo.github}`;
    try {
      const access = await github.getRepoAccess(repo.github);
      if (!access.pull) {
        report.fail(
          check,
          "the credentials cannot read the repository",
          gitHubFix(
            new GitHubError("permanent", "forbidden", 403, ""),
            config,
            repo.github,
          ),
        );
        continue;
      }
      if (!access.push) {
        report.fail(
          check,
          `read ✓, push ✗: the credentials can read ${repo.github} but not push to it ` +
            `(permissions from the ${access.source})`,
          access.source === "installation"
            ? "grant the GitHub App Contents: Read and write and accept it on the installation"
            : "give the token's user Write access to the repository, and the token Contents: " +
              "Read and write (fine-grained) or the repo scope (classic)",
        );
        continue;
      }
      await github.findOpenPullRequest(repo.github, `ai-runner-doctor/${crypto.randomUUID()}`);
      report.ok(
        check,
        `read ✓, push ✓, pull requests listed ✓ (permissions from the ${access.source}; ` +
          "opening one needs Pull requests: Read and write)",
      );
    } catch (error) {
      report.fail(check, (error as Error).message, gitHubFix(error, config, repo.github));
    }
  }
}

function describeUrl(url: string): string {
  return /^https?:\/\//.test(url) ? url : `${url} (local)`;
}

/** The fix for a failed `ls-remote`. */
export function gitFix(error: unknown, repo: RepoRoute): string {
  const code = error instanceof GitError ? error.code : "git_failed";
  switch (code) {
    case "auth":
      return "git was refused: the token must be able to read the repository over HTTPS " +
        "(see the GitHub check); SSH URLs need a deploy key on this machine";
    case "not_found":
      return repo.cloneUrl
        ? `check "cloneUrl": "${repo.cloneUrl}" of ${repo.id} in RUNNER_CONFIG`
        : `check "github": "${repo.github}" of ${repo.id} in RUNNER_CONFIG`;
    case "network":
    case "timeout":
      return "git could not reach the remote: check DNS, any HTTPS proxy and the firewall";
    case "invalid_input":
      return `fix "cloneUrl" of ${repo.id}: https://, ssh://, file:// or a local path, never with credentials`;
    default:
      return `check the remote of ${repo.id} (cloneUrl or github) in RUNNER_CONFIG`;
  }
}

/** Checks that git reaches each routed repo with the token, and that its base branch exists. */
export async function checkGit(
  config: RunnerConfig,
  routing: RoutingConfig,
  github: GitHubClient | null,
  report: Report,
): Promise<void> {
  const scratch = await Deno.makeTempDir({ prefix: "ai-runner-doctor-" });
  try {
    const git = new GitCliWorkspaces({
      cacheDir: `${scratch}/git`,
      worktreeDir: `${scratch}/worktrees`,
      timeoutMs: 30_000,
    });
    for (const repo of routing.repos) {
      const check = `git ${repo.id}`;
      const url = cloneUrlFor(config.github.apiUrl, repo);
      let token: string | undefined;
      if (/^https:\/\//.test(url)) {
        try {
          token = await github?.tokenForGit();
        } catch (error) {
          report.skip(check, `no token for git (${(error as Error).message})`);
          continue;
        }
      }
      try {
        const head = await git.remoteHead(
          { repoId: repo.id, cloneUrl: url, token },
          repo.baseBranch,
        );
        if (head === null) {
          report.fail(
            check,
            `git ls-remote ${describeUrl(url)} works, but it has no branch ${repo.baseBranch}`,
            `set "baseBranch" of ${repo.id} in RUNNER_CONFIG to the repository's default branch`,
          );
        } else {
          report.ok(
            check,
            `git ls-remote ${describeUrl(url)} works${token ? " with the token" : ""}; ` +
              `${repo.baseBranch} at ${head.slice(0, 7)} (push permission: see the GitHub check)`,
          );
        }
      } catch (error) {
        report.fail(check, (error as Error).message, gitFix(error, repo));
      }
    }
  } finally {
    await Deno.remove(scratch, { recursive: true }).catch(() => {});
  }
}
