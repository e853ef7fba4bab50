/**
 * The Jira Cloud adapter: {@link JiraClient} over REST v3 with Basic auth
 * (`email:api_token`), ADF bodies, retries and per-issue write spacing.
 * Comments are kept within Jira's 32,767-character limit (shortened in the
 * middle, see `comment_limit.ts`); transitions are listed with their screens'
 * fields and sent with the values given for them.
 *
 * Retry policy:
 * - transient failures are 408, 429, 5xx and network errors (no response);
 *   401/403/404/400 and other 4xx are permanent and never retried;
 * - the wait is `Retry-After` (seconds) when Jira sends it, else on 429/503
 *   the time until `X-RateLimit-Reset` (ISO-8601), else exponential backoff
 *   from `initialDelayMs` doubling up to `maxDelayMs`, jittered ×0.7–1.3; a
 *   requested wait longer than `maxRetryAfterMs` is not slept: the transient
 *   error carries it in `retryAfterMs` for the caller to schedule;
 * - reads (GET) and the assignee PUT are idempotent and retried on every
 *   transient failure;
 * - the two POSTs (add comment, transition) are retried only when Jira surely
 *   did not process them: 429 and 503 (refused before processing) and failures
 *   to connect. After any other transient failure (timeout, reset connection,
 *   500/502/504) the outcome is unknown; retrying could post the comment twice,
 *   so the client throws a transient error with `ambiguous: true` and the
 *   worker re-reads Jira (its marked comment, the issue's status) before
 *   trying the step again.
 *
 * @module
 */
import type { JiraProbe } from "../../domain/ports/probes.ts";
import {
  type JiraAttachmentContent,
  type JiraClient,
  type JiraComment,
  type JiraDirectory,
  JiraError,
  type JiraIssue,
  type JiraIssueBrief,
  type JiraTransition,
  type JiraUser,
} from "../../domain/ports/jira.ts";
import type { Logger } from "../../domain/ports/logger.ts";
import { fitComment } from "./comment_limit.ts";
import { validateAdf } from "./adf_validate.ts";
import { hintFor, jiraMessagesOf } from "./error_text.ts";
import {
  BRIEF_FIELDS,
  ISSUE_FIELDS,
  toComment,
  toIssue,
  toIssueBrief,
  toTransition,
  toUser,
} from "./mapping.ts";
import { isTransientStatus, requestedWait } from "./retry_policy.ts";
import { PerIssueWriteGate } from "./write_gate.ts";
import { type JiraCall, JiraHttp } from "./http.ts";

/** Options of {@link HttpJiraClient}. */
export interface HttpJiraClientOptions {
  /** Site URL, e.g. `https://your-domain.atlassian.net`. */
  baseUrl: string;
  /** The Atlassian account's email (`JIRA_EMAIL`). */
  email: string;
  /** The account's API token (`JIRA_API_TOKEN`); never appears in errors. */
  apiToken: string;
  /** Default: the global `fetch`. */
  fetch?: typeof fetch;
  /** Retries are logged at warn level. */
  logger?: Logger;
  /** Retries after the first attempt (default 4). */
  maxRetries?: number;
  /** First backoff delay (default 5000 ms). */
  initialDelayMs?: number;
  /** Backoff cap before jitter (default 30000 ms). */
  maxDelayMs?: number;
  /** Longest wait Jira may ask for that is slept in-process (default 120000 ms). */
  maxRetryAfterMs?: number;
  /** Spacing between writes to one issue (default 500 ms). */
  perIssueWriteSpacingMs?: number;
  /** Timeout of one HTTP request (default 30000 ms). */
  requestTimeoutMs?: number;
  /** `maxResults` asked for per comment page (default 100; Jira may return fewer). */
  commentPageSize?: number;
  /** Custom field ids to read into `JiraIssue.customFields` (e.g. `customfield_10020`). */
  customFields?: string[];
  /** Injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

/** One HTTP call to Jira, described for retries and error messages. */
type Call = JiraCall;

/** Redirects followed when downloading an attachment. */
const MAX_REDIRECTS = 3;
/** Most related issues read in one search. */
const MAX_BRIEF_ISSUES = 50;
/** A Jira issue key: a project key (a letter, then letters, digits or `_`), `-`, a number. */
const ISSUE_KEY = /^[A-Z][A-Z0-9_]{0,254}-\d{1,18}$/;

/** Reads at most `max` bytes of a body, then stops the download. */
async function readBounded(
  response: Response,
  max: number,
): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  const reader = response.body?.getReader();
  if (!reader) return { bytes: new Uint8Array(0), truncated: false };
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.length > max) {
      chunks.push(value.subarray(0, max - size));
      size = max;
      truncated = true;
      await reader.cancel();
      break;
    }
    chunks.push(value);
    size += value.length;
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return { bytes, truncated };
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** {@link JiraClient} over Jira Cloud REST v3. */
export class HttpJiraClient implements JiraClient, JiraDirectory, JiraProbe {
  /** Jira Cloud (REST v3, ADF bodies). */
  readonly deployment = "cloud" as const;
  readonly #base: string;
  readonly #logger?: Logger;
  readonly #pageSize: number;
  readonly #customFields: string[];
  readonly #now: () => number;
  readonly #gate: PerIssueWriteGate;
  /** The retrying transport, shared with the Data Center client. */
  readonly #http: JiraHttp;

