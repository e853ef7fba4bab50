/**
 * Who may steer the model. Pure rules, no I/O:
 * - GitHub: review text counts only from people with write access to the
 *   repository (admin, maintain, write: GitHub's collaborator permission) or
 *   listed in `GITHUB_TRUSTED_LOGINS`; never from bots, never from the runner's
 *   own account.
 * - Jira: who may ask for work (`JIRA_REQUESTER_ACCOUNT_IDS`, the reviewer), and
 *   whether the requester's comments count as feedback (only when the requester
 *   is allowed by name: assigning a ticket does not make anybody trusted).
 *
 * @module
 */
import type { Person } from "./events.ts";
import type { CollaboratorPermission, GitHubClient, RepoSlug } from "./ports/github.ts";

export type { CollaboratorPermission } from "./ports/github.ts";

// --- GitHub ----------------------------------------------------------------------------

/** The author of a review or review comment, as GitHub names them. */
export interface GithubAuthor {
  login: string | null;
  /** `user.type`: `User`, `Bot`, `Organization`, … (null when unknown). */
  type?: string | null;
}

/** The GitHub trust settings. */
export interface GithubTrustSettings {
  /** `GITHUB_TRUSTED_LOGINS`, lowercased: trusted whatever their permission. */
  trustedLogins: ReadonlySet<string>;
  /** The runner's own logins, lowercased (token user, `<app-slug>[bot]`): never feedback. */
  runnerLogins: ReadonlySet<string>;
}

/** Why a GitHub author's text is not acted on. */
export type GithubDistrustReason =
  /** No login (a deleted "ghost" user). */
  | "unknown_author"
  /** The runner itself. */
  | "own"
  /** A bot or app account (`[bot]`, type `Bot`). */
  | "bot"
  /** Read, triage or no access (GitHub's 404), and not in `GITHUB_TRUSTED_LOGINS`. */
  | "no_write_access"
  /** The permission could not be read (an error): fail closed. */
  | "permission_unknown";

/** Whether a GitHub author may steer the model, and on what grounds. */
export type GithubTrust =
  | { trusted: true; basis: "write_access" | "trusted_login" }
  | { trusted: false; reason: GithubDistrustReason };

/** Builds {@link GithubTrustSettings} from the configured lists (any case). */
export function githubTrustSettings(
  trustedLogins: Iterable<string>,
  runnerLogins: Iterable<string>,
): GithubTrustSettings {
  const lower = (xs: Iterable<string>) =>
    new Set([...xs].map((x) => x.trim().toLowerCase()).filter((x) => x.length > 0));
  return { trustedLogins: lower(trustedLogins), runnerLogins: lower(runnerLogins) };
}

function isBot(author: GithubAuthor): boolean {
  return author.type === "Bot" || /\[bot\]$/i.test(author.login ?? "");
}

/**
 * True when {@link githubTrust} needs the author's permission to decide: not
 * for bots, the runner, unknown authors or listed logins (saves the lookup).
 */
export function needsPermissionLookup(
  author: GithubAuthor,
  settings: GithubTrustSettings,
): boolean {
  const login = author.login?.toLowerCase();
  if (!login || isBot(author) || settings.runnerLogins.has(login)) return false;
  return !settings.trustedLogins.has(login);
}

/**
 * Whether a GitHub author's review text may steer the model. `permission` is
 * the author's permission on the PR's repository; `null` when it could not be
 * read (then the author is not trusted), `undefined` when not looked up
 * (see {@link needsPermissionLookup}).
 */
export function githubTrust(
  author: GithubAuthor,
  permission: CollaboratorPermission | null | undefined,
  settings: GithubTrustSettings,
): GithubTrust {
  const login = author.login?.trim().toLowerCase();
  if (!login) return { trusted: false, reason: "unknown_author" };
  if (settings.runnerLogins.has(login)) return { trusted: false, reason: "own" };
  if (isBot(author)) return { trusted: false, reason: "bot" };
  if (settings.trustedLogins.has(login)) return { trusted: true, basis: "trusted_login" };
  if (permission === null || permission === undefined) {
    return { trusted: false, reason: "permission_unknown" };
  }
  const role = permission.roleName?.toLowerCase();
  if (
    permission.permission === "admin" || permission.permission === "write" ||
    role === "maintain"
  ) {
    return { trusted: true, basis: "write_access" };
  }
  return { trusted: false, reason: "no_write_access" };
}

/**
 * Looks up authors' permissions on one repository once each (a per-run cache:
 * make one per run). A failed lookup answers null, which {@link githubTrust}
 * treats as not trusted; the failure is handed to `onError` (to log it).
 */
export class PermissionLookup {
  readonly #cache = new Map<string, Promise<CollaboratorPermission | null>>();

  constructor(
    private readonly github: Pick<GitHubClient, "getCollaboratorPermission">,
    private readonly repo: RepoSlug,
    private readonly onError: (login: string, error: unknown) => void = () => {},
  ) {}

