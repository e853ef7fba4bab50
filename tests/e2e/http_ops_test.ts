/**
 * `GET /healthz`, `/readyz` and `/metrics` over a real SQLite file, with the
 * real projections feeding the read-model gauges.
 *
 * @module
 */
import assert from "node:assert/strict";
import { VERSION } from "../../adapters/config/version.ts";
import { Projector } from "../../projections/projector.ts";
import { ALL_PROJECTIONS } from "../../projections/mod.ts";
import { assertRefused, withIntake } from "../support/http_harness.ts";
import { mergedPullRequest } from "../fixtures/github/webhooks.ts";

function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(series + " "));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

Deno.test("healthz answers ok; readyz is ready while the store answers, 503 once it is closed", async () => {
  await withIntake(async (intake) => {
    const health = await intake.app.request("/healthz");
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: "ok", version: VERSION });
    const ready = await intake.app.request("/readyz");
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), { status: "ready" });
    await intake.store.close();
    await assertRefused(await intake.app.request("/readyz"), 503, "not_ready");
    assert.equal((await intake.app.request("/healthz")).status, 200);
    // A webhook while the store is down: 503 with Retry-After (Jira and GitHub may retry
    // safely), never a bare 500.
    const down = await intake.jira({ issueKey: "MWC-1" });
    await assertRefused(down, 503, "store_unavailable");
    assert.equal(down.headers.get("retry-after"), "5");
  });
});

Deno.test("metrics: Prometheus text with requests, appends, timings, and zeros before projections run", async () => {
  await withIntake(async (intake) => {
    const seeded = await intake.worked("MWC-9", "Codertocat/Hello-World", 2);
    await intake.jira({ issueKey: "MWC-1" });
    await intake.jira({ issueKey: "MWC-2" });
    await intake.jira({ issueKey: "MWC-2", again: true }); // coalesced
    await intake.jira("{");
    await intake.github("pull_request", mergedPullRequest("MWC-9"));
    const res = await intake.app.request("/metrics");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    assert.equal(sample(text, 'http_requests_total{route="/jira/webhook",status="200"}'), 3);
    assert.equal(sample(text, 'http_requests_total{route="/jira/webhook",status="400"}'), 1);
    assert.equal(sample(text, 'http_requests_total{route="/github/webhook",status="200"}'), 1);
    // 3 run requests + the merge and the completion run it queues (the seeded
    // history was written past the app, so it is not counted).
    assert.ok(seeded > 0);
    assert.equal(sample(text, "events_appended_total"), 5);
    assert.equal(sample(text, "event_store_append_seconds_count"), 4);
    assert.equal(sample(text, 'event_store_append_seconds_bucket{le="+Inf"}'), 4);
    assert.ok((sample(text, "event_store_append_seconds_sum") ?? -1) >= 0);
    assert.match(text, /# TYPE event_store_append_seconds histogram/);
    assert.match(text, /# TYPE http_requests_total counter/);
    // No projection has run: the read models are empty and the gauges say 0.
    assert.equal(sample(text, "run_queue_depth"), 0);
    assert.equal(sample(text, 'runs_by_status{status="queued"}'), 0);
  });
});

Deno.test("metrics: queue depth and runs by status come from the read models", async () => {
  await withIntake(async (intake) => {
    await intake.jira({ issueKey: "MWC-1" });
    await intake.jira({ issueKey: "MWC-2" });
    await intake.jira({ issueKey: "MWC-3" });
    await new Projector(intake.store, intake.store, [...ALL_PROJECTIONS]).catchUp();
    const text = await (await intake.app.request("/metrics")).text();
    assert.equal(sample(text, "run_queue_depth"), 3);
    assert.equal(sample(text, "run_queue_issues"), 3);
    assert.equal(sample(text, 'runs_by_status{status="queued"}'), 3);
    assert.equal(sample(text, 'runs_by_status{status="succeeded"}'), 0);
    // The scrape itself is counted on the next one.
    const again = await (await intake.app.request("/metrics")).text();
    assert.equal(sample(again, 'http_requests_total{route="/metrics",status="200"}'), 1);
  });
});
