/**
 * One Jira Data Center / Server call with retries: the same policy as the
 * Cloud client (see `adapters/jira/client.ts`; transient = 408, 429, 5xx and
 * network errors; writes that may have been applied are not repeated but
 * surface as `ambiguous`), plus Data Center's rate-limit answers: a 429 with
 * `Retry-After` (seconds) is honoured; a 429 without it waits one refill
 * interval (`X-RateLimit-Interval-Seconds`, the token bucket's period) when
 * the bucket is empty (`X-RateLimit-Remaining: 0`).
 *
 * Credentials never appear in an error: the token, the password and their
 * encodings are scrubbed from every message.
 *
 * @module
 */
import type { Logger } from "../../../domain/ports/logger.ts";
import { type JiraCall, JiraHttp } from "../http.ts";
import { requestedWait } from "../retry_policy.ts";

/** How the client proves who it is. */
export type DcAuth =
  /** A personal access token (Jira 8.14+), sent as `Authorization: Bearer`. */
  | { kind: "pat"; token: string }
  /** Username and password, for Server installs without PATs. */
  | { kind: "basic"; username: string; password: string };

/** Tuning of {@link DcHttp}. */
export interface DcHttpOptions {
  baseUrl: string;
  auth: DcAuth;
  fetch?: typeof fetch;
  logger?: Logger;
  maxRetries?: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
  maxRetryAfterMs?: number;
  requestTimeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

/** One HTTP call, described for retries and error messages. */
export type DcCall = JiraCall;

/**
 * The wait a Data Center answer asks for: `Retry-After`, else (429/503)
 * `X-RateLimit-Reset`, else, for a 429 from an empty bucket, one refill
 * interval. Undefined when it asks nothing.
 */
export function dcRequestedWait(
  status: number,
  headers: Headers,
  nowMs: number,
): number | undefined {
  const asked = requestedWait(status, headers, nowMs);
  if (asked !== undefined || status !== 429) return asked;
  const interval = Number(headers.get("x-ratelimit-interval-seconds"));
  const remaining = headers.get("x-ratelimit-remaining");
  if (Number.isFinite(interval) && interval > 0 && (remaining === null || remaining === "0")) {
    return Math.round(interval * 1000);
  }
  return undefined;
}

/** What a person should check, for a permanent status of a Data Center call. */
export function dcHintFor(status: number, auth: DcAuth["kind"]): string {
  switch (status) {
    case 400:
      return "Jira rejected the request as invalid";
    case 401:
      return auth === "pat"
        ? "Jira did not accept the personal access token: check JIRA_API_TOKEN (Profile → " +
          "Personal Access Tokens; tokens expire)"
        : "Jira did not accept the username and password: check JIRA_USERNAME and JIRA_API_TOKEN";
    case 403:
      return "the Jira user lacks the permission for this (or a CAPTCHA blocks it after failed " +
        "logins: log in once in a browser)";
    case 404:
      return "it does not exist, or the Jira user cannot see it";
    case 413:
      return "the request is too large for Jira";
    default:
      return "";
  }
}

/** Sends calls to one Jira Data Center / Server with retries. */
/** The Data Center transport: PAT (Bearer) or basic auth, DC's rate-limit answers and hints. */
export class DcHttp extends JiraHttp {
  constructor(options: DcHttpOptions) {
    const { auth, ...tuning } = options;
    const basic = auth.kind === "basic"
      ? btoa(String.fromCharCode(...new TextEncoder().encode(`${auth.username}:${auth.password}`)))
      : "";
    super({
      ...tuning,
      authorization: auth.kind === "pat" ? `Bearer ${auth.token}` : `Basic ${basic}`,
      secrets: auth.kind === "pat" ? [auth.token] : [auth.password, basic],
      hintFor: (status) => dcHintFor(status, auth.kind),
      requestedWait: dcRequestedWait,
    });
  }
}
