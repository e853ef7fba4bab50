import assert from "node:assert/strict";
import { createApp, createMetrics } from "../../adapters/http/mod.ts";
import { cancelIssueRun } from "../../domain/workflow/cancel.ts";
import { WORLD_SECRETS } from "../../adapters/standins/world.ts";
import { startLoop } from "../support/loop.ts";

Deno.test("admin: POST /admin/issues/:key/cancel behind the dashboard token cancels the run", async () => {
  await using loop = await startLoop({
    issues: [{ key: "MWC-4", summary: "x", description: 'replace "recieve" with "receive"' }],
  });
  const { runId } = await loop.assign("MWC-4");
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
      cancel: (key, reason, actor) =>
        cancelIssueRun(
          {
            store: loop.store,
            jira: loop.deps.jira,
            secrets: loop.deps.secrets,
            clock: loop.clock.now,
          },
          key,
          { reason, by: { displayName: "ops" }, actor },
        ),
    },
  });
  const post = (key: string, token: string | null, body = '{"reason":"duplicate ticket"}') =>
    app.request(`/admin/issues/${key}/cancel`, {
      method: "POST",
      headers: token ? { authorization: `Bearer ${token}` } : {},
      body,
    });
  assert.equal((await post("MWC-4", null)).status, 401);
  assert.equal((await post("MWC-4", "wrong-token")).status, 401);
  assert.equal((await post("MWC-", WORLD_SECRETS.dashboard)).status, 400);
  assert.equal((await post("MWC-4", WORLD_SECRETS.dashboard, "{")).status, 400);
  const ok = await post("MWC-4", WORLD_SECRETS.dashboard);
  assert.equal(ok.status, 200);
  assert.equal((await ok.json()).runId, runId);
  const again = await post("MWC-4", WORLD_SECRETS.dashboard);
  assert.equal(again.status, 409);
  const cancelled = (await loop.events("MWC-4")).find((e) => e.type === "RunCancelled");
  assert.ok(cancelled?.type === "RunCancelled" && cancelled.data.reason === "duplicate ticket");
  assert.match(loop.world.jira.state.postedComments("MWC-4")[0].text, /duplicate ticket/);
  assert.deepEqual(await loop.drain(), [], "nothing left to run");
});