  /** A client for one Jira site and account; see {@link HttpJiraClientOptions}. */
  constructor(options: HttpJiraClientOptions) {
    this.#base = options.baseUrl.replace(/\/+$/, "");
    const credentials = btoa(
      String.fromCharCode(...new TextEncoder().encode(`${options.email}:${options.apiToken}`)),
    );
    this.#logger = options.logger;
    this.#pageSize = Math.max(1, options.commentPageSize ?? 100);
    this.#customFields = options.customFields ?? [];
    this.#now = options.now ?? Date.now;
    this.#gate = new PerIssueWriteGate(
      options.perIssueWriteSpacingMs ?? 500,
      this.#now,
      options.sleep ?? defaultSleep,
    );
    this.#http = new JiraHttp({
      baseUrl: options.baseUrl,
      authorization: `Basic ${credentials}`,
      secrets: [options.apiToken, credentials],
      hintFor,
      requestedWait,
      fetch: options.fetch,
      logger: options.logger,
      maxRetries: options.maxRetries,
      initialDelayMs: options.initialDelayMs,
      maxDelayMs: options.maxDelayMs,
      maxRetryAfterMs: options.maxRetryAfterMs,
      requestTimeoutMs: options.requestTimeoutMs,
      sleep: options.sleep,
      now: options.now,
      random: options.random,
    });
  }

  /** {@inheritDoc JiraClient.getIssue} */
  async getIssue(key: string): Promise<JiraIssue> {
    const json = await this.#http.json({
      operation: "getIssue",
      description: `get issue ${key}`,
      issueKey: key,
      method: "GET",
      path: `/rest/api/3/issue/${encodeURIComponent(key)}`,
      query: { fields: [...ISSUE_FIELDS, ...this.#customFields].join(",") },
      idempotent: true,
    });
    return toIssue(json, this.#customFields);
  }

  /** {@inheritDoc JiraClient.listComments} */
  async listComments(key: string): Promise<JiraComment[]> {
    const byId = new Map<string, JiraComment>();
    let startAt = 0;
    for (let page = 0; page < 10_000; page++) {
      const json = await this.#http.json({
        operation: "listComments",
        description: `list comments of ${key} (from ${startAt})`,
        issueKey: key,
        method: "GET",
        path: `/rest/api/3/issue/${encodeURIComponent(key)}/comment`,
        query: { startAt: String(startAt), maxResults: String(this.#pageSize), orderBy: "created" },
        idempotent: true,
      }) as Record<string, unknown>;
      const comments = Array.isArray(json?.comments) ? json.comments : [];
      for (const raw of comments) {
        const comment = toComment(raw);
        if (comment.id && !byId.has(comment.id)) byId.set(comment.id, comment);
      }
      startAt = (typeof json?.startAt === "number" ? json.startAt : startAt) + comments.length;
      const total = typeof json?.total === "number" ? json.total : startAt;
      if (comments.length === 0 || startAt >= total) break;
    }
    return [...byId.values()].sort((a, b) => a.created.localeCompare(b.created));
  }

  /** {@inheritDoc JiraClient.addComment} */
  async addComment(key: string, markdown: string): Promise<{ id: string }> {
    const operation = "addComment";
    const description = `add comment to ${key}`;
    if (markdown.trim() === "") {
      throw new JiraError(`Jira ${description} refused: the comment is empty`, {
        operation,
        status: null,
        kind: "permanent",
        issueKey: key,
      });
    }
    // Jira refuses a comment over its limit: shorten it in the middle instead.
    const { adf: body, shortened } = fitComment(markdown);
    if (shortened) {
      this.#logger?.warn("jira comment shortened to fit the size limit", {
        issueKey: key,
        characters: markdown.length,
      });
    }
    const problems = validateAdf(body);
    if (problems.length > 0) {
      throw new JiraError(
        `Jira ${description} refused: the comment is not valid ADF (${
          problems.slice(0, 3).join("; ")
        })`,
        { operation, status: null, kind: "permanent", issueKey: key },
      );
    }
    return await this.#gate.run(key, async () => {
      const json = await this.#http.json({
        operation,
        description,
        issueKey: key,
        method: "POST",
        path: `/rest/api/3/issue/${encodeURIComponent(key)}/comment`,
        body: { body },
        idempotent: false,
      }) as Record<string, unknown>;
      return { id: String(json?.id ?? "") };
    });
  }

  /** {@inheritDoc JiraClient.listTransitions} */
  async listTransitions(key: string): Promise<JiraTransition[]> {
    const json = await this.#http.json({
      operation: "listTransitions",
      description: `list transitions of ${key}`,
      issueKey: key,
      method: "GET",
      path: `/rest/api/3/issue/${encodeURIComponent(key)}/transitions`,
      // The screens' fields: a transition that requires some answers 400 without them.
      query: { expand: "transitions.fields" },
      idempotent: true,
    }) as Record<string, unknown>;
    const list = Array.isArray(json?.transitions) ? json.transitions : [];
    return list.map(toTransition).filter((t) => t.id !== "");
  }

  /** {@inheritDoc JiraClient.transition} */
  async transition(
    key: string,
    transitionId: string,
    fields?: Record<string, unknown>,
  ): Promise<void> {
    const withFields = fields !== undefined && Object.keys(fields).length > 0;
    await this.#gate.run(key, () =>
      this.#http.json({
        operation: "transition",
        description: `transition ${key} (transition ${transitionId})`,
        issueKey: key,
        method: "POST",
        path: `/rest/api/3/issue/${encodeURIComponent(key)}/transitions`,
        body: withFields
          ? { transition: { id: transitionId }, fields }
          : { transition: { id: transitionId } },
        idempotent: false,
      }));
  }

  /** {@inheritDoc JiraClient.assign} */
  async assign(key: string, accountId: string | null): Promise<void> {
    await this.#gate.run(key, () =>
      this.#http.json({
        operation: "assign",
        description: `assign ${key} to ${accountId ?? "nobody"}`,
        issueKey: key,
        method: "PUT",
        path: `/rest/api/3/issue/${encodeURIComponent(key)}/assignee`,
        body: { accountId },
        idempotent: true,
      }));
  }

  /** {@inheritDoc JiraClient.myself} */
  /** {@inheritDoc JiraDirectory.userGroups} */
  async userGroups(accountId: string): Promise<string[]> {
    const json = await this.#http.json({
      operation: "userGroups",
      description: "list the groups of a user",
      method: "GET",
      path: "/rest/api/3/user/groups",
      query: { accountId },
      idempotent: true,
    });
    if (!Array.isArray(json)) {
      throw new JiraError("Jira list the groups of a user failed: the answer is not a list", {
        operation: "userGroups",
        status: 200,
        kind: "permanent",
      });
    }
    return json.flatMap((g) =>
      typeof g === "object" && g !== null && typeof (g as { name?: unknown }).name === "string"
        ? [(g as { name: string }).name]
        : []
    );
  }

  async myself(): Promise<JiraUser> {
    const json = await this.#http.json({
      operation: "myself",
      description: "get the current user (myself)",
      method: "GET",
      path: "/rest/api/3/myself",
      idempotent: true,
    });
    const user = toUser(json);
    if (!user) {
      throw new JiraError("Jira get the current user (myself) failed: no accountId in the answer", {
        operation: "myself",
        status: 200,
        kind: "permanent",
      });
    }
    return user;
  }

  /** {@inheritDoc JiraClient.attachmentContent} */
  async attachmentContent(id: string, maxBytes: number): Promise<JiraAttachmentContent> {
    const call: Call = {
      operation: "attachmentContent",
      description: `download attachment ${id}`,
      method: "GET",
      path: `/rest/api/3/attachment/content/${encodeURIComponent(id)}`,
      idempotent: true,
    };
    if (!/^\d{1,20}$/.test(id)) {
      throw new JiraError(`Jira ${call.description} refused: not an attachment id`, {
        operation: call.operation,
        status: null,
        kind: "permanent",
      });
    }
    const http = this.#http;
    for (let attempt = 0;; attempt++) {
      let response: Response;
      try {
        response = await this.#followRedirects(http.url(call));
      } catch (error) {
        if (error instanceof JiraError) throw error;
        if (attempt < http.maxRetries) {
          await http.wait(call, attempt, null, undefined);
          continue;
        }
        throw http.networkError(call, error, attempt, false);
      }
      if (response.ok) {
        const type = (response.headers.get("content-type") ?? "").split(";")[0].trim();
        const { bytes, truncated } = await readBounded(response, Math.max(0, maxBytes));
        return { bytes, mimeType: type || "application/octet-stream", truncated };
      }
      const text = await response.text().catch(() => "");
      const messages = jiraMessagesOf(text).map((m) => http.scrubber.scrub(m));
      if (!isTransientStatus(response.status)) throw http.statusError(call, response, messages);
      const asked = requestedWait(response.status, response.headers, this.#now());
      if (attempt < http.maxRetries && !(asked !== undefined && asked > http.maxRetryAfterMs)) {
        await http.wait(call, attempt, response.status, asked);
        continue;
      }
      throw http.statusError(call, response, messages, {
        attempts: attempt + 1,
        retryAfterMs: asked,
        ambiguous: false,
      });
    }
  }

  /**
   * GETs a URL, following at most {@link MAX_REDIRECTS} redirects by hand:
   * Jira answers an attachment with 303 to its media store, whose URL carries
   * its own short-lived token. The Basic credentials go only to Jira's own
   * origin, never to wherever a `Location` points.
   */
  async #followRedirects(start: string): Promise<Response> {
    const origin = new URL(this.#base).origin;
    let url = start;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const target = new URL(url);
      const headers: Record<string, string> = { Accept: "*/*" };
      if (target.origin === origin) headers.Authorization = this.#http.authorization;
      const response = await this.#http.fetch(url, {
        method: "GET",
        headers,
        redirect: "manual",
        signal: AbortSignal.timeout(this.#http.timeoutMs),
      });
      if (![301, 302, 303, 307, 308].includes(response.status)) return response;
      await response.body?.cancel();
      const location = response.headers.get("location");
      const next = location ? URL.parse(location, url) : null;
      if (!next || (next.protocol !== "https:" && next.protocol !== "http:")) break;
      // Never from https down to http.
      if (target.protocol === "https:" && next.protocol === "http:") break;
      url = next.href;
    }
    throw new JiraError("Jira download attachment failed: too many or unsafe redirects", {
      operation: "attachmentContent",
      status: null,
      kind: "permanent",
    });
  }

  /** {@inheritDoc JiraClient.briefIssues} */
  async briefIssues(keys: readonly string[], descriptionChars = 600): Promise<JiraIssueBrief[]> {
    let wanted = [...new Set(keys.map((k) => k.trim().toUpperCase()))]
      .filter((k) => ISSUE_KEY.test(k)).slice(0, MAX_BRIEF_ISSUES);
    // JQL names each key: Jira answers 400 for one it cannot find (deleted, or
    // invisible to this account). Drop the keys it names and ask again.
    for (let round = 0; round < 3 && wanted.length > 0; round++) {
      try {
        const json = await this.#http.json({
          operation: "briefIssues",
          description: `search ${wanted.length} related issue(s)`,
          method: "POST",
          path: "/rest/api/3/search/jql",
          body: {
            jql: `key in (${wanted.join(", ")})`,
            fields: [...BRIEF_FIELDS],
            maxResults: MAX_BRIEF_ISSUES,
          },
          idempotent: true,
        }) as Record<string, unknown>;
        const issues = Array.isArray(json?.issues) ? json.issues : [];
        const briefs = issues.map((raw) => toIssueBrief(raw, descriptionChars))
          .filter((b): b is JiraIssueBrief => b !== null);
        const order = new Map(wanted.map((k, i) => [k, i]));
        return briefs.filter((b) => order.has(b.key))
          .sort((a, b) => order.get(a.key)! - order.get(b.key)!);
      } catch (error) {
        if (!(error instanceof JiraError) || error.status !== 400) throw error;
        const missing = new Set(
          error.jiraMessages.flatMap((m) => [...m.matchAll(/'([A-Z][A-Z0-9_]*-\d+)'/g)])
            .map((m) => m[1]),
        );
        const left = wanted.filter((k) => !missing.has(k));
        if (left.length === wanted.length) throw error;
        wanted = left;
      }
    }
    return [];
  }
}
