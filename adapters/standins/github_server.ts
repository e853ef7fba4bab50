/**
 * A fake of the GitHub REST API on loopback, for tests and the demo: pull
 * requests (list with `head`/`state`/`base` filters, create, get, update),
 * reviews and review comments (paginated with `Link` headers), repositories
 * with `permissions`, collaborators' permissions (404 for a user who is no
 * collaborator, as GitHub answers), `/rate_limit`, `/user`, and GitHub App installation
 * tokens (`POST /app/installations/{id}/access_tokens` behind an RS256 JWT,
 * tokens with `expires_at` that stop working when they expire). Shapes follow
 * GitHub's REST and webhook schemas; errors are GitHub's bodies (401
 * `Bad credentials`, the 422 `A pull request already exists for o:branch.`).
 * Like GitHub, it refuses drafts on private repositories of Free and Pro
 * owners (422 "Draft pull requests are not supported in this repository.") and
 * bodies over 65,536 characters (422 "body is too long …").
 *
 * Fault injection makes the next matching requests answer 403/429 with
 * `retry-after`, a primary limit (`x-ratelimit-remaining: 0` + reset), 5xx,
 * answer late, or fail after doing the work (an ambiguous write).
 *
 * A state API plays the people: list PRs, review and comment as a reviewer,
 * merge or close a PR, each returning the webhook delivery GitHub would send.
 * It serves REST only: the git remote is a local bare repository.
 *
 * No test-only imports: `deno task demo` can run it.
 *
 * @module
 */

/** The personal access token the fake accepts by default (a `ghp_` shape, so it is redacted). */
export const FAKE_GITHUB_TOKEN = "ghp_FakeGitHubToken0000000000000000000001";

/** The login behind {@link FAKE_GITHUB_TOKEN}. */
export const FAKE_GITHUB_LOGIN = "ai-runner-bot";

/** A repository's permissions as `GET /repos/{o}/{r}` reports them to a token user. */
export interface FakeRepoPermissions {
  admin: boolean;
  maintain: boolean;
  push: boolean;
  triage: boolean;
  pull: boolean;
}

/** A repository the fake knows. */
export interface FakeRepoInit {
  /** `owner/name`. */
  fullName: string;
  /** Default: push and pull, not admin. */
  permissions?: Partial<FakeRepoPermissions>;
  /** Default `main`. */
  defaultBranch?: string;
  /** Default true, as `POST /user/repos` creates them. */
  private?: boolean;
  /**
   * The owner's plan (default `team`). Draft pull requests work on public
   * repositories, and on private ones only for Team and Enterprise owners:
   * elsewhere GitHub answers 422 "Draft pull requests are not supported in this
   * repository."
   */
  ownerPlan?: "free" | "pro" | "team" | "enterprise";
  /**
   * Collaborators and their role (`admin`, `maintain`, `write`, `triage`,
   * `read`); the owner is always admin. Everybody else is no collaborator.
   */
  collaborators?: Record<string, FakeRole>;
  /** Classic branch protection per branch (`GET …/branches/{b}/protection`). */
  branchProtection?: Record<string, FakeBranchRules>;
  /** Repository rulesets per branch (`GET …/rules/branches/{b}`). */
  branchRulesets?: Record<string, FakeBranchRules>;
}

/**
 * What a branch's protection or ruleset requires before a merge (the settings
 * `deno task doctor` checks): approving reviews of a pull request, and status checks.
 */
export interface FakeBranchRules {
  /** Approving reviews a pull request needs; absent: no pull request required. */
  requiredApprovals?: number;
  /** Status check contexts that must pass; absent or empty: none required. */
  statusChecks?: string[];
}

/** A repository role as GitHub names it. */
export type FakeRole = "admin" | "maintain" | "write" | "triage" | "read";

/** GitHub's largest pull request body, in characters. */
export const GITHUB_BODY_LIMIT = 65_536;

/** A GitHub App installation the fake issues tokens for. */
export interface FakeAppInit {
  appId: number;
  installationId: number;
  /** PEM (SPKI) public key: when given, JWT signatures are verified. */
  publicKey?: string;
  /** The installation's account login; default the first repository's owner. */
  account?: string;
  /** Installation token lifetime; default one hour (GitHub's). */
  tokenTtlMs?: number;
  /** Granted permissions; default contents/pull_requests write, metadata read. */
  permissions?: Record<string, string>;
  /** The app's slug; its bot user is `<slug>[bot]`. Default `ai-runner`. */
  slug?: string;
}

/** A fault for the next matching request(s). */
export interface FakeFault {
  /** How many matching requests it hits (default 1). */
  times?: number;
  method?: string;
  /** Substring of the path, or a pattern. */
  path?: string | RegExp;
  /** Answer with this status; absent with `delayMs`: answer normally, late. */
  status?: number;
  /** A `retry-after` header (seconds): a secondary rate limit. */
  retryAfterSeconds?: number;
  /** Primary limit: `x-ratelimit-remaining: 0` and this `x-ratelimit-reset` (epoch seconds). */
  rateLimitReset?: number;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Do the work first, then answer `status` anyway (an ambiguous write). */
  applyThenFail?: boolean;
  /** Body of the faulty answer; default GitHub's body for the case. */
  body?: unknown;
}

/** One request the fake received. */
export interface FakeRequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body of a write, if any. */
  body?: unknown;
  /** How the request authenticated. */
  auth: "token" | "installation" | "app" | "none" | "bad";
  /** The token presented (PAT or installation token), when one was. */
  token?: string;
  status: number;
  /** Set when an injected fault shaped the answer. */
  fault?: string;
}

/** Options of {@link startFakeGitHub}. */
export interface FakeGitHubOptions {
  /** Accepted personal access tokens (default [{@link FAKE_GITHUB_TOKEN}]). */
  tokens?: string[];
  /** The user behind the tokens (default {@link FAKE_GITHUB_LOGIN}). */
  login?: string;
  apps?: FakeAppInit[];
  /** Known repositories; when absent, any `owner/name` exists. */
  repos?: FakeRepoInit[];
  /** The head commit of a branch when a PR is opened; null: no such branch (422). */
  resolveHeadSha?: (repo: string, branch: string) => string | null | Promise<string | null>;
  /** Largest page whatever `per_page` asks (default 100). */
  maxPerPage?: number;
  hostname?: string;
  /** Default 0: any free port. */
  port?: number;
  /** The fake's clock (timestamps, installation token expiry). */
  now?: () => Date;
}

/** A webhook delivery as GitHub would send it (sign it with {@link webhookRequest}). */
export interface FakeWebhookDelivery {
  /** `X-GitHub-Event`. */
  event: string;
  /** `X-GitHub-Delivery`. */
  deliveryId: string;
  // deno-lint-ignore no-explicit-any
  payload: Record<string, any>;
}

/** A review a person submits. */
export interface FakeReviewInit {
  user: string;
  state: "APPROVED" | "CHANGES_REQUESTED" | "COMMENTED";
  body?: string;
}

/** A review comment a person writes on a line. */
export interface FakeReviewCommentInit {
  user: string;
  body: string;
  path: string;
  line?: number;
  /** Id of the comment this one answers (a reply takes its path, lines and hunk). */
  inReplyTo?: number;
  /** The diff hunk GitHub shows above the comment; default a one-line hunk. */
  diffHunk?: string;
  /** Default `RIGHT`. */
  side?: "LEFT" | "RIGHT";
  /** First line of a multi-line comment. */
  startLine?: number;
}

/** A check run CI reports on a commit. */
export interface FakeCheckRunInit {
  name: string;
  /** Default `completed`. */
  status?: "queued" | "in_progress" | "completed";
  /** Default `success` when completed, else none. */
  conclusion?:
    | "success"
    | "failure"
    | "neutral"
    | "cancelled"
    | "skipped"
    | "timed_out"
    | "action_required";
  title?: string;
  summary?: string;
  text?: string;
  /** The app that runs it (default `github-actions`). */
  app?: string;
}

/** A commit status a CI system sets (`POST /repos/{o}/{r}/statuses/{sha}`). */
export interface FakeCommitStatusInit {
  context: string;
  state: "error" | "failure" | "pending" | "success";
  description?: string;
  targetUrl?: string;
}

