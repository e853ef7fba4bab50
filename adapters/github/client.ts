/**
 * {@link GitHubClient} over octokit, with a personal access token or a GitHub
 * App installation, against `GITHUB_API_URL` (github.com, GHES or the fake).
 *
 * Octokit's throttling and retry plugins are off; `request_policy.ts` takes
 * their place (injectable waits, capped, GitHub's documented rate-limit rules).
 * Every failure leaves as a redacted {@link GitHubError}.
 *
 * @module
 */
import type { GitHubProbe } from "../../domain/ports/probes.ts";
import { Octokit } from "octokit";
import {
  type CollaboratorPermission,
  type CommitChecks,
  type GitHubClient,
  GitHubError,
  type NewPullRequest,
  type OpenedPullRequest,
  type PullRequest,
  type PullRequestUpdate,
  type RepoAccess,
  type RepoSlug,
  type Review,
  type ReviewComment,
  VALIDATION_FAILED_TITLE_PREFIX,
} from "../../domain/ports/github.ts";
import { shortenMiddle } from "../../domain/shorten.ts";
import type { Logger } from "../../domain/ports/logger.ts";
import { Redactor } from "../log/redact.ts";
import {
  type AppCredentials,
  InstallationTokens,
  PersonalAccessToken,
  type TokenSource,
} from "./auth.ts";
import { gitHubMessage, toGitHubError } from "./errors.ts";
import {
  type RestCheckRun,
  toCheckRun,
  toCollaboratorPermission,
  toCommitStatus,
  toPullRequest,
  toReview,
  toReviewComment,
} from "./mapping.ts";
import {
  DEFAULT_RETRY_POLICY,
  installRequestPolicy,
  realSleep,
  type RetryPolicy,
  type Timing,
} from "./request_policy.ts";

/** Options of {@link OctokitGitHubClient}; `token` or `app` is required (`app` wins). */
export interface GitHubClientOptions {
  /** `GITHUB_API_URL`; default `https://api.github.com`. */
  apiUrl?: string;
  /** `GITHUB_TOKEN`. */
  token?: string | null;
  app?: AppCredentials | null;
  retry?: Partial<RetryPolicy>;
  /** Longest wait for an answer's headers (default 30 s). */
  requestTimeoutMs?: number;
  /** Refresh an installation token when less than this is left (default 5 minutes). */
  tokenRefreshMarginMs?: number;
  /** Clock (ms since the epoch) and sleep; injectable for tests. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  logger?: Logger;
  /** More secret values to keep out of error messages. */
  secrets?: string[];
}

const REPO_SLUG = /^([\w.-]+)\/([\w.-]+)$/;
const silent = { debug() {}, info() {}, warn() {}, error() {} };

function splitRepo(repo: RepoSlug): { owner: string; repo: string } {
  const m = REPO_SLUG.exec(repo);
  if (!m) {
    throw new GitHubError("permanent", "validation", 0, `"${repo}" is not an owner/name repo`);
  }
  return { owner: m[1], repo: m[2] };
}

/** A fetch that gives up when no answer arrives within `timeoutMs`. */
function fetchWithTimeout(timeoutMs: number): typeof fetch {
  return async (input, init) => {
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, "TimeoutError")),
      timeoutMs,
    );
    const signal = init?.signal
      ? AbortSignal.any([init.signal, controller.signal])
      : controller.signal;
    try {
      return await fetch(input, { ...init, signal });
    } finally {
      clearTimeout(timer);
    }
  };
}

/** Pages of 100 check runs read at most (GitHub lists up to 1,000 suites per commit). */
const MAX_CHECK_RUN_PAGES = 3;

/** GitHub's largest pull request body, in characters. */
export const GITHUB_BODY_LIMIT = 65_536;

/**
 * A body GitHub accepts: at most {@link GITHUB_BODY_LIMIT} UTF-16 code units
 * (GitHub counts characters; code units are never fewer), shortened in the
 * middle so the links and the run marker at its end stay.
 */
export function fitPullRequestBody(body: string): string {
  return shortenMiddle(body, GITHUB_BODY_LIMIT);
}

/** The warning put first in the body of a pull request that should have been a draft. */
export const DRAFT_REFUSED_NOTE = "> [!WARNING]\n" +
  "> **Validation failed.** This pull request would be a draft, but this repository does not " +
  "support draft pull requests (GitHub offers them on private repositories only to Team and " +
  "Enterprise plans). Do not merge it before the validation passes.\n\n";

