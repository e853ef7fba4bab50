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
import { secretMatcher, sha256Hex } from "../crypto.ts";
import { HttpError } from "../errors.ts";
import { parseJsonBody } from "../json_body.ts";
import { parseJiraBody } from "./parse.ts";

/** Header carrying the shared secret of the Jira rule. */
export const JIRA_SECRET_HEADER = "x-jira-webhook-secret";
/** Optional header carrying the caller's idempotency key. */
export const IDEMPOTENCY_HEADER = "x-idempotency-key";

const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** Refuses a request without the right `X-Jira-Webhook-Secret` (401, nothing echoed). */
export function jiraSecret(secret: string): MiddlewareHandler<IntakeEnv> {
  const matches = secretMatcher(secret);
  return async (c, next) => {
    if (!matches(c.req.header(JIRA_SECRET_HEADER))) {
      throw new HttpError(
        401,
        "unauthorized",
        "missing or wrong X-Jira-Webhook-Secret header",
      );
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

    if (request.assigneeAccountId !== undefined && request.assigneeAccountId !== deps.aiAccountId) {
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
