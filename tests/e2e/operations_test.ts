/**
 * Operations routes over a real SQLite store: `/metrics` says how deep the
 * queue is, how old its oldest run, how many leases ran out, how many workers
 * are active and how many runs need attention; `/healthz` names the version;
 * a taken port is named in the error.
 *
 * @module
 */
import assert from "node:assert/strict";
import { handleCommand } from "../../domain/command_handler.ts";
import type { RunCommand } from "../../domain/run/commands.ts";
import { openSqliteStore } from "../../adapters/eventstore/sqlite/mod.ts";
import { createApp, createMetrics } from "../../adapters/http/mod.ts";
import { startServer } from "../../adapters/http/server.ts";
import { JsonLogger } from "../../adapters/log/json_logger.ts";
import { VERSION } from "../../adapters/config/version.ts";
import { ALL_PROJECTIONS } from "../../projections/mod.ts";
import { Projector } from "../../projections/projector.ts";

const T0 = Date.parse("2026-11-23T10:00:00.000Z");
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

Deno.test("operations: /metrics gauges from the read models, /healthz with the version", async () => {
  const store = openSqliteStore(":memory:");
  try {
    const run = async (key: string, command: RunCommand) => {
      const r = await handleCommand(store, key, command, { actor: "test" });
      assert.ok(r.ok, JSON.stringify(r));
    };
    const request = (key: string, runId: string, s: number): RunCommand => ({
      type: "RequestRun",
      issueKey: key,
      runId,
      deliveryId: `d-${runId}`,
      source: "jira",
      requestedBy: null,
      now: at(s),
    });
    // OPS-1 waits from t=0; OPS-2 from t=100; OPS-3 is claimed, lease until t=260;
    // OPS-4 is claimed, lease until t=1000; OPS-5 failed.
    await run("OPS-1", request("OPS-1", "r1", 0));
    await run("OPS-2", request("OPS-2", "r2", 100));
    await run("OPS-3", request("OPS-3", "r3", 150));
    await run("OPS-3", {
      type: "ClaimRun",
      runId: "r3",
      workerId: "w1",
      leaseId: "L3",
      leaseMs: 60_000,
      now: at(200),
    });
    await run("OPS-4", request("OPS-4", "r4", 150));
    await run("OPS-4", {
      type: "ClaimRun",
      runId: "r4",
      workerId: "w2",
      leaseId: "L4",
      leaseMs: 800_000,
      now: at(200),
    });
    await run("OPS-5", request("OPS-5", "r5", 150));
    await run("OPS-5", {
      type: "ClaimRun",
      runId: "r5",
      workerId: "w2",
      leaseId: "L5",
      leaseMs: 60_000,
      now: at(160),
    });
    await run("OPS-5", {
      type: "FailRun",
      runId: "r5",
      leaseId: "L5",
      now: at(170),
      step: "generate_changes",
      reason: "bad",
      kind: "permanent",
    });
    await new Projector(store, store, [...ALL_PROJECTIONS]).catchUp();
    const app = createApp({
      store,
      logger: new JsonLogger({ level: "error", sink: () => {} }),
      metrics: createMetrics(undefined, VERSION),
      now: () => new Date(T0 + 300_000),
      options: { jiraWebhookSecret: "j", githubWebhookSecret: "g", aiAccountId: "ai" },
    });
    const text = await (await app.request("/metrics")).text();
    const value = (series: string) => {
      const m = new RegExp(`^${series.replace(/[{}"]/g, "\\$&")} (\\S+)$`, "m").exec(text);
      assert.ok(m, `no ${series} in /metrics`);
      return Number(m[1]);
    };
    assert.equal(value("run_queue_depth"), 2);
    assert.equal(value("run_queue_oldest_age_seconds"), 300, "OPS-1 has waited 300 s");
    assert.equal(value("runs_lease_expired"), 1, "OPS-3's lease ran out at t=260");
    assert.equal(value("workers_active"), 1, "only w2 holds a live lease");
    assert.equal(
      value("runs_needing_attention"),
      1,
      "OPS-5 failed (and without its Jira hand-over)",
    );
    assert.equal(value('ai_runner_build_info{version="' + VERSION + '"}'), 1);
    const health = await (await app.request("/healthz")).json();
    assert.deepEqual(health, { status: "ok", version: VERSION });
  } finally {
    await store.close();
  }
});

Deno.test("operations: a port already in use is named in the error", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  try {
    const app = createApp({
      store: openSqliteStore(":memory:"),
      logger: new JsonLogger({ level: "error", sink: () => {} }),
      metrics: createMetrics(),
      options: { jiraWebhookSecret: "j", githubWebhookSecret: "g", aiAccountId: "ai" },
    });
    await assert.rejects(
      startServer({ app, hostname: "127.0.0.1", port, shutdownSignals: [] }),
      new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the address is already in use`),
    );
  } finally {
    taken.close();
  }
});
