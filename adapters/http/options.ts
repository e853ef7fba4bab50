/**
 * The intake's configuration: a plain typed object that `main.ts` fills from
 * the environment (nothing under `adapters/http` reads environment variables),
 * and its resolution into checked, ready-to-use values.
 *
 * @module
 */
import { type Cidr, parseCidrList } from "./net/cidr.ts";

/** A CIDR range (`10.0.0.0/8`, `2001:db8::/32`) or a single address. */
export type CIDR = string;

/** Token-bucket rate limit per client address. */
export interface RateLimitOptions {
  /** Tokens added per second (sustained requests per second). */
  perSecond: number;
  /** Bucket size (requests allowed in a burst). */
  burst: number;
}

/** Configuration of the HTTP intake. */
export interface IntakeOptions {
  /** Expected `X-Jira-Webhook-Secret` (`JIRA_WEBHOOK_SECRET`); empty refuses every Jira request. */
  jiraWebhookSecret: string;
  /** HMAC key of `X-Hub-Signature-256` (`GITHUB_WEBHOOK_SECRET`); empty refuses every GitHub request. */
  githubWebhookSecret: string;
  /** The AI Runner user's Jira account id (`JIRA_ASSIGNEE_AI_ACCOUNT_ID`). */
  aiAccountId: string;
  /** Largest request body accepted; default {@link DEFAULT_BODY_LIMIT_BYTES} (1 MiB). */
  bodyLimitBytes?: number;
  /** Per-client-address rate limit of the webhook routes; default {@link DEFAULT_RATE_LIMIT}. */
  rateLimit?: RateLimitOptions;
  /** Optional allow-lists per webhook route; a route without one accepts any address. */
  allowList?: { jira?: CIDR[]; github?: CIDR[] };
  /** Peers whose `X-Forwarded-For` is believed; default none. */
  trustedProxies?: CIDR[];
  /** Time a client has to deliver its whole request; default {@link DEFAULT_REQUEST_TIMEOUT_MS}. */
  requestTimeoutMs?: number;
  /** Token of the read-only dashboard (`DASHBOARD_TOKEN`); not used by the intake routes. */
  dashboardToken?: string;
  /**
   * The repositories of `RUNNER_CONFIG` (`owner/name`): GitHub facts from any
   * other repository are ignored. Absent: only the decider's check (the
   * repository the issue was worked in) applies.
   */
  githubRepos?: string[];
  /** Who may assign work to the AI user; see {@link RequesterOptions}. */
  requesters?: RequesterOptions;
}

/** Who may ask for work (`JIRA_REQUESTER_ACCOUNT_IDS`); absent: anybody. */
export interface RequesterOptions {
  accountIds: string[];
  /** Jira groups whose members may ask (`JIRA_REQUESTER_GROUPS`); needs the app's `requesterGroups`. */
  groups?: string[];
  /** The reviewer (`JIRA_ASSIGNEE_LEIGH_ACCOUNT_ID`) may always ask. */
  reviewerAccountId: string;
}

/** Default body limit: 1 MiB. */
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;
/** Default rate limit: 20 requests/s sustained, bursts of 100, per client address. */
export const DEFAULT_RATE_LIMIT: RateLimitOptions = { perSecond: 20, burst: 100 };
/** Default time to receive a request: 10 s (GitHub gives up after 10 s anyway). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** {@link IntakeOptions} checked, with defaults applied and ranges parsed. */
export interface ResolvedIntakeOptions {
  jiraWebhookSecret: string;
  githubWebhookSecret: string;
  aiAccountId: string;
  bodyLimitBytes: number;
  rateLimit: RateLimitOptions;
  allowList: { jira: Cidr[] | null; github: Cidr[] | null };
  trustedProxies: Cidr[];
  requestTimeoutMs: number;
  dashboardToken: string | null;
  githubRepos: string[] | null;
  requesters: RequesterOptions | null;
}

/**
 * Checks the options and applies defaults. Throws one error listing every
 * problem (bad CIDR ranges, non-positive limits) so a misconfiguration stops
 * the start instead of weakening a defence.
 */
export function resolveIntakeOptions(options: IntakeOptions): ResolvedIntakeOptions {
  const problems: string[] = [];
  const positive = (name: string, value: number | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    if (!Number.isFinite(value) || value <= 0) {
      problems.push(`${name} must be a positive number, got ${value}`);
      return fallback;
    }
    return value;
  };
  const ranges = (name: string, list: readonly string[] | undefined): Cidr[] | null => {
    if (list === undefined) return null;
    try {
      return parseCidrList(list);
    } catch (e) {
      problems.push(`${name}: ${(e as Error).message}`);
      return [];
    }
  };
  const resolved: ResolvedIntakeOptions = {
    jiraWebhookSecret: options.jiraWebhookSecret ?? "",
    githubWebhookSecret: options.githubWebhookSecret ?? "",
    aiAccountId: options.aiAccountId ?? "",
    bodyLimitBytes: Math.floor(
      positive("bodyLimitBytes", options.bodyLimitBytes, DEFAULT_BODY_LIMIT_BYTES),
    ),
    rateLimit: {
      perSecond: positive(
        "rateLimit.perSecond",
        options.rateLimit?.perSecond,
        DEFAULT_RATE_LIMIT.perSecond,
      ),
      burst: positive("rateLimit.burst", options.rateLimit?.burst, DEFAULT_RATE_LIMIT.burst),
    },
    allowList: {
      jira: ranges("allowList.jira", options.allowList?.jira),
      github: ranges("allowList.github", options.allowList?.github),
    },
    trustedProxies: ranges("trustedProxies", options.trustedProxies) ?? [],
    requestTimeoutMs: positive(
      "requestTimeoutMs",
      options.requestTimeoutMs,
      DEFAULT_REQUEST_TIMEOUT_MS,
    ),
    dashboardToken: options.dashboardToken || null,
    githubRepos: options.githubRepos ?? null,
    requesters: options.requesters ?? null,
  };
  if (problems.length) throw new Error(`invalid intake options: ${problems.join("; ")}`);
  return resolved;
}
