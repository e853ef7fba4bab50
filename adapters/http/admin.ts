/**
 * The admin routes, behind `DASHBOARD_TOKEN` as a bearer token:
 * `POST /admin/issues/:key/cancel` (body `{"reason": "…"}`, optional) cancels
 * the issue's active or queued run, as `deno task cancel` does.
 *
 * @module
 */
import { Hono } from "hono";
import { ISSUE_KEY_PATTERN } from "../../domain/events.ts";
import type { CancelOutcome } from "../../domain/workflow/cancel.ts";
import type { IntakeEnv } from "./context.ts";
import { DashboardAuth } from "./dashboard/auth.ts";
import { errorResponse } from "./errors.ts";

/** What the admin routes do; absent: the routes answer 503. */
export interface AdminActions {
  cancel(issueKey: string, reason: string, actor: string): Promise<CancelOutcome>;
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
  return app;
}
