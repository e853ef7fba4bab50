/**
 * `POST /jira/webhook`: Jira Automation asks for a run. The secret header is
 * checked first (constant time), then the body is read, validated and turned
 * into a `RequestRun` command for the issue's stream. The answer is sent only
 * after the append is durable, so an acknowledged request is never lost.
 *
 * Recommended rule (trigger: "Assignee changed" to the AI Runner user; action:
 * "Send web request", POST, header `X-Jira-Webhook-Secret`, body "Custom data"):
 *
 * ```json
 * {"issueKey": {{issue.key.asJsonString}}, "updated": {{issue.updated.asJsonString}}}
 * ```
 *
 * The delivery key is the `X-Idempotency-Key` header when present, else the
 * sha256 of the raw body: with `updated` in the body, a rule re-run for the
 * same assignment is a duplicate while a later re-assignment is a new request.
 *
 * Jira Data Center's native webhooks cannot send custom headers; when given a
 * secret they sign the body instead (`X-Hub-Signature: sha256=<HMAC-SHA256 of
 * the raw body>`). A request without the secret header is accepted when it
 * carries that signature under the same `JIRA_WEBHOOK_SECRET`; it is checked
 * (constant time) before the body is read for anything else.
 * With `JIRA_REQUESTER_ACCOUNT_IDS` set, a request from anybody else (or one
 * that does not say who asked) queues no work: the refusal is recorded
 * (`RunRequestRefused`) with a notice run that tells them on Jira, and the
 * answer is 200 `{"status": "refused"}`.
 *
 * @module
 */
import type { Handler, MiddlewareHandler } from "hono";
import {
  type CommandContext,
  handleCommand,
  requestOutcome,
} from "../../../domain/command_handler.ts";
import { EventSchemaError } from "../../../domain/events.ts";
import type { Logger } from "../../../domain/ports/logger.ts";
import {
  needsGroupLookup,
  type RequesterPolicy,
  type RequesterVerdict,
  requesterVerdict,
} from "../../../domain/trust.ts";
import type { EventStore } from "../../../domain/ports/event_store.ts";
import type { IntakeEnv } from "../context.ts";
import { githubSignatureMatches, secretMatcher, sha256Hex } from "../crypto.ts";
import { HttpError } from "../errors.ts";
import { parseJsonBody } from "../json_body.ts";
import { parseJiraBody } from "./parse.ts";

/** Header carrying the shared secret of the Jira rule. */
export const JIRA_SECRET_HEADER = "x-jira-webhook-secret";
/** Header carrying the HMAC-SHA256 signature of a native Jira Data Center webhook. */
export const JIRA_SIGNATURE_HEADER = "x-hub-signature";
/** Optional header carrying the caller's idempotency key. */
export const IDEMPOTENCY_HEADER = "x-idempotency-key";

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

const UNAUTHORIZED = "missing or wrong X-Jira-Webhook-Secret header (or X-Hub-Signature)";

/**
 * Refuses a request without the right `X-Jira-Webhook-Secret` (401, nothing
 * echoed). A request carrying `X-Hub-Signature` instead goes on to have its
 * signature checked over the raw body ({@link jiraSignature}).
 */
export function jiraSecret(secret: string): MiddlewareHandler<IntakeEnv> {
  const matches = secretMatcher(secret);
  return async (c, next) => {
    const header = c.req.header(JIRA_SECRET_HEADER);
    const signature = c.req.header(JIRA_SIGNATURE_HEADER);
    if (header === undefined && signature !== undefined && secret) {
      c.set("jiraSignature", signature);
    } else if (!matches(header)) {
      throw new HttpError(401, "unauthorized", UNAUTHORIZED);
    }
    await next();
  };
}

/** Checks a deferred `X-Hub-Signature` over the raw body (401 when it does not match). */
export function jiraSignature(secret: string): MiddlewareHandler<IntakeEnv> {
  return async (c, next) => {
    const signature = c.get("jiraSignature");
    if (signature !== undefined && !githubSignatureMatches(secret, c.get("rawBody"), signature)) {
      throw new HttpError(401, "unauthorized", UNAUTHORIZED);
    }
    await next();
  };
}

/**
 * The delivery key of a Jira request: `jira:key:<X-Idempotency-Key>` or
 * `jira:sha256:<hex of the raw body>`. Throws 400 for a malformed header.
 */