/** A JSON object as served. */
// deno-lint-ignore no-explicit-any
export type Json = Record<string, any>;

/** A running fake GitHub. */
export interface FakeGitHub {
  /** Base URL for `GITHUB_API_URL`, e.g. `http://127.0.0.1:41234`. */
  url: string;
  requests: FakeRequestRecord[];
  /** Queues a fault for the next matching request(s). */
  injectFault(fault: FakeFault): void;
  /** Sets (or with null removes) a branch's classic protection. */
  setBranchProtection(repo: string, branch: string, rules: FakeBranchRules | null): void;
  /** Sets (or with null removes) the rulesets that apply to a branch. */
  setBranchRuleset(repo: string, branch: string, rules: FakeBranchRules | null): void;
  /** Pull requests as `GET /repos/{o}/{r}/pulls/{n}` serves them, oldest first. */
  pullRequests(repo?: string): Json[];
  /** One pull request as served. */
  pullRequest(repo: string, number: number): Json;
  /** A person reviews: the `pull_request_review` `submitted` delivery. */
  addReview(repo: string, number: number, review: FakeReviewInit): FakeWebhookDelivery;
  /** A person comments on a line; answers the comment as served. */
  addReviewComment(repo: string, number: number, comment: FakeReviewCommentInit): Json;
  /** CI reports a check run on a commit (`ref`: a sha, or a pull request's head branch). */
  addCheckRun(repo: string, ref: string, run: FakeCheckRunInit): Json;
  /** CI sets a commit status (`ref`: a sha, or a pull request's head branch). */
  addCommitStatus(repo: string, ref: string, status: FakeCommitStatusInit): Json;
  /** A person merges: the `pull_request` `closed` delivery with `merged: true`. */
  mergePullRequest(
    repo: string,
    number: number,
    by?: { mergedBy?: string; mergeCommitSha?: string },
  ): FakeWebhookDelivery;
  /** A person closes without merging: the `pull_request` `closed` delivery. */
  closePullRequest(repo: string, number: number, by?: { closedBy?: string }): FakeWebhookDelivery;
  /** Gives a user a role on a repository, or (null) removes them as a collaborator. */
  setCollaborator(repo: string, login: string, role: FakeRole | null): void;
  /** Installation tokens issued so far. */
  issuedTokens(): Array<{ token: string; installationId: number; expiresAt: string }>;
  close(): Promise<void>;
}

const DOCS = "https://docs.github.com/rest";
const SECONDARY_MESSAGE =
  "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. " +
  "If you reach out to GitHub Support for help, please include the request ID.";

interface Repo {
  id: number;
  owner: string;
  name: string;
  fullName: string;
  private: boolean;
  /** Whether draft pull requests can be opened (public, or a Team/Enterprise owner). */
  drafts: boolean;
  defaultBranch: string;
  permissions: FakeRepoPermissions;
  /** Lowercased login → role. */
  collaborators: Map<string, FakeRole>;
  createdAt: string;
  nextNumber: number;
  protection: Map<string, FakeBranchRules>;
  rulesets: Map<string, FakeBranchRules>;
}

interface Pull {
  id: number;
  number: number;
  repo: Repo;
  title: string;
  body: string | null;
  state: "open" | "closed";
  draft: boolean;
  headRef: string;
  headOwner: string;
  headSha: string;
  baseRef: string;
  user: string;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  mergedAt: string | null;
  mergedBy: string | null;
  mergeCommitSha: string | null;
}

interface ReviewRecord {
  id: number;
  pull: Pull;
  user: string;
  state: string;
  body: string;
  submittedAt: string;
  commitId: string;
}

interface CommentRecord {
  id: number;
  pull: Pull;
  reviewId: number | null;
  inReplyTo: number | null;
  user: string;
  body: string;
  path: string;
  line: number | null;
  startLine: number | null;
  side: "LEFT" | "RIGHT";
  diffHunk: string;
  commitId: string;
  createdAt: string;
  updatedAt: string;
}

interface CheckRunRecord {
  id: number;
  repo: Repo;
  headSha: string;
  name: string;
  status: string;
  conclusion: string | null;
  title: string | null;
  summary: string | null;
  text: string | null;
  app: string;
  startedAt: string;
  completedAt: string | null;
}

interface StatusRecord {
  id: number;
  repo: Repo;
  sha: string;
  context: string;
  state: string;
  description: string | null;
  targetUrl: string | null;
  createdAt: string;
}

interface IssuedToken {
  token: string;
  installationId: number;
  app: FakeAppInit;
  expiresAtMs: number;
}

type Caller =
  | { kind: "token"; login: string; token: string }
  | { kind: "installation"; login: string; token: string; app: FakeAppInit }
  | { kind: "app"; app: FakeAppInit }
  | { kind: "none" }
  | { kind: "bad"; message: string };

/** GitHub's timestamp form: ISO-8601 in UTC, whole seconds. */
export function githubTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

function error(status: number, message: string, extra: Json = {}): Response {
  return json(status, { message, documentation_url: DOCS, status: String(status), ...extra });
}

/** GitHub's 422 for a pull request it refuses, with its message. */
function validationFailed(message: string, field?: string): Response {
  return json(422, {
    message: "Validation Failed",
    errors: [{ resource: "PullRequest", code: "custom", ...(field ? { field } : {}), message }],
    documentation_url: `${DOCS}/pulls/pulls#create-a-pull-request`,
    status: "422",
  });
}

/** GitHub's 422 for a body over {@link GITHUB_BODY_LIMIT} characters (code points), or null. */
function bodyTooLong(body: unknown): Response | null {
  if (typeof body !== "string" || [...body].length <= GITHUB_BODY_LIMIT) return null;
  return validationFailed(
    `body is too long (maximum is ${GITHUB_BODY_LIMIT} characters)`,
    "body",
  );
}

function randomToken(prefix: string): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  const bytes = crypto.getRandomValues(new Uint8Array(36));
  return prefix + Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}

async function sha1Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

function base64UrlDecode(text: string): Uint8Array<ArrayBuffer> {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/").padEnd(
    Math.ceil(text.length / 4) * 4,
    "=",
  );
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

function pemBody(pem: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(
    atob(pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "")),
    (c) => c.charCodeAt(0),
  );
}

function matches(fault: FakeFault, method: string, path: string): boolean {
  if (fault.method && fault.method.toUpperCase() !== method) return false;
  if (fault.path === undefined) return true;
  return typeof fault.path === "string" ? path.includes(fault.path) : fault.path.test(path);
}

function faultResponse(fault: FakeFault): Response {
  const status = fault.status ?? 500;
  const headers: Record<string, string> = {};
  let body: unknown = fault.body;
  if (fault.retryAfterSeconds !== undefined) {
    headers["retry-after"] = String(fault.retryAfterSeconds);
  }
  if (fault.rateLimitReset !== undefined) {
    Object.assign(headers, {
      "x-ratelimit-limit": "5000",
      "x-ratelimit-remaining": "0",
      "x-ratelimit-used": "5000",
      "x-ratelimit-reset": String(fault.rateLimitReset),
      "x-ratelimit-resource": "core",
    });
    body ??= {
      message: "API rate limit exceeded for user ID 1.",
      documentation_url: `${DOCS}/overview/rate-limits-for-the-rest-api#about-primary-rate-limits`,
      status: String(status),
    };
  }
  if (status === 429 || fault.retryAfterSeconds !== undefined) {
    body ??= {
      message: SECONDARY_MESSAGE,
      documentation_url:
        `${DOCS}/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits`,
      status: String(status),
    };
  }
  body ??= { message: status >= 500 ? "Server Error" : "Fault", status: String(status) };
  return json(status, body, headers);
}

function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The fake's state and its GitHub-shaped views. */
class FakeGitHubState {
  readonly repos = new Map<string, Repo>();
  readonly pulls: Pull[] = [];
  readonly reviews: ReviewRecord[] = [];
  readonly comments: CommentRecord[] = [];
  readonly checkRuns: CheckRunRecord[] = [];
  readonly statuses: StatusRecord[] = [];
  readonly tokens: IssuedToken[] = [];
  readonly #userIds = new Map<string, number>();
  #nextId = 1000;

