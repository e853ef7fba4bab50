/**
 * The admin routes, behind `DASHBOARD_TOKEN` as a bearer token:
 * `POST /admin/issues/:key/cancel` (body `{"reason": "…"}`, optional) cancels
 * the issue's active or queued run, as `deno task cancel` does;
 * `POST /admin/issues/:key/retry` (body `{"runId": "…"}`, optional) retries its
 * latest run when it failed or its Jira hand-over failed, as `deno task retry`.
 *
 * @module
 */
import { Hono } from "hono";
import { ISSUE_KEY_PATTERN } from "../../domain/events.ts";
import type { CancelOutcome } from "../../domain/workflow/cancel.ts";
import type { RetryOutcome } from "../../domain/workflow/retry.ts";
import type { IntakeEnv } from "./context.ts";
import { DashboardAuth } from "./dashboard/auth.ts";
import { errorResponse } from "./errors.ts";

/** What the admin routes do; absent: the routes answer 503. */
export interface AdminActions {
  cancel(issueKey: string, reason: string, actor: string): Promise<CancelOutcome>;
  /** Retries the issue's latest (or the named) run; absent: the route answers 503. */
  retry?(issueKey: string, runId: string | undefined, actor: string): Promise<RetryOutcome>;
}

/** The admin routes. */
export function adminRoutes(token: string | undefined, actions: AdminActions | undefined) {
  const app = new Hono<IntakeEnv>();
  const auth = token ? new DashboardAuth(token) : null;
  app.post("/admin/issues/:key/cancel", async (c) => {
    if (!auth || !auth.bearerMatches(c.req.header("authorization"))) {
      return errorResponse(c, 401, "unauthorized", "send Authorization: Bearer <DASHBOARD_TOKEN>");
    }
    if (!actions) {
      return errorResponse(
        c,
        503,
        "not_configured",
        "cancelling needs Jira configured on this server (JIRA_BASE_URL, JIRA_EMAIL, JIRA_API_TOKEN)",
      );
    }
    const key = c.req.param("key");
    if (!ISSUE_KEY_PATTERN.test(key)) {
      return errorResponse(c, 400, "invalid_issue_key", "not a Jira issue key like ABC-123");
    }
    let reason = "cancelled by an operator";
    const text = await c.req.text();
    if (text.trim()) {
      try {
        const body = JSON.parse(text);
        if (typeof body?.reason === "string" && body.reason.trim()) {
          reason = body.reason.trim().slice(0, 500);
        }
      } catch {
        return errorResponse(c, 400, "invalid_json", 'the body must be JSON like {"reason": "…"}');
      }
    }
    const outcome = await actions.cancel(key, reason, "admin:dashboard-token");
    if (!outcome.ok) return errorResponse(c, 409, "nothing_to_cancel", outcome.reason);
    return c.json({ status: "cancelled", runId: outcome.runId, commentId: outcome.commentId }, 200);
  });
  app.post("/admin/issues/:key/retry", async (c) => {
    if (!auth || !auth.bearerMatches(c.req.header("authorization"))) {
      return errorResponse(c, 401, "unauthorized", "send Authorization: Bearer <DASHBOARD_TOKEN>");
    }
    if (!actions?.retry) {
      return errorResponse(c, 503, "not_configured", "retrying is not available on this server");
    }
    const key = c.req.param("key");
    if (!ISSUE_KEY_PATTERN.test(key)) {
      return errorResponse(c, 400, "invalid_issue_key", "not a Jira issue key like ABC-123");
    }
    let runId: string | undefined;
    const text = await c.req.text();
    if (text.trim()) {
      try {
        const body = JSON.parse(text);
        if (typeof body?.runId === "string" && /^[A-Za-z0-9-]{1,100}$/.test(body.runId)) {
          runId = body.runId;
        }
      } catch {
        return errorResponse(c, 400, "invalid_json", 'the body must be JSON like {"runId": "…"}');
      }
    }
    const outcome = await actions.retry(key, runId, "admin:dashboard-token");
    if (!outcome.ok) return errorResponse(c, 409, "not_retryable", outcome.reason);
    return c.json({ status: "queued", runId: outcome.runId, retryOf: outcome.retryOf }, 200);
  });
  return app;
}