export function jiraDeliveryKey(header: string | undefined, rawBody: Uint8Array): string {
  if (header === undefined) return `jira:sha256:${sha256Hex(rawBody)}`;
  if (!IDEMPOTENCY_KEY.test(header)) {
    throw new HttpError(
      400,
      "invalid_idempotency_key",
      "X-Idempotency-Key must be 1 to 128 characters of A-Z a-z 0-9 . _ : @ / + = -",
    );
  }
  return `jira:key:${header}`;
}

/** What the Jira handler needs. */
export interface JiraRouteDeps {
  store: EventStore;
  aiAccountId: string;
  now: () => Date;
  newRunId: () => string;
  /** Who may ask for work; absent: anybody. */
  requesters?: RequesterPolicy | null;
  /**
   * The requester's Jira groups, with `JIRA_REQUESTER_GROUPS` (null: the lookup
   * failed); see `requester_groups.ts`.
   */
  groupsOf?: (accountId: string) => Promise<string[] | null>;
  logger?: Logger;
}

/** The handler of `POST /jira/webhook` (after secret, content type and body middlewares). */
export function jiraWebhook(deps: JiraRouteDeps): Handler<IntakeEnv> {
  return async (c) => {
    const raw = c.get("rawBody");
    const parsed = parseJiraBody(parseJsonBody(raw));
    if (!parsed.ok) throw new HttpError(400, parsed.code, parsed.detail);
    const request = parsed.value;
    const deliveryId = jiraDeliveryKey(c.req.header(IDEMPOTENCY_HEADER), raw);
    c.set("deliveryId", deliveryId);

    if (request.ignoreReason !== undefined) {
      return c.json({ status: "ignored", reason: request.ignoreReason }, 202);
    }
    const isAi = request.assigneeAccountId === deps.aiAccountId ||
      (request.assigneeAliases ?? []).includes(deps.aiAccountId);
    if (request.assigneeAccountId !== undefined && !isAi) {
      const reason = request.assigneeAccountId === null
        ? `${request.issueKey} is unassigned; only issues assigned to the AI Runner user start a run`
        : `${request.issueKey} is assigned to someone else; only issues assigned to the AI Runner user start a run`;
      return c.json({ status: "ignored", reason }, 202);
    }

    const accountId = request.requester?.accountId;
    const ctx: CommandContext = {
      actor: accountId ? `jira:${accountId}` : "jira:automation",
      causationId: deliveryId,
      deliveryId,
    };
    let verdict: RequesterVerdict | { allowed: true; basis?: undefined } = { allowed: true };
    if (deps.requesters) {
      const policy = deps.requesters;
      const groups = needsGroupLookup(request.requester, policy)
        ? (deps.groupsOf ? await deps.groupsOf(request.requester!.accountId!) : null)
        : undefined;
      verdict = requesterVerdict(request.requester, policy, groups);
    }
    if (!verdict.allowed) {
      deps.logger?.warn("run request refused", {
        issueKey: request.issueKey,
        deliveryId,
        requester: request.requester?.accountId ?? null,
        reason: verdict.reason,
      });
    }
    let result;
    try {
      result = await handleCommand(
        deps.store,
        request.issueKey,
        verdict.allowed
          ? {
            type: "RequestRun",
            issueKey: request.issueKey,
            runId: deps.newRunId(),
            deliveryId,
            source: "jira",
            requestedBy: request.requester,
            ...(verdict.basis ? { requesterBasis: verdict.basis } : {}),
            now: deps.now().toISOString(),
          }
          : {
            type: "RefuseRunRequest",
            issueKey: request.issueKey,
            runId: deps.newRunId(),
            deliveryId,
            requestedBy: request.requester,
            reason: verdict.reason,
            now: deps.now().toISOString(),
          },
        ctx,
      );
    } catch (e) {
      if (e instanceof EventSchemaError) throw new HttpError(400, "invalid_event", e.detail);
      throw e;
    }
    if (!result.ok) {
      if (result.error.kind === "too_much_contention") {
        throw new HttpError(503, "busy", "too many concurrent requests for this issue; retry", {
          "Retry-After": "1",
        });
      }
      throw new HttpError(409, result.error.code, result.error.message);
    }
    if (!verdict.allowed) {
      return c.json({
        status: result.events.length > 0 ? "refused" : "duplicate",
        reason: verdict.reason,
      }, 200);
    }
    return c.json(requestOutcome(result, deliveryId), 200);
  };
}
