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
import { JiraError } from "../../../domain/ports/jira.ts";
import type { Logger } from "../../../domain/ports/logger.ts";
import { jiraMessagesOf, SecretScrubber } from "../error_text.ts";
import {
  backoffDelay,
  isConnectFailure,
  isNotProcessedStatus,
  isTransientStatus,
  requestedWait,
} from "../retry_policy.ts";

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
export interface DcCall {
  /** Stable name, e.g. `addComment`. */
  operation: string;
  /** For people, e.g. `add comment to MWC-42`. */
  description: string;
  issueKey?: string;
  method: "GET" | "POST" | "PUT";
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  idempotent: boolean;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

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
export class DcHttp {
  readonly base: string;
  readonly #authorization: string;
  readonly #authKind: DcAuth["kind"];
  readonly #fetch: typeof fetch;
  readonly #logger?: Logger;
  readonly #maxRetries: number;
  readonly #initialDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #maxRetryAfterMs: number;
  readonly #timeoutMs: number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly scrubber: SecretScrubber;

  /** A transport for one site and set of credentials. */
  constructor(options: DcHttpOptions) {
    this.base = options.baseUrl.replace(/\/+$/, "");
    this.#authKind = options.auth.kind;
    if (options.auth.kind === "pat") {
      this.#authorization = `Bearer ${options.auth.token}`;
      this.scrubber = new SecretScrubber([options.auth.token]);
    } else {
      const credentials = btoa(
        String.fromCharCode(
          ...new TextEncoder().encode(`${options.auth.username}:${options.auth.password}`),
        ),
      );
      this.#authorization = `Basic ${credentials}`;
      this.scrubber = new SecretScrubber([options.auth.password, credentials]);
    }
    this.#fetch = options.fetch ?? fetch;
    this.#logger = options.logger;
    this.#maxRetries = Math.max(0, options.maxRetries ?? 4);
    this.#initialDelayMs = options.initialDelayMs ?? 5000;
    this.#maxDelayMs = options.maxDelayMs ?? 30000;
    this.#maxRetryAfterMs = options.maxRetryAfterMs ?? 120_000;
    this.#timeoutMs = options.requestTimeoutMs ?? 30_000;
    this.#sleep = options.sleep ?? defaultSleep;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
  }

  /** The injected clock (for the write gate). */
  get now(): () => number {
    return this.#now;
  }

  /** The injected sleep (for the write gate). */
  get sleep(): (ms: number) => Promise<void> {
    return this.#sleep;
  }

  /** Sends a call with retries; the parsed JSON of a 2xx, or undefined for an empty body. */
  async json(call: DcCall): Promise<unknown> {
    const response = await this.send(call);
    const text = await response.text();
    if (text.trim() === "") return undefined;
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  }

  /** Sends a call with retries; the 2xx response, its body unread. */
  async send(call: DcCall, accept = "application/json"): Promise<Response> {
    const headers: Record<string, string> = {
      Authorization: this.#authorization,
      Accept: accept,
    };
    if (call.body !== undefined) headers["Content-Type"] = "application/json";
    const query = call.query ? `?${new URLSearchParams(call.query)}` : "";
    const url = call.path.startsWith("http") ? call.path : `${this.base}${call.path}${query}`;
    for (let attempt = 0;; attempt++) {
      let response: Response;
      try {
        response = await this.#fetch(url, {
          method: call.method,
          headers,
          body: call.body === undefined ? undefined : JSON.stringify(call.body),
          signal: AbortSignal.timeout(this.#timeoutMs),
        });
      } catch (error) {
        const notSent = isConnectFailure(error);
        if (attempt < this.#maxRetries && (call.idempotent || notSent)) {
          await this.#wait(call, attempt, null, undefined);
          continue;
        }
        throw this.#networkError(call, error, attempt, !call.idempotent && !notSent);
      }
      if (response.ok) return response;
      const text = await response.text().catch(() => "");
      const messages = jiraMessagesOf(text).map((m) => this.scrubber.scrub(m));
      if (!isTransientStatus(response.status)) throw this.#statusError(call, response, messages);
      const asked = dcRequestedWait(response.status, response.headers, this.#now());
      const safe = call.idempotent || isNotProcessedStatus(response.status);
      const tooLong = asked !== undefined && asked > this.#maxRetryAfterMs;
      if (attempt < this.#maxRetries && safe && !tooLong) {
        await this.#wait(call, attempt, response.status, asked);
        continue;
      }
      throw this.#statusError(call, response, messages, {
        attempts: attempt + 1,
        retryAfterMs: asked,
        ambiguous: !safe,
      });
    }
  }

  async #wait(call: DcCall, attempt: number, status: number | null, asked?: number) {
    const waitMs = asked ?? backoffDelay(attempt, {
      initialDelayMs: this.#initialDelayMs,
      maxDelayMs: this.#maxDelayMs,
      random: this.#random,
    });
    this.#logger?.warn("jira request retrying", {
      operation: call.operation,
      issueKey: call.issueKey,
      status,
      retry: attempt + 1,
      waitMs,
      retryAfterHonoured: asked !== undefined,
    });
    await this.#sleep(waitMs);
  }

  #statusError(
    call: DcCall,
    response: Response,
    messages: string[],
    transient?: { attempts: number; retryAfterMs?: number; ambiguous: boolean },
  ): JiraError {
    const status = response.status;
    const parts = [`Jira ${call.description} failed: HTTP ${status} ${response.statusText}`.trim()];
    if (messages.length > 0) parts.push(messages.join("; "));
    if (transient) {
      parts.push(
        transient.ambiguous
          ? "not retried: the request may have been applied"
          : `gave up after ${transient.attempts} attempt(s)`,
      );
      if (transient.retryAfterMs !== undefined) {
        parts.push(`Jira asked to wait ${Math.ceil(transient.retryAfterMs / 1000)} s`);
      }
    } else {
      const hint = dcHintFor(status, this.#authKind);
      if (hint) parts.push(hint);
    }
    return new JiraError(this.scrubber.scrub(parts.join(": ")), {
      operation: call.operation,
      status,
      kind: transient ? "transient" : "permanent",
      issueKey: call.issueKey,
      retryAfterMs: transient?.retryAfterMs,
      ambiguous: transient?.ambiguous ?? false,
      jiraMessages: messages,
    });
  }

  #networkError(call: DcCall, error: unknown, attempt: number, ambiguous: boolean): JiraError {
    const reason = (error as Error)?.name === "TimeoutError"
      ? `timed out after ${this.#timeoutMs} ms`
      : String((error as Error)?.message ?? error);
    const cause = (error as { cause?: unknown })?.cause;
    const detail = cause instanceof Error ? `${reason} (${cause.message.split("\n")[0]})` : reason;
    const tail = ambiguous
      ? "not retried: the request may have been applied"
      : `gave up after ${attempt + 1} attempt(s)`;
    return new JiraError(
      this.scrubber.scrub(`Jira ${call.description} failed: no response: ${detail}: ${tail}`),
      {
        operation: call.operation,
        status: null,
        kind: "transient",
        issueKey: call.issueKey,
        ambiguous,
      },
    );
  }
}
