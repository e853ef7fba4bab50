/**
 * GitHub failures, read the way GitHub documents them: a 403 or 429 is a rate
 * limit when it carries `retry-after` (wait that many seconds), when
 * `x-ratelimit-remaining` is `0` (wait until `x-ratelimit-reset`, epoch
 * seconds), or when its message says so (wait a minute, then longer);
 * otherwise a 403 is a missing permission. 5xx and no answer are transient;
 * 401, 404, 422 are permanent.
 *
 * @module
 */
import { GitHubError, type GitHubErrorReason } from "../../domain/ports/github.ts";
import type { Redactor } from "../log/redact.ts";

/** What the adapter needs of a failed request (octokit's `RequestError` has it). */
export interface FailedRequest {
  status?: number;
  message?: string;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
}

/** The fallback wait for a rate limit that names no time (GitHub: "at least one minute"). */
export const UNSPECIFIED_RATE_LIMIT_WAIT_MS = 60_000;

function header(error: FailedRequest, name: string): string | undefined {
  const value = error.response?.headers?.[name];
  return value === undefined ? undefined : String(value);
}

/** The message GitHub put in the body (plus its `errors[].message`s), or the error's own. */
export function gitHubMessage(error: FailedRequest): string {
  const data = error.response?.data as
    | { message?: unknown; errors?: Array<{ message?: unknown; code?: unknown; field?: unknown }> }
    | undefined;
  if (data && typeof data === "object" && typeof data.message === "string") {
    const details = (Array.isArray(data.errors) ? data.errors : [])
      .map((e) =>
        typeof e?.message === "string"
          ? e.message
          : [e?.field, e?.code].filter((x) => typeof x === "string").join(" ")
      )
      .filter(Boolean);
    return details.length ? `${data.message}: ${details.join("; ")}` : data.message;
  }
  return error.message ?? "unknown error";
}

/**
 * How long a rate-limited answer asks to wait, in ms; null when the answer is
 * not a rate limit. `attempt` (0-based) stretches the unspecified wait.
 */
export function rateLimitWaitMs(error: FailedRequest, nowMs: number, attempt = 0): number | null {
  if (error.status !== 403 && error.status !== 429) return null;
  const retryAfter = header(error, "retry-after");
  if (retryAfter !== undefined && /^\d+$/.test(retryAfter.trim())) {
    return Number(retryAfter) * 1000;
  }
  const reset = header(error, "x-ratelimit-reset");
  if (header(error, "x-ratelimit-remaining") === "0" && reset && /^\d+$/.test(reset)) {
    return Math.max(0, Number(reset) * 1000 - nowMs) + 1000;
  }
  if (error.status === 429 || /rate limit/i.test(gitHubMessage(error))) {
    return UNSPECIFIED_RATE_LIMIT_WAIT_MS * 2 ** attempt;
  }
  return null;
}

/** True when the request got no answer at all (refused, reset, timed out). */
export function isNetworkFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === "AbortError" || error.name === "TimeoutError") return true;
  // octokit's RequestError for a failed fetch: status 500, the request, no response.
  return "request" in error && (error as FailedRequest).response === undefined;
}

const PERMANENT: Record<number, [GitHubErrorReason, string]> = {
  401: ["unauthorized", "GitHub refused the credentials (check GITHUB_TOKEN or the GitHub App)"],
  403: ["forbidden", "the credentials lack a permission for this"],
  404: ["not_found", "not found, or not visible to the credentials"],
  422: ["validation", "GitHub refused the request"],
};

/** Turns anything a request threw into a {@link GitHubError} with a redacted message. */
export function toGitHubError(
  error: unknown,
  what: string,
  redactor: Redactor,
  nowMs: number,
): GitHubError {
  if (error instanceof GitHubError) return error;
  const failed = (error ?? {}) as FailedRequest;
  const say = (text: string) => redactor.redact(`GitHub ${what}: ${text}`);
  if (isNetworkFailure(error)) {
    const cause = error instanceof Error ? error.message : String(error);
    return new GitHubError("transient", "network", 0, say(`no answer (${cause})`));
  }
  const status = typeof failed.status === "number" ? failed.status : 0;
  const message = gitHubMessage(failed);
  const wait = rateLimitWaitMs(failed, nowMs);
  if (wait !== null) {
    return new GitHubError(
      "transient",
      "rate_limited",
      status,
      say(`rate limited (${status} ${message}); retry in ${Math.ceil(wait / 1000)} s`),
      wait,
    );
  }
  if (status >= 500) {
    return new GitHubError("transient", "server", status, say(`${status} ${message}`));
  }
  const [reason, meaning] = PERMANENT[status] ?? ["unexpected", "unexpected answer"];
  return new GitHubError("permanent", reason, status, say(`${meaning}: ${status} ${message}`));
}