  constructor(
    readonly base: () => string,
    readonly now: () => Date,
    readonly openWorld: boolean,
    readonly apps: FakeAppInit[],
  ) {}

  nextId(): number {
    return ++this.#nextId;
  }

  time(): string {
    return githubTime(this.now());
  }

  addRepo(init: FakeRepoInit): Repo {
    const [owner, name] = init.fullName.split("/");
    const repo: Repo = {
      id: this.nextId(),
      owner,
      name,
      fullName: init.fullName,
      private: init.private ?? true,
      drafts: !(init.private ?? true) || ["team", "enterprise"].includes(init.ownerPlan ?? "team"),
      defaultBranch: init.defaultBranch ?? "main",
      permissions: {
        admin: false,
        maintain: false,
        push: true,
        triage: true,
        pull: true,
        ...init.permissions,
      },
      collaborators: new Map(
        Object.entries(init.collaborators ?? {}).map((
          [login, role],
        ) => [login.toLowerCase(), role]),
      ),
      createdAt: this.time(),
      nextNumber: 1,
      protection: new Map(Object.entries(init.branchProtection ?? {})),
      rulesets: new Map(Object.entries(init.branchRulesets ?? {})),
    };
    this.repos.set(init.fullName.toLowerCase(), repo);
    return repo;
  }

  repo(owner: string, name: string): Repo | null {
    const key = `${owner}/${name}`.toLowerCase();
    return this.repos.get(key) ??
      (this.openWorld ? this.addRepo({ fullName: `${owner}/${name}` }) : null);
  }

  /** A user's role on a repository: the owner is admin; null when no collaborator. */
  roleOf(repo: Repo, login: string): FakeRole | null {
    if (login.toLowerCase() === repo.owner.toLowerCase()) return "admin";
    return repo.collaborators.get(login.toLowerCase()) ?? null;
  }

  /** `GET /repos/{o}/{r}/collaborators/{username}/permission` as GitHub answers it. */
  collaboratorPermissionJson(login: string, role: FakeRole): Json {
    const rank = ["read", "triage", "write", "maintain", "admin"].indexOf(role);
    const permissions = {
      admin: rank >= 4,
      maintain: rank >= 3,
      push: rank >= 2,
      triage: rank >= 1,
      pull: true,
    };
    // The legacy base role: maintain reads write, triage reads read.
    const permission = role === "maintain" ? "write" : role === "triage" ? "read" : role;
    return {
      permission,
      role_name: role,
      user: { ...this.user(login), permissions, role_name: role, user_view_type: "public" },
    };
  }

  pull(fullName: string, number: number): Pull {
    const pull = this.pulls.find((p) =>
      p.repo.fullName.toLowerCase() === fullName.toLowerCase() && p.number === number
    );
    if (!pull) throw new Error(`fake GitHub: no pull request ${fullName}#${number}`);
    return pull;
  }

  installationOf(repo: Repo): FakeAppInit | undefined {
    return this.apps.find((a) => (a.account ?? repo.owner) === repo.owner) ?? this.apps[0];
  }