/** True for GitHub's 422 "Draft pull requests are not supported in this repository." */
function isDraftRefused(error: unknown): boolean {
  const status = (error as { status?: number })?.status;
  return status === 422 &&
    /draft pull requests are not supported/i.test(gitHubMessage(error as object));
}

/** True for GitHub's 422 "A pull request already exists for o:branch." */
function isDuplicatePullRequest(error: unknown): boolean {
  const status = (error as { status?: number })?.status;
  return status === 422 && /pull request already exists/i.test(gitHubMessage(error as object));
}

/** The GitHub client. */
export class OctokitGitHubClient implements GitHubClient, GitHubProbe {
  readonly #octokit: InstanceType<typeof Octokit>;
  readonly #tokens: TokenSource;
  readonly #now: () => number;
  readonly #secrets: string[];
  #ownLogin: Promise<string | null> | null = null;

  constructor(options: GitHubClientOptions) {
    const timing: Timing = {
      now: options.now ?? Date.now,
      sleep: options.sleep ?? realSleep,
      random: options.random,
    };
    const policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.#now = timing.now;
    this.#secrets = options.secrets ?? [];
    const Base = Octokit.defaults({
      baseUrl: (options.apiUrl ?? "https://api.github.com").replace(/\/+$/, ""),
      userAgent: "ai-runner",
      throttle: { enabled: false },
      retry: { enabled: false },
      request: { fetch: fetchWithTimeout(options.requestTimeoutMs ?? 30_000) },
      log: silent,
    });
    if (options.app) {
      const AppOctokit = Base.plugin((octokit) => {
        installRequestPolicy(octokit, { policy, timing, logger: options.logger });
        return {};
      });
      this.#tokens = new InstallationTokens(options.app, {
        Octokit: AppOctokit,
        now: timing.now,
        refreshMarginMs: options.tokenRefreshMarginMs,
        logger: options.logger,
      });
    } else if (options.token) {
      this.#tokens = new PersonalAccessToken(options.token);
    } else {
      throw new GitHubError(
        "permanent",
        "unexpected",
        0,
        "GITHUB_TOKEN, or GITHUB_APP_ID + GITHUB_APP_PRIVATE_KEY, is required",
      );
    }
    this.#octokit = new Base();
    installRequestPolicy(this.#octokit, {
      policy,
      timing,
      logger: options.logger,
      authorize: () => this.#tokens.token(),
      onUnauthorized: () => this.#tokens.invalidate(),
    });
  }

  findOpenPullRequest(repo: RepoSlug, branch: string): Promise<PullRequest | null> {
    return this.#call(
      `find the open pull request of ${branch} in ${repo}`,
      () => this.#findOpen(repo, branch),
    );
  }

  createPullRequest(request: NewPullRequest): Promise<OpenedPullRequest> {
    return this.#call(`open a pull request for ${request.head} in ${request.repo}`, async () => {
      const existing = await this.#findOpen(request.repo, request.head);
      if (existing) return { pullRequest: existing, created: false };
      const create = async (title: string, body: string, draft: boolean) => {
        const { data } = await this.#octokit.rest.pulls.create({
          ...splitRepo(request.repo),
          head: request.head,
          base: request.base,
          title,
          body: fitPullRequestBody(body),
          draft,
        });
        return toPullRequest(data);
      };
      try {
        try {
          const pr = await create(request.title, request.body, request.draft ?? false);
          return { pullRequest: pr, created: true };
        } catch (error) {
          if (!request.draft || !isDraftRefused(error)) throw error;
          // No drafts here: open it ready for review, marked so nobody merges it by mistake.
          const title = request.title.startsWith(VALIDATION_FAILED_TITLE_PREFIX)
            ? request.title
            : `${VALIDATION_FAILED_TITLE_PREFIX}${request.title}`;
          const pr = await create(title, DRAFT_REFUSED_NOTE + request.body, false);
          return { pullRequest: pr, created: true, draftRefused: true };
        }
      } catch (error) {
        if (!isDuplicatePullRequest(error)) throw error;
        // Opened meanwhile, or our own create whose answer was lost and retried.
        const found = await this.#findOpen(request.repo, request.head);
        if (!found) throw error;
        return { pullRequest: found, created: false };
      }
    });
  }

  updatePullRequest(request: PullRequestUpdate): Promise<PullRequest> {
    return this.#call(`update pull request #${request.number} in ${request.repo}`, async () => {
      const { data } = await this.#octokit.rest.pulls.update({
        ...splitRepo(request.repo),
        pull_number: request.number,
        ...(request.title !== undefined ? { title: request.title } : {}),
        ...(request.body !== undefined ? { body: fitPullRequestBody(request.body) } : {}),
      });
      return toPullRequest(data);
    });
  }

  listReviewComments(repo: RepoSlug, number: number, since?: string): Promise<ReviewComment[]> {
    return this.#call(`list review comments of #${number} in ${repo}`, async () => {
      const comments = await this.#octokit.paginate(this.#octokit.rest.pulls.listReviewComments, {
        ...splitRepo(repo),
        pull_number: number,
        sort: "created",
        direction: "asc",
        per_page: 100,
        ...(since ? { since } : {}),
      });
      return comments.map(toReviewComment);
    });
  }

  listReviews(repo: RepoSlug, number: number): Promise<Review[]> {
    return this.#call(`list reviews of #${number} in ${repo}`, async () => {
      const reviews = await this.#octokit.paginate(this.#octokit.rest.pulls.listReviews, {
        ...splitRepo(repo),
        pull_number: number,
        per_page: 100,
      });
      return reviews.map(toReview);
    });
  }

  getRepoAccess(repo: RepoSlug): Promise<RepoAccess> {
    return this.#call(`read the access to ${repo}`, async () => {
      const { data } = await this.#octokit.rest.repos.get(splitRepo(repo));
      if (data.permissions) {
        return { pull: data.permissions.pull, push: data.permissions.push, source: "repository" };
      }
      const contents = this.#tokens.grantedPermissions()?.contents;
      return {
        pull: contents === "read" || contents === "write",
        push: contents === "write",
        source: "installation",
      };
    });
  }

  getCollaboratorPermission(repo: RepoSlug, login: string): Promise<CollaboratorPermission> {
    return this.#call(`read the permission of ${login} on ${repo}`, async () => {
      try {
        const { data } = await this.#octokit.rest.repos.getCollaboratorPermissionLevel({
          ...splitRepo(repo),
          username: login,
        });
        return toCollaboratorPermission(data);
      } catch (error) {
        // GitHub's answer for a user who is no collaborator (or no user at all).
        if ((error as { status?: number })?.status === 404) {
          return { permission: "none" as const, roleName: null };
        }
        throw error;
      }
    });
  }

  ownLogin(): Promise<string | null> {
    if (!(this.#tokens instanceof PersonalAccessToken)) return Promise.resolve(null);
    this.#ownLogin ??= this.#call("read the token's user", async () => {
      const { data } = await this.#octokit.rest.users.getAuthenticated();
      return data.login;
    }).catch((error) => {
      this.#ownLogin = null; // try again next time
      throw error;
    });
    return this.#ownLogin;
  }

  getCommitChecks(repo: RepoSlug, ref: string): Promise<CommitChecks> {
    return this.#call(`read the checks of ${ref} in ${repo}`, async () => {
      const slug = splitRepo(repo);
      const runs: RestCheckRun[] = [];
      for (let page = 1; page <= MAX_CHECK_RUN_PAGES; page++) {
        const { data } = await this.#octokit.rest.checks.listForRef({
          ...slug,
          ref,
          filter: "latest",
          per_page: 100,
          page,
        });
        runs.push(...data.check_runs);
        if (data.check_runs.length < 100 || runs.length >= data.total_count) break;
      }
      const { data: combined } = await this.#octokit.rest.repos.getCombinedStatusForRef({
        ...slug,
        ref,
        per_page: 100,
      });
      return {
        sha: combined.sha,
        checkRuns: runs.map(toCheckRun),
        combinedState: combined.state,
        statuses: combined.statuses.map(toCommitStatus),
      };
    });
  }

  tokenForGit(): Promise<string> {
    return this.#call("get a token for git", () => this.#tokens.token());
  }

  async #findOpen(repo: RepoSlug, branch: string): Promise<PullRequest | null> {
    const slug = splitRepo(repo);
    const { data } = await this.#octokit.rest.pulls.list({
      ...slug,
      head: `${slug.owner}:${branch}`,
      state: "open",
      per_page: 100,
    });
    // Filter again: a server that ignores `head` must not hand us another branch's PR.
    const mine = data.filter((pr) => pr.head.ref === branch && pr.state === "open")
      .sort((a, b) => a.number - b.number);
    return mine.length ? toPullRequest(mine[0]) : null;
  }

  async #call<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      const redactor = new Redactor([...this.#tokens.secrets(), ...this.#secrets]);
      throw toGitHubError(error, what, redactor, this.#now());
    }
  }
}

/** The GitHub client for the runner's configuration. */
export function createGitHubClient(
  options: GitHubClientOptions,
): GitHubClient & GitHubProbe {
  return new OctokitGitHubClient(options);
}
