/**
 * `POST /admin/issues/:key/retry` behind the dashboard token: refused without
 * it, refused (409) for a run that is not retryable, and for a failed run it
 * queues a new run that names the failed one, which a worker then carries out.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createApp, createMetrics } from "../../adapters/http/mod.ts";
import { retryIssueRun } from "../../domain/workflow/retry.ts";
import { WORLD_SECRETS } from "../../adapters/standins/world.ts";
import { startLoop } from "../support/loop.ts";

Deno.test("admin: POST /admin/issues/:key/retry retries a failed run, and only that", async () => {
  await using loop = await startLoop({
    issues: [{
      key: "MWC-4",
      summary: "x",
      description: 'Replace "Each run links" with "Every run links".',
    }],
  });
  const { runId: failed } = await loop.assign("MWC-4");
  loop.world.github.injectFault({ method: "POST", path: "/pulls", status: 404, times: 1 });
  assert.deepEqual(await loop.drain(), ["failed"]);
  const app = createApp({
    store: loop.store,
    logger: loop.deps.logger,
    metrics: createMetrics(),
    options: {
      jiraWebhookSecret: "j",
      githubWebhookSecret: "g",
      aiAccountId: loop.config.jira.aiAccountId,
      dashboardToken: WORLD_SECRETS.dashboard,
    },
    admin: {
      cancel: () => Promise.resolve({ ok: false, reason: "not in this test" }),
      retry: (key, runId, actor) =>
        retryIssueRun(
          { store: loop.store, clock: loop.clock.now, newId: () => crypto.randomUUID() },
          key,
          { retryOf: runId, by: { displayName: "ops" }, actor, source: "admin" },
        ),
    },
  });
  const post = (token: string | null, body = "") =>
    app.request("/admin/issues/MWC-4/retry", {
      method: "POST",
      headers: token ? { authorization: `Bearer ${token}` } : {},
      body,
    });
  assert.equal((await post(null)).status, 401);
  assert.equal((await post("wrong")).status, 401);
  assert.equal((await post(WORLD_SECRETS.dashboard, "{")).status, 400);
  const ok = await post(WORLD_SECRETS.dashboard, JSON.stringify({ runId: failed }));
  assert.equal(ok.status, 200);
  const body = await ok.json();
  assert.equal(body.retryOf, failed);
  const again = await post(WORLD_SECRETS.dashboard);
  assert.equal(again.status, 409, "a run is queued now: nothing to retry");
  assert.match((await again.json()).detail, /active or queued/);
  // The retry is an ordinary run: a worker carries it to a PR.
  assert.deepEqual(await loop.drain(), ["succeeded"]);
  const requested = (await loop.events("MWC-4")).filter((e) => e.type === "RunRequested");
  assert.equal(requested.length, 2);
  assert.equal(requested[1].metadata.actor, "admin:dashboard-token");
  const succeeded = await post(WORLD_SECRETS.dashboard);
  assert.equal(succeeded.status, 409, "a succeeded run with its Jira comment is not retryable");
});