  user(login: string): Json {
    if (!this.#userIds.has(login)) this.#userIds.set(login, 5000 + this.#userIds.size);
    const id = this.#userIds.get(login)!;
    const api = `${this.base()}/users/${encodeURIComponent(login)}`;
    return {
      login,
      id,
      node_id: `MDQ6VXNlcj${id}`,
      avatar_url: `${this.base()}/avatars/${id}`,
      gravatar_id: "",
      url: api,
      html_url: `${this.base()}/${encodeURIComponent(login)}`,
      followers_url: `${api}/followers`,
      following_url: `${api}/following{/other_user}`,
      gists_url: `${api}/gists{/gist_id}`,
      starred_url: `${api}/starred{/owner}{/repo}`,
      subscriptions_url: `${api}/subscriptions`,
      organizations_url: `${api}/orgs`,
      repos_url: `${api}/repos`,
      events_url: `${api}/events{/privacy}`,
      received_events_url: `${api}/received_events`,
      type: login.endsWith("[bot]") ? "Bot" : "User",
      site_admin: false,
    };
  }

  repoJson(repo: Repo, permissions: boolean): Json {
    const api = `${this.base()}/repos/${repo.fullName}`;
    const html = `${this.base()}/${repo.fullName}`;
    const open = this.pulls.filter((p) => p.repo === repo && p.state === "open").length;
    const urls = Object.fromEntries(
      [
        ["forks", "/forks"],
        ["keys", "/keys{/key_id}"],
        ["collaborators", "/collaborators{/collaborator}"],
        ["teams", "/teams"],
        ["hooks", "/hooks"],
        ["issue_events", "/issues/events{/number}"],
        ["events", "/events"],
        ["assignees", "/assignees{/user}"],
        ["branches", "/branches{/branch}"],
        ["tags", "/tags"],
        ["blobs", "/git/blobs{/sha}"],
        ["git_tags", "/git/tags{/sha}"],
        ["git_refs", "/git/refs{/sha}"],
        ["trees", "/git/trees{/sha}"],
        ["statuses", "/statuses/{sha}"],
        ["languages", "/languages"],
        ["stargazers", "/stargazers"],
        ["contributors", "/contributors"],
        ["subscribers", "/subscribers"],
        ["subscription", "/subscription"],
        ["commits", "/commits{/sha}"],
        ["git_commits", "/git/commits{/sha}"],
        ["comments", "/comments{/number}"],
        ["issue_comment", "/issues/comments{/number}"],
        ["contents", "/contents/{+path}"],
        ["compare", "/compare/{base}...{head}"],
        ["merges", "/merges"],
        ["archive", "/{archive_format}{/ref}"],
        ["downloads", "/downloads"],
        ["issues", "/issues{/number}"],
        ["pulls", "/pulls{/number}"],
        ["milestones", "/milestones{/number}"],
        ["notifications", "/notifications{?since,all,participating}"],
        ["labels", "/labels{/name}"],
        ["releases", "/releases{/id}"],
        ["deployments", "/deployments"],
      ].map(([name, path]) => [`${name}_url`, `${api}${path}`]),
    );
    return {
      id: repo.id,
      node_id: `R_kgDO${repo.id}`,
      name: repo.name,
      full_name: repo.fullName,
      private: repo.private,
      owner: this.user(repo.owner),
      html_url: html,
      description: null,
      fork: false,
      url: api,
      ...urls,
      created_at: repo.createdAt,
      updated_at: repo.createdAt,
      pushed_at: this.time(),
      git_url: `git://${new URL(this.base()).host}/${repo.fullName}.git`,
      ssh_url: `git@${new URL(this.base()).hostname}:${repo.fullName}.git`,
      clone_url: `${html}.git`,
      svn_url: html,
      homepage: null,
      size: 0,
      stargazers_count: 0,
      watchers_count: 0,
      language: null,
      has_issues: true,
      has_projects: true,
      has_downloads: true,
      has_wiki: true,
      has_pages: false,
      has_discussions: false,
      forks_count: 0,
      mirror_url: null,
      archived: false,
      disabled: false,
      open_issues_count: open,
      license: null,
      allow_forking: true,
      is_template: false,
      web_commit_signoff_required: false,
      topics: [],
      custom_properties: {},
      visibility: repo.private ? "private" : "public",
      forks: 0,
      open_issues: open,
      watchers: 0,
      default_branch: repo.defaultBranch,
      ...(permissions ? { permissions: repo.permissions } : {}),
    };
  }

  pullJson(pull: Pull): Json {
    const repo = pull.repo;
    const api = `${this.base()}/repos/${repo.fullName}`;
    const url = `${api}/pulls/${pull.number}`;
    const html = `${this.base()}/${repo.fullName}/pull/${pull.number}`;
    const repoJson = this.repoJson(repo, false);
    const comments = this.comments.filter((c) => c.pull === pull).length;
    return {
      url,
      id: pull.id,
      node_id: `PR_kwDO${pull.id}`,
      html_url: html,
      diff_url: `${html}.diff`,
      patch_url: `${html}.patch`,
      issue_url: `${api}/issues/${pull.number}`,
      commits_url: `${url}/commits`,
      review_comments_url: `${url}/comments`,
      review_comment_url: `${api}/pulls/comments{/number}`,
      comments_url: `${api}/issues/${pull.number}/comments`,
      statuses_url: `${api}/statuses/${pull.headSha}`,
      number: pull.number,
      state: pull.state,
      locked: false,
      title: pull.title,
      user: this.user(pull.user),
      body: pull.body,
      labels: [],
      milestone: null,
      active_lock_reason: null,
      created_at: pull.createdAt,
      updated_at: pull.updatedAt,
      closed_at: pull.closedAt,
      merged_at: pull.mergedAt,
      merge_commit_sha: pull.mergeCommitSha,
      assignee: null,
      assignees: [],
      requested_reviewers: [],
      requested_teams: [],
      head: {
        label: `${pull.headOwner}:${pull.headRef}`,
        ref: pull.headRef,
        sha: pull.headSha,
        user: this.user(pull.headOwner),
        repo: repoJson,
      },
      base: {
        label: `${repo.owner}:${pull.baseRef}`,
        ref: pull.baseRef,
        sha: "0".repeat(40),
        user: this.user(repo.owner),
        repo: repoJson,
      },
      _links: {
        self: { href: url },
        html: { href: html },
        issue: { href: `${api}/issues/${pull.number}` },
        comments: { href: `${api}/issues/${pull.number}/comments` },
        review_comments: { href: `${url}/comments` },
        review_comment: { href: `${api}/pulls/comments{/number}` },
        commits: { href: `${url}/commits` },
        statuses: { href: `${api}/statuses/${pull.headSha}` },
      },
      author_association: "CONTRIBUTOR",
      auto_merge: null,
      draft: pull.draft,
      merged: pull.mergedAt !== null,
      mergeable: pull.state === "open" ? true : null,
      rebaseable: pull.state === "open" ? true : null,
      mergeable_state: pull.state === "open" ? "clean" : "unknown",
      merged_by: pull.mergedBy ? this.user(pull.mergedBy) : null,
      comments: 0,
      review_comments: comments,
      maintainer_can_modify: false,
      commits: 1,
      additions: 1,
      deletions: 0,
      changed_files: 1,
    };
  }

  /** The pull request as review events carry it: without merge state and counts. */
  simplePullJson(pull: Pull): Json {
    const {
      merged: _merged,
      mergeable: _mergeable,
      rebaseable: _rebaseable,
      mergeable_state: _mergeableState,
      merged_by: _mergedBy,
      comments: _comments,
      review_comments: _reviewComments,
      maintainer_can_modify: _maintainerCanModify,
      commits: _commits,
      additions: _additions,
      deletions: _deletions,
      changed_files: _changedFiles,
      ...simple
    } = this.pullJson(pull);
    return simple;
  }

  reviewJson(review: ReviewRecord): Json {
    const pullUrl = `${this.base()}/repos/${review.pull.repo.fullName}/pulls/${review.pull.number}`;
    const html = `${this.base()}/${review.pull.repo.fullName}/pull/${review.pull.number}` +
      `#pullrequestreview-${review.id}`;
    return {
      id: review.id,
      node_id: `PRR_kwDO${review.id}`,
      user: this.user(review.user),
      body: review.body,
      state: review.state,
      html_url: html,
      pull_request_url: pullUrl,
      author_association: "COLLABORATOR",
      _links: { html: { href: html }, pull_request: { href: pullUrl } },
      submitted_at: review.submittedAt,
      commit_id: review.commitId,
    };
  }

  commentJson(comment: CommentRecord): Json {
    const api = `${this.base()}/repos/${comment.pull.repo.fullName}`;
    const pullUrl = `${api}/pulls/${comment.pull.number}`;
    const url = `${api}/pulls/comments/${comment.id}`;
    const html = `${this.base()}/${comment.pull.repo.fullName}/pull/${comment.pull.number}` +
      `#discussion_r${comment.id}`;
    return {
      url,
      pull_request_review_id: comment.reviewId,
      id: comment.id,
      node_id: `PRRC_kwDO${comment.id}`,
      diff_hunk: comment.diffHunk,
      path: comment.path,
      position: comment.line,
      original_position: comment.line ?? 1,
      commit_id: comment.commitId,
      original_commit_id: comment.commitId,
      ...(comment.inReplyTo ? { in_reply_to_id: comment.inReplyTo } : {}),
      user: this.user(comment.user),
      body: comment.body,
      created_at: comment.createdAt,
      updated_at: comment.updatedAt,
      html_url: html,
      pull_request_url: pullUrl,
      author_association: "COLLABORATOR",
      _links: { self: { href: url }, html: { href: html }, pull_request: { href: pullUrl } },
      start_line: comment.startLine,
      original_start_line: comment.startLine,
      start_side: comment.startLine === null ? null : comment.side,
      line: comment.line,
      original_line: comment.line ?? 1,
      side: comment.side,
      subject_type: comment.line === null ? "file" : "line",
    };
  }

  /** The commit a ref names: a full sha, or the head of a pull request's branch. */
  resolveRef(repo: Repo, ref: string): string | null {
    if (/^[0-9a-f]{40}$/.test(ref)) return ref;
    const branch = ref.replace(/^(refs\/)?heads\//, "");
    const pull = [...this.pulls].reverse().find((p) => p.repo === repo && p.headRef === branch);
    return pull?.headSha ?? null;
  }

  checkRunJson(run: CheckRunRecord): Json {
    const api = `${this.base()}/repos/${run.repo.fullName}`;
    const html = `${this.base()}/${run.repo.fullName}/runs/${run.id}`;
    const pulls = this.pulls.filter((p) => p.repo === run.repo && p.headSha === run.headSha);
    return {
      id: run.id,
      head_sha: run.headSha,
      node_id: `CR_kwDO${run.id}`,
      external_id: String(run.id),
      url: `${api}/check-runs/${run.id}`,
      html_url: html,
      details_url: html,
      status: run.status,
      conclusion: run.conclusion,
      started_at: run.startedAt,
      completed_at: run.completedAt,
      output: {
        title: run.title,
        summary: run.summary,
        text: run.text,
        annotations_count: 0,
        annotations_url: `${api}/check-runs/${run.id}/annotations`,
      },
      name: run.name,
      check_suite: { id: run.id + 100_000 },
      app: {
        id: 15368,
        slug: run.app,
        node_id: "MDM6QXBwMTUzNjg=",
        owner: this.user("github"),
        name: run.app === "github-actions" ? "GitHub Actions" : run.app,
        description: "Automate your workflow from idea to production",
        external_url: "https://help.github.com/en/actions",
        html_url: `${this.base()}/apps/${run.app}`,
        created_at: "2018-07-30T09:30:17Z",
        updated_at: "2024-04-10T20:33:16Z",
        permissions: { checks: "write", contents: "write", metadata: "read" },
        events: ["check_run", "check_suite", "pull_request", "push"],
      },
      pull_requests: pulls.map((p) => ({
        id: p.id,
        number: p.number,
        url: `${api}/pulls/${p.number}`,
        head: { ref: p.headRef, sha: p.headSha, repo: this.refRepo(p.repo) },
        base: { ref: p.baseRef, sha: "0".repeat(40), repo: this.refRepo(p.repo) },
      })),
    };
  }

  refRepo(repo: Repo): Json {
    return { id: repo.id, url: `${this.base()}/repos/${repo.fullName}`, name: repo.name };
  }

  statusJson(status: StatusRecord): Json {
    return {
      url: `${this.base()}/repos/${status.repo.fullName}/statuses/${status.sha}`,
      avatar_url: `${this.base()}/avatars/ci`,
      id: status.id,
      node_id: `SC_kwDO${status.id}`,
      state: status.state,
      description: status.description,
      target_url: status.targetUrl,
      context: status.context,
      created_at: status.createdAt,
      updated_at: status.createdAt,
    };
  }

  delivery(event: string, payload: Json, repo: Repo): FakeWebhookDelivery {
    const app = this.installationOf(repo);
    if (app) {
      payload.installation = {
        id: app.installationId,
        node_id: `MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u${app.installationId}`,
      };
    }
    return { event, deliveryId: crypto.randomUUID(), payload };
  }
}

/** The REST routes. */
class FakeGitHubApi {
  constructor(
    readonly state: FakeGitHubState,
    readonly options: FakeGitHubOptions,
    readonly maxPerPage: number,
  ) {}

  async answer(method: string, u: URL, caller: Caller, raw: string): Promise<Response> {
    const path = u.pathname.replace(/\/+$/, "") || "/";
    let m: RegExpMatchArray | null;
    if (method === "GET" && (m = path.match(/^\/([^/]+)\/([^/]+)\/pull\/(\d+)$/))) {
      return this.#page(`${m[1]}/${m[2]}`, Number(m[3]));
    }
    if (path.startsWith("/app/")) {
      if (caller.kind !== "app") {
        return error(401, "A JSON web token could not be decoded");
      }
      if (method === "GET" && path === "/app/installations") return this.#installations(caller);
      m = path.match(/^\/app\/installations\/(\d+)\/access_tokens$/);
      if (method === "POST" && m) return this.#accessToken(caller, Number(m[1]));
      return error(404, "Not Found");
    }
    if (caller.kind === "none") return error(401, "Requires authentication");
    if (caller.kind === "bad") return error(401, caller.message);
    if (caller.kind === "app") {
      return error(401, "A JSON web token could not be used to authenticate this request");
    }
    if (method === "GET" && path === "/rate_limit") return this.#rateLimit();
    if (method === "GET" && path === "/user") {
      if (caller.kind === "installation") {
        return error(403, "Resource not accessible by integration");
      }
      return json(200, this.state.user(caller.login));
    }
    m = path.match(/^\/repos\/([^/]+)\/([^/]+)(\/.*)?$/);
    if (!m) return error(404, "Not Found");
    const repo = this.state.repo(decodeURIComponent(m[1]), decodeURIComponent(m[2]));
    if (!repo) return error(404, "Not Found");
    const rest = m[3] ?? "";
    if (rest === "" && method === "GET") {
      // `GET /repos/{o}/{r}` answers a full-repository: a few counts more.
      return json(200, {
        ...this.state.repoJson(repo, caller.kind === "token"),
        network_count: 0,
        subscribers_count: 0,
      });
    }
    m = rest.match(/^\/branches\/(.+)\/protection$/);
    if (m && method === "GET") return this.#protection(repo, caller, decodeURIComponent(m[1]));
    m = rest.match(/^\/rules\/branches\/(.+)$/);
    if (m && method === "GET") return this.#rules(repo, u, decodeURIComponent(m[1]));
    if (rest === "/pulls" && method === "GET") return this.#listPulls(repo, u);
    m = rest.match(/^\/collaborators\/([^/]+)\/permission$/);
    if (m && method === "GET") return this.#collaboratorPermission(repo, caller, m[1]);
    m = rest.match(/^\/commits\/([^/]+)\/(check-runs|status)$/);
    if (m && method === "GET") {
      // An app's token reads check runs with Checks and statuses with Commit statuses permission.
      const needed = m[2] === "check-runs" ? "checks" : "statuses";
      const granted = caller.kind === "installation"
        ? (caller.app.permissions ?? defaultAppPermissions())[needed]
        : "read";
      if (granted !== "read" && granted !== "write") {
        return error(403, "Resource not accessible by integration");
      }
      const ref = decodeURIComponent(m[1]);
      return m[2] === "check-runs"
        ? this.#checkRuns(repo, ref, u)
        : this.#combinedStatus(repo, ref, u);
    }
    if (rest === "/pulls" && method === "POST") return await this.#createPull(repo, caller, raw);
    m = rest.match(/^\/pulls\/(\d+)(\/reviews|\/comments)?$/);
    if (!m) return error(404, "Not Found");
    const pull = this.state.pulls.find((p) => p.repo === repo && p.number === Number(m![1]));
    if (!pull) return error(404, "Not Found");
    if (!m[2] && method === "GET") return json(200, this.state.pullJson(pull));
    if (!m[2] && method === "PATCH") return this.#updatePull(pull, raw);
    if (m[2] === "/reviews" && method === "GET") {
      const reviews = this.state.reviews.filter((r) => r.pull === pull);
      return this.#paginate(u, reviews.map((r) => this.state.reviewJson(r)));
    }
    if (m[2] === "/comments" && method === "GET") return this.#listComments(pull, u);
    return error(404, "Not Found");
  }

  #collaboratorPermission(repo: Repo, caller: Caller, rawLogin: string): Response {
    // A token user needs push access to see others' permissions; an app, Metadata: read.
    if (caller.kind === "token" && !repo.permissions.push) {
      return error(403, "Must have push access to view collaborator permission.");
    }
    const login = decodeURIComponent(rawLogin);
    const role = this.state.roleOf(repo, login);
    if (role === null) return error(404, "Not Found");
    return json(200, this.state.collaboratorPermissionJson(login, role));
  }

  /**
   * `GET /repos/{o}/{r}/branches/{b}/protection`: needs admin on the repository
   * (a token user without it gets 404, as on GitHub) or the App's
   * `administration` permission (403 without); 404 "Branch not protected".
   */
  #protection(repo: Repo, caller: Caller, branch: string): Response {
    if (caller.kind === "installation") {
      const perms = caller.app.permissions ?? defaultAppPermissions();
      if (!perms.administration) return error(403, "Resource not accessible by integration");
    } else if (!repo.permissions.admin) {
      return error(404, "Not Found");
    }
    const rules = repo.protection.get(branch);
    if (!rules) return error(404, "Branch not protected");
    const url = `${this.state.base()}/repos/${repo.fullName}/branches/${
      encodeURIComponent(branch)
    }/protection`;
    const body: Json = {
      url,
      enforce_admins: { url: `${url}/enforce_admins`, enabled: false },
      required_linear_history: { enabled: false },
      allow_force_pushes: { enabled: false },
      allow_deletions: { enabled: false },
      block_creations: { enabled: false },
      required_conversation_resolution: { enabled: false },
      lock_branch: { enabled: false },
      allow_fork_syncing: { enabled: false },
    };
    if (rules.requiredApprovals !== undefined) {
      body.required_pull_request_reviews = {
        url: `${url}/required_pull_request_reviews`,
        dismiss_stale_reviews: false,
        require_code_owner_reviews: false,
        required_approving_review_count: rules.requiredApprovals,
        require_last_push_approval: false,
      };
    }
    if (rules.statusChecks?.length) {
      body.required_status_checks = {
        url: `${url}/required_status_checks`,
        strict: true,
        contexts: rules.statusChecks,
        contexts_url: `${url}/required_status_checks/contexts`,
        checks: rules.statusChecks.map((context) => ({ context, app_id: null })),
      };
    }
    return json(200, body);
  }

