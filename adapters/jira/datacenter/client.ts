/**
 * The Jira Data Center / Server adapter: {@link JiraClient} over REST v2
 * (`/rest/api/2`) with a personal access token (`Authorization: Bearer`) or,
 * for Server installs without PATs, Basic auth; bodies in wiki markup
 * (Markdown → wiki markup on the way out, wiki markup → text on the way in);
 * users by username (`name`), carried in the port's `JiraUser.accountId`;
 * assignment as `{"name": …}`.
 *
 * Retries follow the Cloud client's policy (see {@link DcHttp}); writes to one
 * issue are serialized and spaced by the same {@link PerIssueWriteGate}.
 *
 * @module
 */
import type { JiraProbe } from "../../../domain/ports/probes.ts";
import {
  type JiraAttachmentContent,
  type JiraClient,
  type JiraComment,
  type JiraDeployment,
  type JiraDirectory,
  JiraError,
  type JiraIssue,
  type JiraIssueBrief,
  type JiraTransition,
  type JiraUser,
} from "../../../domain/ports/jira.ts";
import type { Logger } from "../../../domain/ports/logger.ts";
import { PerIssueWriteGate } from "../write_gate.ts";
import { type DcAuth, type DcCall, DcHttp } from "./http.ts";
import {
  DC_ISSUE_FIELDS,
  type DcAttachment,
  type DcIssueLink,
  toDcAttachments,
  toDcComment,
  toDcIssue,
  toDcIssueLinks,
  toDcTransition,
  toDcUser,
} from "./mapping.ts";
import { markdownToWiki } from "./markdown_to_wiki.ts";
import { wikiToText } from "./wiki_to_text.ts";
import { toIssueRef } from "../mapping.ts";

/** Jira's limit on a comment body (characters). */
export const DC_COMMENT_LIMIT = 32_767;

/** Options of {@link DataCenterJiraClient}. */
export interface DataCenterJiraClientOptions {
  /** Base URL with any context path, e.g. `https://jira.example.com` or `https://host/jira`. */
  baseUrl: string;
  auth: DcAuth;
  fetch?: typeof fetch;
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
  /** Custom field ids to read into `JiraIssue.customFields`. */
  customFields?: string[];
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  random?: () => number;
}

/** What `/rest/api/2/serverInfo` says about the site. */
export interface DcServerInfo {
  /** `Server` on Data Center and Server, `Cloud` on Jira Cloud. */
  deploymentType: string;
  version: string;
  baseUrl: string;
  serverTitle: string;
}

/** {@link JiraClient} over Jira Data Center / Server REST v2. */
export class DataCenterJiraClient implements JiraClient, JiraDirectory, JiraProbe {
  /** {@inheritDoc JiraClient.deployment} */
  readonly deployment: JiraDeployment = "datacenter";
  readonly #http: DcHttp;
  readonly #gate: PerIssueWriteGate;
  readonly #pageSize: number;
  readonly #customFields: string[];

