/**
 * The read-only dashboard (`GET /` and below): overview, runs, run, run
 * transcript and issue pages, server-rendered from eta views, working without
 * JavaScript, behind `DASHBOARD_TOKEN` (bearer header or the login form's
 * session cookie). Without a token it is off and says so (503), never open.
 *
 * Every route carries its own guard (no wildcard middleware), so mounting it
 * on the intake app changes nothing for the webhook and operations routes.
 *
 * @module
 */
import { type Context, Hono, type MiddlewareHandler } from "hono";
import type { ArtifactStore, EventStore } from "../../../domain/ports/event_store.ts";
import type { Logger } from "../../../domain/ports/logger.ts";
import type { ReadModelStore } from "../../../domain/ports/read_models.ts";
import type { IntakeEnv } from "../context.ts";
import { bodyLimit } from "../middleware/body_limit.ts";
import { rateLimitKey } from "../middleware/rate_limit.ts";
import { requestTimeout } from "../middleware/request_timeout.ts";
import { TokenBuckets } from "../net/token_bucket.ts";
import {
  cookieValue,
  DashboardAuth,
  DEFAULT_SESSION_TTL_MS,
  safeNext,
  SESSION_COOKIE,
  sessionCookie,
} from "./auth.ts";
import {
  issuePage,
  messagePage,
  overviewPage,
  type PageDeps,
  progressRoute,
  runPage,
  runsPage,
  transcriptPage,
} from "./pages.ts";
import { retryIssueRun } from "../../../domain/workflow/retry.ts";
import { getRun, RunModels } from "./queries.ts";
import { htmlResponse, PAGE_HEADERS, Views } from "./views.ts";

/** What the dashboard shows beyond the read models; set by `main.ts`. */
export interface DashboardOptions {
  /** The Jira site (`JIRA_BASE_URL`), for links to issues and the runner's comments. */
  jiraBaseUrl?: string;
  /** Stored artifacts (validation logs, transcripts); without it those are not shown. */
  artifacts?: ArtifactStore;
  /** Runs per page of the runs list; default 25. */
  pageSize?: number;
  /** How long a login lasts; default 12 hours. */
  sessionTtlMs?: number;
}

/** Everything the dashboard is built from. */
export interface DashboardDeps extends DashboardOptions {
  store: EventStore & ReadModelStore;
  /** `DASHBOARD_TOKEN`; null or empty turns the dashboard off. */
  token: string | null;
  logger: Logger;
  now?: () => Date;
}

/** Login attempts and wrong bearer tokens per client: bursts of 10, then one per 5 s. */
const ATTEMPTS_PER_SECOND = 0.2;
const ATTEMPT_BURST = 10;
/** Largest login form accepted. */
const LOGIN_BODY_LIMIT = 4096;

type Ctx = Context<IntakeEnv>;

function redirect(location: string, headers: Record<string, string> = {}): Response {
  return new Response(null, {
    status: 303,
    headers: { ...PAGE_HEADERS, Location: location, ...headers },
  });
}

function isSecure(c: Ctx): boolean {
  const proto = c.req.header("x-forwarded-proto")?.split(",")[0].trim().toLowerCase();
  return new URL(c.req.url).protocol === "https:" || proto === "https";
}

function pathWithQuery(c: Ctx): string {
  const url = new URL(c.req.url);
  return url.pathname + url.search;
}