  /** `GET /repos/{o}/{r}/rules/branches/{b}`: the rules of active rulesets (read access). */
  #rules(repo: Repo, u: URL, branch: string): Response {
    const rules = repo.rulesets.get(branch);
    const items: Json[] = [];
    const source = {
      ruleset_source_type: "Repository",
      ruleset_source: repo.fullName,
      ruleset_id: 42,
    };
    if (rules?.requiredApprovals !== undefined) {
      items.push({
        type: "pull_request",
        ...source,
        parameters: {
          required_approving_review_count: rules.requiredApprovals,
          dismiss_stale_reviews_on_push: false,
          require_code_owner_review: false,
          require_last_push_approval: false,
          required_review_thread_resolution: false,
          allowed_merge_methods: ["merge", "squash", "rebase"],
        },
      });
    }
    if (rules?.statusChecks?.length) {
      items.push({
        type: "required_status_checks",
        ...source,
        parameters: {
          strict_required_status_checks_policy: true,
          do_not_enforce_on_create: false,
          required_status_checks: rules.statusChecks.map((context) => ({ context })),
        },
      });
    }
    if (rules) items.push({ type: "non_fast_forward", ...source });
    return this.#paginate(u, items);
  }

  #paginate(u: URL, items: Json[]): Response {
    const perPage = Math.min(
      this.maxPerPage,
      Math.max(1, Number(u.searchParams.get("per_page") ?? 30) || 30),
    );
    const page = Math.max(1, Number(u.searchParams.get("page") ?? 1) || 1);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const link = (p: number, rel: string) => {
      const target = new URL(u.pathname + u.search, this.state.base());
      target.searchParams.set("per_page", String(perPage));
      target.searchParams.set("page", String(p));
      return `<${target.href}>; rel="${rel}"`;
    };
    const links: string[] = [];
    if (page > 1) links.push(link(page - 1, "prev"), link(1, "first"));
    if (page < last) links.push(link(page + 1, "next"), link(last, "last"));
    const headers: Record<string, string> = links.length ? { link: links.join(", ") } : {};
    return json(200, items.slice((page - 1) * perPage, page * perPage), headers);
  }

  #listPulls(repo: Repo, u: URL): Response {
    const state = u.searchParams.get("state") ?? "open";
    const head = u.searchParams.get("head");
    const base = u.searchParams.get("base");
    const direction = u.searchParams.get("direction") ?? "desc";
    const pulls = this.state.pulls.filter((p) =>
      p.repo === repo && (state === "all" || p.state === state) &&
      (!head || `${p.headOwner}:${p.headRef}`.toLowerCase() === head.toLowerCase()) &&
      (!base || p.baseRef === base)
    );
    if (direction === "desc") pulls.reverse();
    return this.#paginate(u, pulls.map((p) => this.state.pullJson(p)));
  }

  async #createPull(repo: Repo, caller: Caller, raw: string): Promise<Response> {
    let body: Json;
    try {
      body = JSON.parse(raw || "{}");
    } catch {
      return error(400, "Problems parsing JSON");
    }
    for (const field of ["title", "head", "base"]) {
      if (typeof body[field] !== "string" || !body[field]) {
        return error(422, "Validation Failed", {
          errors: [{ resource: "PullRequest", field, code: "missing_field" }],
        });
      }
    }
    if (body.draft === true && !repo.drafts) {
      return validationFailed("Draft pull requests are not supported in this repository.");
    }
    const tooLong = bodyTooLong(body.body);
    if (tooLong) return tooLong;
    const head: string = body.head;
    const [headOwner, headRef] = head.includes(":")
      ? [head.slice(0, head.indexOf(":")), head.slice(head.indexOf(":") + 1)]
      : [repo.owner, head];
    const label = `${headOwner}:${headRef}`;
    const duplicate = this.state.pulls.find((p) =>
      p.repo === repo && p.state === "open" && `${p.headOwner}:${p.headRef}` === label &&
      p.baseRef === body.base
    );
    if (duplicate) {
      return json(422, {
        message: "Validation Failed",
        errors: [{
          resource: "PullRequest",
          code: "custom",
          message: `A pull request already exists for ${label}.`,
        }],
        documentation_url: `${DOCS}/pulls/pulls#create-a-pull-request`,
        status: "422",
      });
    }
    const headSha = this.options.resolveHeadSha
      ? await this.options.resolveHeadSha(repo.fullName, headRef)
      : await sha1Hex(`${repo.fullName}:${headRef}:${this.state.pulls.length}`);
    if (!headSha) {
      return error(422, "Validation Failed", {
        errors: [{ resource: "PullRequest", field: "head", code: "invalid" }],
      });
    }
    const now = this.state.time();
    const pull: Pull = {
      id: this.state.nextId(),
      number: repo.nextNumber++,
      repo,
      title: body.title,
      body: typeof body.body === "string" ? body.body : null,
      state: "open",
      draft: body.draft === true,
      headRef,
      headOwner,
      headSha,
      baseRef: body.base,
      user: caller.kind === "token" || caller.kind === "installation" ? caller.login : "ghost",
      createdAt: now,
      updatedAt: now,
      closedAt: null,
      mergedAt: null,
      mergedBy: null,
      mergeCommitSha: null,
    };
    this.state.pulls.push(pull);
    const served = this.state.pullJson(pull);
    return json(201, served, { location: served.url });
  }

  #updatePull(pull: Pull, raw: string): Response {
    let body: Json;
    try {
      body = JSON.parse(raw || "{}");
    } catch {
      return error(400, "Problems parsing JSON");
    }
    const tooLong = bodyTooLong(body.body);
    if (tooLong) return tooLong;
    if (typeof body.title === "string") pull.title = body.title;
    if (typeof body.body === "string") pull.body = body.body;
    if (typeof body.base === "string") pull.baseRef = body.base;
    if (body.state === "closed" && pull.state === "open") {
      pull.state = "closed";
      pull.closedAt = this.state.time();
    } else if (body.state === "open" && pull.state === "closed" && !pull.mergedAt) {
      pull.state = "open";
      pull.closedAt = null;
    }
    pull.updatedAt = this.state.time();
    return json(200, this.state.pullJson(pull));
  }

  #listComments(pull: Pull, u: URL): Response {
    const since = u.searchParams.get("since");
    const sinceMs = since ? Date.parse(since) : NaN;
    if (since && Number.isNaN(sinceMs)) {
      return error(422, "Validation Failed", {
        errors: [{ resource: "PullRequestReviewComment", field: "since", code: "invalid" }],
      });
    }
    const comments = this.state.comments.filter((c) =>
      c.pull === pull && (!since || Date.parse(c.updatedAt) >= sinceMs)
    );
    if (u.searchParams.get("direction") === "desc") comments.reverse();
    return this.#paginate(u, comments.map((c) => this.state.commentJson(c)));
  }

  /** `GET /repos/{o}/{r}/commits/{ref}/check-runs` (`check-run-list`). */
  #checkRuns(repo: Repo, ref: string, u: URL): Response {
    const sha = this.state.resolveRef(repo, ref);
    if (!sha) {
      return error(422, `No commit found for SHA: ${ref}`);
    }
    const filter = u.searchParams.get("filter") ?? "latest";
    if (filter !== "latest" && filter !== "all") {
      return error(422, "Validation Failed", {
        errors: [{ resource: "CheckRun", field: "filter", code: "invalid" }],
      });
    }
    const name = u.searchParams.get("check_name");
    const status = u.searchParams.get("status");
    let runs = this.state.checkRuns.filter((r) =>
      r.repo === repo && r.headSha === sha && (!name || r.name === name) &&
      (!status || r.status === status)
    );
    if (filter === "latest") {
      // The most recent run of each name.
      runs = runs.filter((r) => !runs.some((o) => o.name === r.name && o.id > r.id));
    }
    runs.sort((a, b) => b.id - a.id);
    const perPage = Math.min(100, Math.max(1, Number(u.searchParams.get("per_page") ?? 30) || 30));
    const page = Math.max(1, Number(u.searchParams.get("page") ?? 1) || 1);
    return json(200, {
      total_count: runs.length,
      check_runs: runs.slice((page - 1) * perPage, page * perPage).map((r) =>
        this.state.checkRunJson(r)
      ),
    });
  }

  /** `GET /repos/{o}/{r}/commits/{ref}/status` (`combined-commit-status`). */
  #combinedStatus(repo: Repo, ref: string, u: URL): Response {
    const sha = this.state.resolveRef(repo, ref);
    if (!sha) return error(404, `No commit found for SHA: ${ref}`);
    // The latest status of each context, newest first.
    const all = this.state.statuses.filter((s) => s.repo === repo && s.sha === sha)
      .sort((a, b) => b.id - a.id);
    const latest = all.filter((s, i) => all.findIndex((o) => o.context === s.context) === i);
    const state = latest.some((s) => s.state === "error" || s.state === "failure")
      ? "failure"
      : latest.length === 0 || latest.some((s) => s.state === "pending")
      ? "pending"
      : "success";
    const perPage = Math.min(100, Math.max(1, Number(u.searchParams.get("per_page") ?? 30) || 30));
    const page = Math.max(1, Number(u.searchParams.get("page") ?? 1) || 1);
    const api = `${this.state.base()}/repos/${repo.fullName}`;
    return json(200, {
      state,
      statuses: latest.slice((page - 1) * perPage, page * perPage).map((s) =>
        this.state.statusJson(s)
      ),
      sha,
      total_count: latest.length,
      repository: this.state.repoJson(repo, false),
      commit_url: `${api}/commits/${sha}`,
      url: `${api}/commits/${sha}/status`,
    });
  }

  #rateLimit(): Response {
    const reset = Math.floor(this.state.now().getTime() / 1000) + 3600;
    const core = { limit: 5000, used: 0, remaining: 5000, reset };
    return json(200, {
      resources: { core, search: { ...core, limit: 30, remaining: 30 } },
      rate: core,
    });
  }

  #installations(caller: { app: FakeAppInit }): Response {
    const apps = this.state.apps.filter((a) => a.appId === caller.app.appId);
    return json(
      200,
      apps.map((a) => ({
        id: a.installationId,
        account: this.state.user(a.account ?? [...this.state.repos.values()][0]?.owner ?? "acme"),
        repository_selection: "all",
        access_tokens_url:
          `${this.state.base()}/app/installations/${a.installationId}/access_tokens`,
        repositories_url: `${this.state.base()}/installation/repositories`,
        html_url: `${this.state.base()}/settings/installations/${a.installationId}`,
        app_id: a.appId,
        app_slug: a.slug ?? "ai-runner",
        target_id: 1,
        target_type: "Organization",
        permissions: a.permissions ?? defaultAppPermissions(),
        events: ["pull_request", "pull_request_review"],
        created_at: this.state.time(),
        updated_at: this.state.time(),
        single_file_name: null,
        suspended_at: null,
        suspended_by: null,
      })),
    );
  }

  #accessToken(caller: { app: FakeAppInit }, installationId: number): Response {
    const app = this.state.apps.find((a) =>
      a.appId === caller.app.appId && a.installationId === installationId
    );
    if (!app) return error(404, "Not Found");
    const expiresAtMs = this.state.now().getTime() + (app.tokenTtlMs ?? 3_600_000);
    const issued: IssuedToken = { token: randomToken("ghs_"), installationId, app, expiresAtMs };
    this.state.tokens.push(issued);
    return json(201, {
      token: issued.token,
      expires_at: githubTime(new Date(expiresAtMs)),
      permissions: app.permissions ?? defaultAppPermissions(),
      repository_selection: "all",
    });
  }

  #page(fullName: string, number: number): Response {
    const pull = this.state.pulls.find((p) =>
      p.repo.fullName.toLowerCase() === fullName.toLowerCase() && p.number === number
    );
    if (!pull) return new Response("Not Found", { status: 404 });
    const state = pull.mergedAt ? "Merged" : pull.state === "open" ? "Open" : "Closed";
    const html = `<!doctype html><meta charset="utf-8"><title>${escapeHtml(pull.title)}</title>
<h1>${escapeHtml(pull.title)} <small>#${pull.number}</small></h1>
<p>${state}${pull.draft ? " (draft)" : ""}: ${escapeHtml(pull.headRef)} → ${
      escapeHtml(pull.baseRef)
    }, by ${escapeHtml(pull.user)}</p>
<pre>${escapeHtml(pull.body ?? "")}</pre>`;
    return new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } });
  }
}