  /** The author's permission, or null when it could not be read. */
  permissionOf(login: string): Promise<CollaboratorPermission | null> {
    const key = login.toLowerCase();
    let found = this.#cache.get(key);
    if (!found) {
      found = this.github.getCollaboratorPermission(this.repo, login).catch((error) => {
        this.onError(login, error);
        return null;
      });
      this.#cache.set(key, found);
    }
    return found;
  }

  /** {@link githubTrust} for an author, looking the permission up only when needed. */
  async trustOf(author: GithubAuthor, settings: GithubTrustSettings): Promise<GithubTrust> {
    const permission = needsPermissionLookup(author, settings)
      ? await this.permissionOf(author.login!)
      : undefined;
    return githubTrust(author, permission, settings);
  }
}

// --- Jira: who may ask for work ---------------------------------------------------------

/** Who may assign tickets to the AI user (`JIRA_REQUESTER_ACCOUNT_IDS`, `JIRA_REQUESTER_GROUPS`). */
export interface RequesterPolicy {
  /** Allowed requesters; with no groups either, empty means anybody may ask (trusting nobody). */
  requesterAccountIds: ReadonlySet<string>;
  /** Jira groups whose members may ask (group names, as Jira spells them). */
  requesterGroups?: ReadonlySet<string>;
  /** The reviewer may always ask. */
  reviewerAccountId: string;
}

/** On what grounds a requester was allowed. */
export type RequesterBasis = "listed" | "reviewer" | "group" | "open";

/** Whether a request may start work, and on what grounds. */
export type RequesterVerdict =
  | { allowed: true; basis: RequesterBasis }
  | { allowed: false; reason: string };

function isOpen(policy: RequesterPolicy): boolean {
  return policy.requesterAccountIds.size === 0 && (policy.requesterGroups?.size ?? 0) === 0;
}

/**
 * True when {@link requesterVerdict} needs the requester's Jira groups: groups
 * are configured and the requester is not allowed by account already.
 */
export function needsGroupLookup(requestedBy: Person | null, policy: RequesterPolicy): boolean {
  const id = requestedBy?.accountId;
  if (!id || (policy.requesterGroups?.size ?? 0) === 0) return false;
  return id !== policy.reviewerAccountId && !policy.requesterAccountIds.has(id);
}

/**
 * Whether a request from `requestedBy` may start work. With neither
 * `JIRA_REQUESTER_ACCOUNT_IDS` nor `JIRA_REQUESTER_GROUPS` configured anybody
 * may (`basis: "open"`); otherwise only listed accounts, members of listed
 * groups and the reviewer, and a request that does not say who asked is
 * refused. `groups`: the requester's Jira groups when looked up
 * ({@link needsGroupLookup}), `null` when the lookup failed (refused: fail
 * closed, and they are told to ask again).
 */
export function requesterVerdict(
  requestedBy: Person | null,
  policy: RequesterPolicy,
  groups?: readonly string[] | null,
): RequesterVerdict {
  const id = requestedBy?.accountId;
  if (id && id === policy.reviewerAccountId) return { allowed: true, basis: "reviewer" };
  if (id && policy.requesterAccountIds.has(id)) return { allowed: true, basis: "listed" };
  if (isOpen(policy)) return { allowed: true, basis: "open" };
  if (!id) {
    return {
      allowed: false,
      reason:
        "the request does not say who asked (the Automation rule's body has no initiator), and " +
        "only listed people may ask for AI Runner work",
    };
  }
  const who = requestedBy?.displayName || id;
  const allowedGroups = policy.requesterGroups ?? new Set<string>();
  if (allowedGroups.size > 0 && groups === null) {
    return {
      allowed: false,
      reason: `could not check whether ${who} is in a Jira group allowed to ask AI Runner for ` +
        "work; please assign the ticket again in a few minutes",
    };
  }
  if (groups?.some((g) => allowedGroups.has(g))) return { allowed: true, basis: "group" };
  return {
    allowed: false,
    reason: `${who} is not among the people allowed to ask AI Runner for work`,
  };
}

/**
 * Whether the requester's Jira comments count as feedback: only when the
 * requester is allowed by name or group (listed, a member of a listed group,
 * or the reviewer). Assigning a ticket never makes anybody trusted, and with
 * no list configured a requester is trusted only as the reviewer or through
 * the other trusted accounts. `basis`: what the intake recorded on
 * `RunRequested.requesterBasis`; when absent (older runs) it is judged again
 * from the account ids.
 */
export function requesterCountsForFeedback(
  requestedBy: Person | null,
  policy: RequesterPolicy,
  basis?: RequesterBasis,
): boolean {
  if (basis !== undefined) return basis !== "open";
  const verdict = requesterVerdict(requestedBy, policy, []);
  return verdict.allowed && verdict.basis !== "open";
}