/** The dashboard's routes, to mount on the app at `/`. */
export function dashboardRoutes(deps: DashboardDeps): Hono<IntakeEnv> {
  const now = deps.now ?? (() => new Date());
  const views = new Views();
  const auth = deps.token
    ? new DashboardAuth(deps.token, deps.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS)
    : null;
  const attempts = new TokenBuckets(ATTEMPTS_PER_SECOND, ATTEMPT_BURST);
  const pages: PageDeps = {
    store: deps.store,
    artifacts: deps.artifacts ?? null,
    jiraBaseUrl: deps.jiraBaseUrl ?? null,
    now,
    views,
    models: new RunModels(deps.store),
    pageSize: deps.pageSize ?? 25,
  };
  if (!auth) deps.logger.warn("no DASHBOARD_TOKEN: the dashboard is off");

  const disabled = () =>
    messagePage(
      views,
      503,
      "Dashboard turned off",
      "The dashboard is off because no DASHBOARD_TOKEN is configured. Set DASHBOARD_TOKEN to a " +
        "long random value and restart the server.",
      false,
    );
  const tooMany = (retryAfterSeconds: number) =>
    messagePage(
      views,
      429,
      "Too many attempts",
      `Too many sign-in attempts from this address; try again in ${retryAfterSeconds} s.`,
      false,
      { "Retry-After": String(retryAfterSeconds) },
    );
  const signedIn = (c: Ctx) =>
    auth !== null && auth.sessionValid(cookieValue(c.req.header("cookie"), SESSION_COOKIE), now());

  /** Lets through a request with the token (bearer) or a session; else login or 401. */
  const viewer: MiddlewareHandler<IntakeEnv> = async (c, next) => {
    if (!auth) return disabled();
    const header = c.req.header("authorization");
    if (header !== undefined) {
      if (auth.bearerMatches(header)) return await next();
      const taken = attempts.take(rateLimitKey(c.get("client")), now().getTime());
      if (!taken.ok) return tooMany(taken.retryAfterSeconds);
      return messagePage(
        views,
        401,
        "Not signed in",
        "The Authorization header does not carry the dashboard token.",
        false,
        { "WWW-Authenticate": 'Bearer realm="AI Runner dashboard"' },
      );
    }
    if (signedIn(c)) return await next();
    return redirect(`/login?next=${encodeURIComponent(pathWithQuery(c))}`);
  };

  /** Renders a page; a failure is logged and shown as a plain 500 page. */
  const page = (render: (c: Ctx, deps: PageDeps) => Promise<Response>) => async (c: Ctx) => {
    try {
      return await render(c, pages);
    } catch (error) {
      const requestId = c.get("requestId");
      deps.logger.error("dashboard page failed", { requestId, route: c.req.path, error });
      return messagePage(
        views,
        500,
        "Something went wrong",
        `This page could not be shown; the server log has the details (request ${requestId}).`,
        true,
      );
    }
  };

  const loginForm = (next: string, error: string, status: 200 | 401 = 200) =>
    htmlResponse(
      views.page("login", { title: "Sign in", signedIn: false, next, error }),
      status,
    );

  const app = new Hono<IntakeEnv>();
  app.get("/", viewer, page(overviewPage));
  app.get("/runs", viewer, page(runsPage));
  app.get("/runs/:runId", viewer, page(runPage));
  app.get("/runs/:runId/transcript", viewer, page(transcriptPage));
  app.get("/runs/:runId/progress.json", viewer, page(progressRoute));
  // Retry is an admin action: the form carries the token itself (a session alone
  // is not enough, and a cross-site form cannot know it).
  app.post(
    "/runs/:runId/retry",
    requestTimeout(10_000),
    bodyLimit(LOGIN_BODY_LIMIT),
    page(async (c) => {
      if (!auth) return disabled();
      const runId = c.req.param("runId") ?? "";
      const run = await getRun(deps.store, runId);
      if (!run) {
        return messagePage(views, 404, "Run not found", "There is no run with this id.", true);
      }
      const back = (query: string) => redirect(`/runs/${encodeURIComponent(run.runId)}?${query}`);
      const taken = attempts.take(rateLimitKey(c.get("client")), now().getTime());
      if (!taken.ok) return tooMany(taken.retryAfterSeconds);
      const form = new URLSearchParams(new TextDecoder().decode(c.get("rawBody")));
      if (!auth.tokenMatches(form.get("token") ?? "")) {
        deps.logger.warn("dashboard retry refused: wrong token", {
          requestId: c.get("requestId"),
          runId: run.runId,
        });
        return back(`retry_error=${encodeURIComponent("that is not the admin token")}`);
      }
      const outcome = await retryIssueRun(
        { store: deps.store, clock: now, newId: () => crypto.randomUUID() },
        run.issueKey,
        {
          retryOf: run.runId,
          by: { displayName: "an operator (dashboard)" },
          actor: "admin:dashboard-token",
          source: "admin",
        },
      );
      if (!outcome.ok) return back(`retry_error=${encodeURIComponent(outcome.reason)}`);
      deps.logger.info("run retried from the dashboard", {
        runId: outcome.runId,
        retryOf: run.runId,
      });
      return back(`retried=${encodeURIComponent(outcome.runId)}`);
    }),
  );
  app.get("/issues/:issueKey", viewer, page(issuePage));

  app.get("/login", (c) => {
    if (!auth) return disabled();
    const next = safeNext(c.req.query("next"));
    return signedIn(c) ? redirect(next) : loginForm(next, "");
  });
  app.post("/login", requestTimeout(10_000), bodyLimit(LOGIN_BODY_LIMIT), (c) => {
    if (!auth) return disabled();
    const taken = attempts.take(rateLimitKey(c.get("client")), now().getTime());
    if (!taken.ok) return tooMany(taken.retryAfterSeconds);
    const form = new URLSearchParams(new TextDecoder().decode(c.get("rawBody")));
    const next = safeNext(form.get("next"));
    if (!auth.tokenMatches(form.get("token") ?? "")) {
      deps.logger.warn("dashboard sign-in refused", {
        requestId: c.get("requestId"),
        client: c.get("client")?.text,
      });
      return loginForm(next, "That is not the dashboard token.", 401);
    }
    const cookie = sessionCookie(auth.issue(now()), auth.ttlMs, isSecure(c));
    return redirect(next, { "Set-Cookie": cookie });
  });
  app.post(
    "/logout",
    (c) => redirect("/login", { "Set-Cookie": sessionCookie(null, 0, isSecure(c)) }),
  );
  return app;
}