function defaultAppPermissions(): Record<string, string> {
  return {
    contents: "write",
    metadata: "read",
    pull_requests: "write",
    checks: "read",
    statuses: "read",
  };
}

/** Checks an app JWT: structure, `iss`, expiry (real clock) and, with a public key, the signature. */
async function verifyAppJwt(jwt: string, apps: FakeAppInit[]): Promise<FakeAppInit | null> {
  const parts = jwt.split(".");
  if (parts.length !== 3) return null;
  let header: Json;
  let claims: Json;
  try {
    header = JSON.parse(new TextDecoder().decode(base64UrlDecode(parts[0])));
    claims = JSON.parse(new TextDecoder().decode(base64UrlDecode(parts[1])));
  } catch {
    return null;
  }
  if (header.alg !== "RS256") return null;
  const app = apps.find((a) => String(a.appId) === String(claims.iss));
  const nowSeconds = Date.now() / 1000;
  if (!app || typeof claims.exp !== "number" || claims.exp < nowSeconds - 60) return null;
  if (typeof claims.iat !== "number" || claims.exp - claims.iat > 660) return null;
  if (app.publicKey) {
    const key = await crypto.subtle.importKey(
      "spki",
      pemBody(app.publicKey),
      { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
      false,
      ["verify"],
    );
    const ok = await crypto.subtle.verify(
      "RSASSA-PKCS1-v1_5",
      key,
      base64UrlDecode(parts[2]),
      new TextEncoder().encode(`${parts[0]}.${parts[1]}`),
    );
    if (!ok) return null;
  }
  return app;
}

/** Signs a delivery as GitHub does: the headers and the exact body to POST. */
export async function webhookRequest(
  delivery: FakeWebhookDelivery,
  secret: string,
): Promise<{ headers: Record<string, string>; body: string }> {
  const body = JSON.stringify(delivery.payload);
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(body));
  const hex = Array.from(new Uint8Array(mac), (b) => b.toString(16).padStart(2, "0")).join("");
  return {
    headers: {
      "content-type": "application/json",
      "user-agent": "GitHub-Hookshot/fake",
      "x-github-event": delivery.event,
      "x-github-delivery": delivery.deliveryId,
      "x-github-hook-id": "1",
      "x-hub-signature-256": `sha256=${hex}`,
    },
    body,
  };
}

