/**
 * One Jira REST call with retries, the same for Jira Cloud and Data Center:
 * transient = 408, 429, 5xx and network errors, retried with backoff that
 * honours what the site asks (`requestedWait`, which differs per deployment);
 * writes that may have been applied are not repeated but surface as
 * `ambiguous`. Credentials never appear in an error: every message is
 * scrubbed of them.
 *
 * @module
 */
import { JiraError } from "../../domain/ports/jira.ts";
import type { Logger } from "../../domain/ports/logger.ts";
import { jiraMessagesOf, SecretScrubber } from "./error_text.ts";
import {
  backoffDelay,
  isConnectFailure,
  isNotProcessedStatus,
  isTransientStatus,
} from "./retry_policy.ts";

/** The transport's settings: the site, who it is, how it reads waits, tuning. */
export interface JiraHttpOptions {
  baseUrl: string;
  /** The `Authorization` header value. */
  authorization: string;
  /** Values to scrub from every error (the token, the password, their encodings). */
  secrets: string[];
  /** A sentence on what to do about a refused status (credentials, permissions…). */
  hintFor: (status: number) => string;
  /** How long the site asked to wait before a retry, ms; undefined: it did not say. */
  requestedWait: (status: number, headers: Headers, now: number) => number | undefined;
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
export interface JiraCall {
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

/** The transport for one site and set of credentials. */
export class JiraHttp {
  readonly base: string;
  readonly #authorization: string;
  readonly #hint: (status: number) => string;
  readonly #requestedWait: JiraHttpOptions["requestedWait"];
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
  constructor(options: JiraHttpOptions) {
    this.base = options.baseUrl.replace(/\/+$/, "");
    this.#authorization = options.authorization;
    this.scrubber = new SecretScrubber(options.secrets);
    this.#hint = options.hintFor;
    this.#requestedWait = options.requestedWait;
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

  /** The `Authorization` header value (for calls made outside {@link send}). */
  get authorization(): string {
    return this.#authorization;
  }

  /** The fetch in use (for calls made outside {@link send}). */
  get fetch(): typeof fetch {
    return this.#fetch;
  }

  /** The per-request timeout, ms. */
  get timeoutMs(): number {
    return this.#timeoutMs;
  }

  /** Retries after the first attempt. */
  get maxRetries(): number {
    return this.#maxRetries;
  }

  /** The longest wait a `Retry-After` may ask before the call gives up instead. */
  get maxRetryAfterMs(): number {
    return this.#maxRetryAfterMs;
  }

  /** The URL of a call on this site. */
  url(call: JiraCall): string {
    const query = call.query ? `?${new URLSearchParams(call.query)}` : "";
    return call.path.startsWith("http") ? call.path : `${this.base}${call.path}${query}`;
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
  async json(call: JiraCall): Promise<unknown> {
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
  async send(call: JiraCall, accept = "application/json"): Promise<Response> {
    const headers: Record<string, string> = {
      Authorization: this.#authorization,
      Accept: accept,
    };
    if (call.body !== undefined) headers["Content-Type"] = "application/json";
    const url = this.url(call);
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
          await this.wait(call, attempt, null, undefined);
          continue;
        }
        throw this.networkError(call, error, attempt, !call.idempotent && !notSent);
      }
      if (response.ok) return response;
      const text = await response.text().catch(() => "");
      const messages = jiraMessagesOf(text).map((m) => this.scrubber.scrub(m));
      if (!isTransientStatus(response.status)) throw this.statusError(call, response, messages);
      const asked = this.#requestedWait(response.status, response.headers, this.#now());
      const safe = call.idempotent || isNotProcessedStatus(response.status);
      const tooLong = asked !== undefined && asked > this.#maxRetryAfterMs;
      if (attempt < this.#maxRetries && safe && !tooLong) {
        await this.wait(call, attempt, response.status, asked);
        continue;
      }
      throw this.statusError(call, response, messages, {
        attempts: attempt + 1,
        retryAfterMs: asked,
        ambiguous: !safe,
      });
    }
  }

  /** Logs and sleeps before retry `attempt + 1` (the wait asked for, else backoff). */
  async wait(call: JiraCall, attempt: number, status: number | null, asked?: number) {
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

  /** The error of a refused call, credentials scrubbed. */
  statusError(
    call: JiraCall,
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
      const hint = this.#hint(status);
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

  /** The error of a call that got no answer, credentials scrubbed. */
  networkError(call: JiraCall, error: unknown, attempt: number, ambiguous: boolean): JiraError {
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
