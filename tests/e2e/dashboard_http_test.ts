/**
 * The dashboard's door over real HTTP on loopback (a real SQLite store, the
 * real server): off without a token, bearer and session-cookie access, the
 * cookie's attributes and contents, expiry, tampering, logout, the login rate
 * limit, safe redirects, the security headers, and the webhook routes left
 * exactly as they were.
 *
 * @module
 */
import assert from "node:assert/strict";
import { LIVE_SCRIPT_SOURCE } from "../../adapters/http/dashboard/live.ts";
import { createHash } from "node:crypto";
import { createApp, createMetrics } from "../../adapters/http/mod.ts";
import { startServer } from "../../adapters/http/server.ts";
import { openSqliteStore } from "../../adapters/eventstore/sqlite/mod.ts";
import { JsonLogger } from "../../adapters/log/json_logger.ts";

const TOKEN = "dashboard-token-for-tests-4f9c2a7e1b";
const JIRA_SECRET = "jira-webhook-secret-for-tests-0123456789";

interface Site extends AsyncDisposable {
  url: string;
  clock: { offsetMs: number };
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  login(token: string, next?: string, headers?: Record<string, string>): Promise<Response>;
}

async function site(token: string | undefined): Promise<Site> {
  const dir = await Deno.makeTempDir({ prefix: "ai-runner-dashboard-http-" });
  const store = openSqliteStore(`${dir}/runner.db`);
  const clock = { offsetMs: 0 };
  const app = createApp({
    store,
    logger: new JsonLogger({ level: "error", sink: () => {} }),
    metrics: createMetrics(),
    now: () => new Date(Date.now() + clock.offsetMs),
    options: {
      jiraWebhookSecret: JIRA_SECRET,
      githubWebhookSecret: "github-secret",
      aiAccountId: "ai-account",
      dashboardToken: token,
    },
    dashboard: { jiraBaseUrl: "https://acme.atlassian.net", artifacts: store },
  });
  const server = await startServer({ app, port: 0, shutdownSignals: [] });
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, { headers, redirect: "manual" });
  const close = async () => {
    await server.shutdown();
    await store.close();
    await Deno.remove(dir, { recursive: true });
  };
  return {
    url: server.url,
    clock,
    get,
    login: (t, next = "/", headers = {}) =>
      fetch(`${server.url}/login`, {
        method: "POST",
        redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
        body: new URLSearchParams({ token: t, next }).toString(),
      }),
    [Symbol.asyncDispose]: close,
  };
}

function sessionOf(res: Response): string {
  const cookie = res.headers.get("set-cookie") ?? "";
  const m = /^ai_runner_session=([^;]*)/.exec(cookie);
  assert.ok(m, `no session cookie in ${cookie}`);
  return m[1];
}

Deno.test("dashboard without DASHBOARD_TOKEN: off, says why, and the other routes work", async () => {
  await using s = await site(undefined);
  for (const path of ["/", "/runs", "/login", "/issues/MWC-1"]) {
    const res = await s.get(path);
    assert.equal(res.status, 503, path);
    assert.match(await res.text(), /no DASHBOARD_TOKEN is configured/);
  }
  const login = await s.login("");
  assert.equal(login.status, 503);
  await login.body?.cancel();
  const bearer = await s.get("/", { authorization: "Bearer " });
  assert.equal(bearer.status, 503, "an empty token opens nothing");
  await bearer.body?.cancel();
  const health = await s.get("/healthz");
  assert.equal(health.status, 200);
  await health.body?.cancel();
});

Deno.test("dashboard: bearer token, redirects to sign in, headers, and no secret rendered", async () => {
  await using s = await site(TOKEN);
  const anonymous = await s.get("/runs?status=failed");
  assert.equal(anonymous.status, 303);
  assert.equal(anonymous.headers.get("location"), "/login?next=%2Fruns%3Fstatus%3Dfailed");
  await anonymous.body?.cancel();

  const wrong = await s.get("/", { authorization: "Bearer not-it" });
  assert.equal(wrong.status, 401);
  assert.match(wrong.headers.get("www-authenticate") ?? "", /^Bearer realm=/);
  await wrong.body?.cancel();

  const ok = await s.get("/", { authorization: `Bearer ${TOKEN}` });
  assert.equal(ok.status, 200);
  const html = await ok.text();
  assert.match(html, /<h1>Overview<\/h1>/);
  assert.ok(!html.includes(TOKEN), "the token is never rendered");
  assert.match(ok.headers.get("content-type") ?? "", /^text\/html; charset=utf-8/);
  const csp = ok.headers.get("content-security-policy") ?? "";
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, "no inline script but our own");
  // The only script allowed is the live view's, by its hash.
  const scripts = csp.match(/script-src ([^;]*)/)?.[1].trim().split(/\s+/) ?? [];
  assert.deepEqual(scripts, [LIVE_SCRIPT_SOURCE], csp);
  // The inline stylesheet is exactly the one the policy allows.
  const css = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1] ?? "";
  const hash = createHash("sha256").update(css).digest("base64");
  assert.ok(csp.includes(`style-src 'sha256-${hash}'`), csp);
  assert.equal(ok.headers.get("x-frame-options"), "DENY");
  assert.equal(ok.headers.get("cache-control"), "no-store");
  assert.equal(ok.headers.get("referrer-policy"), "no-referrer");

  const missing = await s.get("/runs/no-such-run", { authorization: `Bearer ${TOKEN}` });
  assert.equal(missing.status, 404);
  assert.match(await missing.text(), /There is no run with this id/);
  const badKey = await s.get("/issues/not-a-key", { authorization: `Bearer ${TOKEN}` });
  assert.equal(badKey.status, 404);
  await badKey.body?.cancel();
  const filter = await s.get("/runs?status=bogus&issue=%3Cb%3E", {
    authorization: `Bearer ${TOKEN}`,
  });
  assert.equal(filter.status, 200);
  const filtered = await filter.text();
  assert.match(filtered, /Ignored: &quot;bogus&quot; is not a run status; &quot;&lt;B&gt;&quot;/);
  assert.ok(!filtered.includes("<B>"), "query text is escaped");
});