  /** A client for one Jira site and account. */
  constructor(options: DataCenterJiraClientOptions) {
    this.#http = new DcHttp(options);
    this.#gate = new PerIssueWriteGate(
      options.perIssueWriteSpacingMs ?? 500,
      this.#http.now,
      this.#http.sleep,
    );
    this.#pageSize = Math.max(1, options.commentPageSize ?? 100);
    this.#customFields = options.customFields ?? [];
  }

  #issuePath(key: string, tail = ""): string {
    return `/rest/api/2/issue/${encodeURIComponent(key)}${tail}`;
  }

  /** {@inheritDoc JiraClient.getIssue} */
  async getIssue(key: string): Promise<JiraIssue> {
    const json = await this.#http.json({
      operation: "getIssue",
      description: `get issue ${key}`,
      issueKey: key,
      method: "GET",
      path: this.#issuePath(key),
      query: { fields: [...DC_ISSUE_FIELDS, ...this.#customFields].join(",") },
      idempotent: true,
    });
    return toDcIssue(json, this.#customFields);
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
        path: this.#issuePath(key, "/comment"),
        query: { startAt: String(startAt), maxResults: String(this.#pageSize), orderBy: "created" },
        idempotent: true,
      }) as Record<string, unknown> | undefined;
      const comments = Array.isArray(json?.comments) ? json.comments : [];
      for (const raw of comments) {
        const comment = toDcComment(raw);
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
    const body = markdownToWiki(markdown);
    const refuse = (why: string) =>
      new JiraError(`Jira ${description} refused: ${why}`, {
        operation,
        status: null,
        kind: "permanent",
        issueKey: key,
      });
    if (body.trim() === "") throw refuse("the comment is empty");
    if (body.length > DC_COMMENT_LIMIT) {
      throw refuse(`the comment is ${body.length} characters, over Jira's ${DC_COMMENT_LIMIT}`);
    }
    return await this.#gate.run(key, async () => {
      const json = await this.#http.json({
        operation,
        description,
        issueKey: key,
        method: "POST",
        path: this.#issuePath(key, "/comment"),
        body: { body },
        idempotent: false,
      }) as Record<string, unknown> | undefined;
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
      path: this.#issuePath(key, "/transitions"),
      query: { expand: "transitions.fields" },
      idempotent: true,
    }) as Record<string, unknown> | undefined;
    const list = Array.isArray(json?.transitions) ? json.transitions : [];
    return list.map(toDcTransition).filter((t) => t.id !== "");
  }

  /** {@inheritDoc JiraClient.transition} */
  async transition(
    key: string,
    transitionId: string,
    fields?: Record<string, unknown>,
  ): Promise<void> {
    const body: Record<string, unknown> = { transition: { id: transitionId } };
    if (fields && Object.keys(fields).length > 0) body.fields = fields;
    await this.#gate.run(key, () =>
      this.#http.json({
        operation: "transition",
        description: `transition ${key} (transition ${transitionId})`,
        issueKey: key,
        method: "POST",
        path: this.#issuePath(key, "/transitions"),
        body,
        idempotent: false,
      }));
  }

  /**
   * {@inheritDoc JiraClient.assign}
   * On Data Center the account is a username: the body is `{"name": …}`.
   */
  async assign(key: string, accountId: string | null): Promise<void> {
    await this.#gate.run(key, () =>
      this.#http.json({
        operation: "assign",
        description: `assign ${key} to ${accountId ?? "nobody"}`,
        issueKey: key,
        method: "PUT",
        path: this.#issuePath(key, "/assignee"),
        body: { name: accountId },
        idempotent: true,
      }));
  }

  /** {@inheritDoc JiraClient.myself} */
  async myself(): Promise<JiraUser> {
    const json = await this.#http.json({
      operation: "myself",
      description: "get the current user (myself)",
      method: "GET",
      path: "/rest/api/2/myself",
      idempotent: true,
    });
    const user = toDcUser(json);
    if (!user) {
      throw new JiraError("Jira get the current user (myself) failed: no name in the answer", {
        operation: "myself",
        status: 200,
        kind: "permanent",
      });
    }
    return user;
  }

  /**
   * {@inheritDoc JiraClient.attachmentContent}: the attachment's metadata
   * (`/rest/api/2/attachment/{id}`), then its content from this site only.
   */
  async attachmentContent(id: string, maxBytes: number): Promise<JiraAttachmentContent> {
    const meta = await this.#http.json({
      operation: "attachmentContent",
      description: `read attachment ${id}`,
      method: "GET",
      path: `/rest/api/2/attachment/${encodeURIComponent(id)}`,
      idempotent: true,
    }) as { content?: unknown; size?: unknown; mimeType?: unknown; filename?: unknown };
    const size = typeof meta?.size === "number" ? meta.size : 0;
    const mimeType = typeof meta?.mimeType === "string"
      ? meta.mimeType
      : "application/octet-stream";
    const bytes = await this.downloadAttachment({
      id,
      filename: typeof meta?.filename === "string" ? meta.filename : id,
      mimeType,
      size: Math.min(size, maxBytes),
      contentUrl: typeof meta?.content === "string" ? meta.content : "",
      author: null,
      created: "",
    }, maxBytes);
    return { bytes: bytes.slice(0, maxBytes), mimeType, truncated: size > maxBytes };
  }

  /** {@inheritDoc JiraClient.briefIssues}: one v2 search, `key in (…)`. */
  async briefIssues(keys: readonly string[], descriptionChars = 600): Promise<JiraIssueBrief[]> {
    const wanted = [...new Set(keys.map((k) => k.trim().toUpperCase()))]
      .filter((k) => /^[A-Z][A-Z0-9_]{0,49}-[1-9][0-9]{0,14}$/.test(k)).slice(0, 50);
    if (wanted.length === 0) return [];
    const json = await this.#http.json({
      operation: "briefIssues",
      description: `search ${wanted.length} related issue(s)`,
      method: "POST",
      path: "/rest/api/2/search",
      body: {
        jql: `key in (${wanted.join(", ")})`,
        fields: ["summary", "status", "issuetype", "description"],
        maxResults: 50,
        validateQuery: "warn",
      },
      idempotent: true,
    }) as { issues?: unknown[] };
    return (json?.issues ?? []).flatMap((raw) => {
      const ref = toIssueRef(raw);
      if (!ref) return [];
      const fields = (raw as { fields?: { description?: unknown } }).fields;
      const text = wikiToText(fields?.description ?? "").trim();
      const description = text.length > descriptionChars
        ? `${text.slice(0, Math.max(0, descriptionChars - 1))}…`
        : text;
      return [{ ...ref, description }];
    });
  }

  /** {@inheritDoc JiraDirectory.userGroups} (the account is the DC username). */
  async userGroups(username: string): Promise<string[]> {
    const json = await this.#http.json({
      operation: "userGroups",
      description: "get a user's groups",
      method: "GET",
      path: `/rest/api/2/user?username=${encodeURIComponent(username)}&expand=groups`,
      idempotent: true,
    }) as { groups?: { items?: { name?: unknown }[] } };
    return (json?.groups?.items ?? []).flatMap((g) => typeof g.name === "string" ? [g.name] : []);
  }

  /** The issue's attachments (`fields.attachment`), newest last. */
  async listAttachments(key: string): Promise<DcAttachment[]> {
    const json = await this.#http.json(this.#fieldsCall(key, "listAttachments", "attachment"));
    return toDcAttachments((json as { fields?: { attachment?: unknown } })?.fields?.attachment);
  }

  /** The issue's links to other issues (`fields.issuelinks`). */
  async listIssueLinks(key: string): Promise<DcIssueLink[]> {
    const json = await this.#http.json(this.#fieldsCall(key, "listIssueLinks", "issuelinks"));
    return toDcIssueLinks((json as { fields?: { issuelinks?: unknown } })?.fields?.issuelinks);
  }

  /**
   * An attachment's bytes, at most `maxBytes` (default 10 MiB). Only URLs on
   * the configured site are fetched: the credentials never go anywhere else,
   * whatever URL an answer names.
   */
  async downloadAttachment(attachment: DcAttachment, maxBytes = 10 << 20): Promise<Uint8Array> {
    const operation = "downloadAttachment";
    const description = `download attachment ${attachment.id}`;
    let url: URL;
    try {
      url = new URL(attachment.contentUrl);
    } catch {
      throw new JiraError(`Jira ${description} refused: no valid content URL`, {
        operation,
        status: null,
        kind: "permanent",
      });
    }
    const site = new URL(this.#http.base);
    if (url.origin !== site.origin || !url.pathname.startsWith(site.pathname.replace(/\/$/, ""))) {
      throw new JiraError(
        `Jira ${description} refused: its URL is not on ${site.origin} (the credentials stay home)`,
        { operation, status: null, kind: "permanent" },
      );
    }
    if (attachment.size > maxBytes) {
      throw new JiraError(
        `Jira ${description} refused: ${attachment.size} bytes is over the ${maxBytes} limit`,
        { operation, status: null, kind: "permanent" },
      );
    }
    const response = await this.#http.send(
      { operation, description, method: "GET", path: url.href, idempotent: true },
      "*/*",
    );
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.length > maxBytes) {
      throw new JiraError(`Jira ${description} refused: the download is over ${maxBytes} bytes`, {
        operation,
        status: response.status,
        kind: "permanent",
      });
    }
    return bytes;
  }

  /** What the site says it is (`GET /rest/api/2/serverInfo`, readable without login). */
  async serverInfo(): Promise<DcServerInfo> {
    const json = await this.#http.json({
      operation: "serverInfo",
      description: "get the server info",
      method: "GET",
      path: "/rest/api/2/serverInfo",
      idempotent: true,
    }) as Record<string, unknown> | undefined;
    const s = (v: unknown) => (typeof v === "string" ? v : "");
    return {
      deploymentType: s(json?.deploymentType),
      version: s(json?.version),
      baseUrl: s(json?.baseUrl),
      serverTitle: s(json?.serverTitle),
    };
  }

  #fieldsCall(key: string, operation: string, field: string): DcCall {
    return {
      operation,
      description: `get the ${field} of ${key}`,
      issueKey: key,
      method: "GET",
      path: this.#issuePath(key),
      query: { fields: field },
      idempotent: true,
    };
  }
}