/** Starts a fake GitHub REST API on loopback (port 0 by default). */
export function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const tokens = new Set(options.tokens ?? [FAKE_GITHUB_TOKEN]);
  const login = options.login ?? FAKE_GITHUB_LOGIN;
  const apps = options.apps ?? [];
  const now = options.now ?? (() => new Date());
  let url = "";
  const state = new FakeGitHubState(() => url, now, options.repos === undefined, apps);
  for (const repo of options.repos ?? []) state.addRepo(repo);
  const api = new FakeGitHubApi(state, options, Math.max(1, options.maxPerPage ?? 100));
  const requests: FakeRequestRecord[] = [];
  const faults: { fault: FakeFault; left: number }[] = [];
  const closing = new AbortController();
  let remaining = 5000;

  const identify = async (header: string | null): Promise<Caller> => {
    if (!header) return { kind: "none" };
    const [scheme, value] = header.split(/\s+/, 2);
    if (!value || !/^(token|bearer)$/i.test(scheme)) {
      return { kind: "bad", message: "Bad credentials" };
    }
    if (tokens.has(value)) return { kind: "token", login, token: value };
    const issued = state.tokens.find((t) => t.token === value);
    if (issued) {
      if (issued.expiresAtMs <= now().getTime()) return { kind: "bad", message: "Bad credentials" };
      return {
        kind: "installation",
        login: `${issued.app.slug ?? "ai-runner"}[bot]`,
        token: value,
        app: issued.app,
      };
    }
    if (value.split(".").length === 3) {
      const app = await verifyAppJwt(value, apps);
      return app
        ? { kind: "app", app }
        : { kind: "bad", message: "A JSON web token could not be decoded" };
    }
    return { kind: "bad", message: "Bad credentials" };
  };

  const handle = async (request: Request): Promise<Response> => {
    const u = new URL(request.url);
    const method = request.method.toUpperCase();
    const raw = method === "GET" || method === "HEAD" ? "" : await request.text();
    const caller = await identify(request.headers.get("authorization"));
    const record: FakeRequestRecord = {
      method,
      path: u.pathname,
      query: Object.fromEntries(u.searchParams),
      auth: caller.kind,
      status: 0,
    };
    if (caller.kind === "token" || caller.kind === "installation") record.token = caller.token;
    if (raw) {
      try {
        record.body = JSON.parse(raw);
      } catch {
        record.body = raw;
      }
    }
    requests.push(record);
    const slot = faults.find((f) => f.left > 0 && matches(f.fault, method, u.pathname));
    if (slot) {
      slot.left--;
      record.fault = `${slot.fault.status ?? "delay"}${
        slot.fault.applyThenFail ? " after applying" : ""
      }`;
      if (slot.fault.delayMs) await sleepUnlessAborted(slot.fault.delayMs, closing.signal);
    }
    let response: Response;
    if (slot?.fault.status !== undefined && !slot.fault.applyThenFail) {
      response = faultResponse(slot.fault);
    } else {
      response = await api.answer(method, u, caller, raw);
      if (slot?.fault.applyThenFail && slot.fault.status !== undefined) {
        await response.body?.cancel();
        response = faultResponse(slot.fault);
      }
    }
    if (!response.headers.has("x-ratelimit-remaining")) {
      remaining = Math.max(1, remaining - 1);
      response.headers.set("x-ratelimit-limit", "5000");
      response.headers.set("x-ratelimit-remaining", String(remaining));
      response.headers.set("x-ratelimit-used", String(5000 - remaining));
      response.headers.set(
        "x-ratelimit-reset",
        String(Math.floor(now().getTime() / 1000) + 3600),
      );
      response.headers.set("x-ratelimit-resource", "core");
    }
    response.headers.set("x-github-request-id", crypto.randomUUID().toUpperCase());
    response.headers.set("x-github-api-version-selected", "2022-11-28");
    record.status = response.status;
    return response;
  };

  const server = Deno.serve(
    { hostname: options.hostname ?? "127.0.0.1", port: options.port ?? 0, onListen() {} },
    handle,
  );
  url = `http://${server.addr.hostname}:${server.addr.port}`;

  const fake: FakeGitHub = {
    url,
    requests,
    setBranchProtection(repo, branch, rules) {
      const found = state.repos.get(repo.toLowerCase());
      if (!found) throw new Error(`fake GitHub: no repository ${repo}`);
      if (rules) found.protection.set(branch, rules);
      else found.protection.delete(branch);
    },
    setBranchRuleset(repo, branch, rules) {
      const found = state.repos.get(repo.toLowerCase());
      if (!found) throw new Error(`fake GitHub: no repository ${repo}`);
      if (rules) found.rulesets.set(branch, rules);
      else found.rulesets.delete(branch);
    },
    injectFault(fault) {
      faults.push({ fault, left: fault.times ?? 1 });
    },
    pullRequests(repo) {
      return state.pulls
        .filter((p) => !repo || p.repo.fullName.toLowerCase() === repo.toLowerCase())
        .map((p) => state.pullJson(p));
    },
    pullRequest(repo, number) {
      return state.pullJson(state.pull(repo, number));
    },
    addReview(repo, number, init) {
      const pull = state.pull(repo, number);
      const review: ReviewRecord = {
        id: state.nextId(),
        pull,
        user: init.user,
        state: init.state,
        body: init.body ?? "",
        submittedAt: state.time(),
        commitId: pull.headSha,
      };
      state.reviews.push(review);
      const reviewJson = state.reviewJson(review);
      reviewJson.state = init.state.toLowerCase();
      return state.delivery("pull_request_review", {
        action: "submitted",
        review: reviewJson,
        pull_request: state.simplePullJson(pull),
        repository: state.repoJson(pull.repo, false),
        sender: state.user(init.user),
      }, pull.repo);
    },
    addReviewComment(repo, number, init) {
      const pull = state.pull(repo, number);
      const now = state.time();
      // GitHub answers only top-level comments; a reply sits on its parent's lines.
      const parent = init.inReplyTo === undefined
        ? undefined
        : state.comments.find((c) => c.id === init.inReplyTo && c.pull === pull);
      if (init.inReplyTo !== undefined && (!parent || parent.inReplyTo !== null)) {
        throw new Error(`fake GitHub: ${init.inReplyTo} is not a top-level comment on #${number}`);
      }
      const comment: CommentRecord = {
        id: state.nextId(),
        pull,
        reviewId: null,
        inReplyTo: init.inReplyTo ?? null,
        user: init.user,
        body: init.body,
        path: parent?.path ?? init.path,
        line: parent ? parent.line : init.line ?? null,
        startLine: parent ? parent.startLine : init.startLine ?? null,
        side: parent?.side ?? init.side ?? "RIGHT",
        diffHunk: parent?.diffHunk ?? init.diffHunk ?? "@@ -1,1 +1,1 @@",
        commitId: pull.headSha,
        createdAt: now,
        updatedAt: now,
      };
      const review: ReviewRecord = {
        id: state.nextId(),
        pull,
        user: init.user,
        state: "COMMENTED",
        body: "",
        submittedAt: now,
        commitId: pull.headSha,
      };
      comment.reviewId = review.id;
      state.reviews.push(review);
      state.comments.push(comment);
      return state.commentJson(comment);
    },
    addCheckRun(repo, ref, init) {
      const r = state.repos.get(repo.toLowerCase()) ??
        state.repo(...repo.split("/") as [string, string]);
      if (!r) throw new Error(`fake GitHub: no repository ${repo}`);
      const sha = state.resolveRef(r, ref);
      if (!sha) throw new Error(`fake GitHub: no commit for ${ref} in ${repo}`);
      const status = init.status ?? "completed";
      const now = state.time();
      const run: CheckRunRecord = {
        id: state.nextId(),
        repo: r,
        headSha: sha,
        name: init.name,
        status,
        conclusion: status === "completed" ? init.conclusion ?? "success" : null,
        title: init.title ?? null,
        summary: init.summary ?? null,
        text: init.text ?? null,
        app: init.app ?? "github-actions",
        startedAt: now,
        completedAt: status === "completed" ? now : null,
      };
      state.checkRuns.push(run);
      return state.checkRunJson(run);
    },
    addCommitStatus(repo, ref, init) {
      const r = state.repos.get(repo.toLowerCase()) ??
        state.repo(...repo.split("/") as [string, string]);
      if (!r) throw new Error(`fake GitHub: no repository ${repo}`);
      const sha = state.resolveRef(r, ref);
      if (!sha) throw new Error(`fake GitHub: no commit for ${ref} in ${repo}`);
      const record: StatusRecord = {
        id: state.nextId(),
        repo: r,
        sha,
        context: init.context,
        state: init.state,
        description: init.description ?? null,
        targetUrl: init.targetUrl ?? null,
        createdAt: state.time(),
      };
      state.statuses.push(record);
      return state.statusJson(record);
    },
    mergePullRequest(repo, number, by = {}) {
      const pull = state.pull(repo, number);
      if (pull.state !== "open") throw new Error(`fake GitHub: ${repo}#${number} is not open`);
      const mergedBy = by.mergedBy ?? "leigh";
      const now = state.time();
      Object.assign(pull, {
        state: "closed",
        closedAt: now,
        mergedAt: now,
        updatedAt: now,
        mergedBy,
        mergeCommitSha: by.mergeCommitSha ?? pull.headSha,
      });
      return state.delivery("pull_request", {
        action: "closed",
        number: pull.number,
        pull_request: state.pullJson(pull),
        repository: state.repoJson(pull.repo, false),
        sender: state.user(mergedBy),
      }, pull.repo);
    },
    closePullRequest(repo, number, by = {}) {
      const pull = state.pull(repo, number);
      if (pull.state !== "open") throw new Error(`fake GitHub: ${repo}#${number} is not open`);
      const now = state.time();
      Object.assign(pull, { state: "closed", closedAt: now, updatedAt: now });
      return state.delivery("pull_request", {
        action: "closed",
        number: pull.number,
        pull_request: state.pullJson(pull),
        repository: state.repoJson(pull.repo, false),
        sender: state.user(by.closedBy ?? "leigh"),
      }, pull.repo);
    },
    setCollaborator(repo, login, role) {
      const found = state.repo(...(repo.split("/") as [string, string]));
      if (!found) throw new Error(`fake GitHub: no repository ${repo}`);
      if (role === null) found.collaborators.delete(login.toLowerCase());
      else found.collaborators.set(login.toLowerCase(), role);
    },
    issuedTokens() {
      return state.tokens.map((t) => ({
        token: t.token,
        installationId: t.installationId,
        expiresAt: githubTime(new Date(t.expiresAtMs)),
      }));
    },
    async close() {
      closing.abort();
      await server.shutdown();
    },
  };
  return Promise.resolve(fake);
}