Deno.test("dashboard: the login form's session cookie", async () => {
  await using s = await site(TOKEN);
  const bad = await s.login("wrong", "/runs");
  assert.equal(bad.status, 401);
  assert.equal(bad.headers.get("set-cookie"), null);
  assert.match(await bad.text(), /That is not the dashboard token/);

  const res = await s.login(TOKEN, "/runs?status=failed");
  assert.equal(res.status, 303);
  assert.equal(res.headers.get("location"), "/runs?status=failed");
  const cookie = res.headers.get("set-cookie") ?? "";
  assert.match(cookie, /; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200$/);
  const value = sessionOf(res);
  assert.ok(!value.includes(TOKEN), "the cookie does not hold the token");
  assert.ok(!value.includes(createHash("sha256").update(TOKEN).digest("hex")));
  assert.match(value, /^v1\.\d+\.[0-9a-f]{64}$/);

  const inside = await s.get("/runs", { cookie: `ai_runner_session=${value}` });
  assert.equal(inside.status, 200);
  assert.match(await inside.text(), /<h1>Runs<\/h1>/);
  // Already signed in: the form sends you on.
  const again = await s.get("/login?next=/issues/MWC-1", { cookie: `ai_runner_session=${value}` });
  assert.equal(again.status, 303);
  assert.equal(again.headers.get("location"), "/issues/MWC-1");
  await again.body?.cancel();

  // A forged or altered session is not a session.
  const last = value.at(-1) === "0" ? "1" : "0";
  for (const forged of [value.slice(0, -1) + last, "v1.99999999999999.".padEnd(82, "a"), TOKEN]) {
    const r = await s.get("/runs", { cookie: `ai_runner_session=${forged}` });
    assert.equal(r.status, 303, forged);
    await r.body?.cancel();
  }
  // Sessions expire.
  s.clock.offsetMs = 12 * 60 * 60 * 1000 + 1000;
  const expired = await s.get("/runs", { cookie: `ai_runner_session=${value}` });
  assert.equal(expired.status, 303);
  await expired.body?.cancel();
  s.clock.offsetMs = 0;

  // Behind TLS the cookie is Secure; sign-out clears it.
  const tls = await s.login(TOKEN, "/", { "x-forwarded-proto": "https" });
  assert.match(tls.headers.get("set-cookie") ?? "", /; Secure$/);
  await tls.body?.cancel();
  const out = await fetch(`${s.url}/logout`, { method: "POST", redirect: "manual" });
  assert.equal(out.status, 303);
  assert.equal(out.headers.get("location"), "/login");
  assert.match(out.headers.get("set-cookie") ?? "", /^ai_runner_session=; .*Max-Age=0/);
  await out.body?.cancel();
});

Deno.test("dashboard: a session from another token does not open this dashboard", async () => {
  await using a = await site(TOKEN);
  await using b = await site("a-different-dashboard-token-0000");
  const res = await b.login("a-different-dashboard-token-0000");
  const value = sessionOf(res);
  await res.body?.cancel();
  const r = await a.get("/", { cookie: `ai_runner_session=${value}` });
  assert.equal(r.status, 303);
  await r.body?.cancel();
});

Deno.test("dashboard: only local paths after sign-in", async () => {
  await using s = await site(TOKEN);
  for (const next of ["//evil.example/x", "https://evil.example/", "/\\evil.example", "runs"]) {
    const res = await s.login(TOKEN, next);
    assert.equal(res.headers.get("location"), "/", next);
    await res.body?.cancel();
  }
});

Deno.test("dashboard: sign-in attempts are rate limited per address", async () => {
  await using s = await site(TOKEN);
  for (let i = 0; i < 10; i++) {
    const res = await s.login(`guess-${i}`);
    assert.equal(res.status, 401);
    await res.body?.cancel();
  }
  const limited = await s.login(TOKEN);
  assert.equal(limited.status, 429, "even the right token waits once the bucket is empty");
  assert.match(limited.headers.get("retry-after") ?? "", /^\d+$/);
  assert.equal(limited.headers.get("set-cookie"), null);
  await limited.body?.cancel();
});

Deno.test("dashboard: mounting it leaves the webhook and unknown routes as they were", async () => {
  await using s = await site(TOKEN);
  const res = await fetch(`${s.url}/jira/webhook`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-jira-webhook-secret": JIRA_SECRET },
    body: JSON.stringify({ issueKey: "MWC-1" }),
  });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).status, "queued");
  const unknown = await s.get("/nope");
  assert.equal(unknown.status, 404);
  assert.equal((await unknown.json()).error, "not_found");
  const method = await fetch(`${s.url}/jira/webhook`, { redirect: "manual" });
  assert.equal(method.status, 405);
  await method.body?.cancel();
});
