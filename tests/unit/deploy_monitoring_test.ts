/**
 * The Grafana dashboard and the Prometheus alert rules in `deploy/` name only
 * metrics that `/metrics` exposes (a renamed series would leave a panel empty
 * and an alert silent); and the run metrics fold counts what the events say.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createMetrics } from "../../adapters/http/metrics.ts";
import { RunEventMetrics } from "../../adapters/http/run_metrics.ts";
import type { RecordedEvent } from "../../domain/events.ts";

const ROOT = new URL("../../", import.meta.url);
/** Series Prometheus itself provides. */
const PROMETHEUS_OWN = new Set(["up"]);
/** PromQL functions, aggregations and keywords. */
const PROMQL = new Set([
  "sum",
  "min",
  "max",
  "avg",
  "count",
  "rate",
  "irate",
  "increase",
  "histogram_quantile",
  "clamp_min",
  "clamp_max",
  "time",
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "and",
  "or",
  "unless",
  "offset",
  "bool",
  "abs",
  "delta",
  "deriv",
  "topk",
  "bottomk",
  "vector",
  "scalar",
]);

/** The metric names an expression reads. */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // strings
    .replace(/\{[^}]*\}/g, "") // label matchers
    .replace(/\[[^\]]*\]/g, "") // ranges
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "") // label lists
    .replace(/\b\d+(\.\d+)?(e\d+)?\b/g, ""); // numbers
  const names = bare.match(/[A-Za-z_:][A-Za-z0-9_:]*/g) ?? [];
  return names.filter((n) => !PROMQL.has(n));
}

function ruleExprs(yaml: string): string[] {
  return [...yaml.matchAll(/^\s*expr:\s*(.+)$/gm)].map((m) => m[1].trim());
}

function dashboardExprs(json: string): string[] {
  const dashboard = JSON.parse(json) as { panels: { targets?: { expr: string }[] }[] };
  return dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
}

/** Names exposed, with each histogram's `_bucket`, `_sum` and `_count` series. */
function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(m[1]);
    if (m[2] === "histogram") {
      for (const s of ["_bucket", "_sum", "_count"]) names.add(m[1] + s);
    }
  }
  return names;
}

Deno.test("deploy: every metric the alert rules and the Grafana dashboard name is in /metrics", async () => {
  const exposed = exposedNames(createMetrics().registry.expose());
  const files = {
    "deploy/prometheus/ai-runner-alerts.yml": ruleExprs(
      await Deno.readTextFile(new URL("deploy/prometheus/ai-runner-alerts.yml", ROOT)),
    ),
    "deploy/grafana/ai-runner-dashboard.json": dashboardExprs(
      await Deno.readTextFile(new URL("deploy/grafana/ai-runner-dashboard.json", ROOT)),
    ),
  };
  const named = new Set<string>();
  for (const [file, exprs] of Object.entries(files)) {
    assert.ok(exprs.length >= 8, `${file} has ${exprs.length} expressions`);
    for (const expr of exprs) {
      const names = metricNames(expr);
      assert.ok(names.length > 0, `${file}: no metric in ${expr}`);
      for (const name of names) {
        named.add(name);
        assert.ok(
          exposed.has(name) || PROMETHEUS_OWN.has(name),
          `${file} names ${name}, which /metrics does not expose (in: ${expr})`,
        );
      }
    }
  }
  // The operator's questions each have a series.
  for (
    const name of [
      "run_duration_seconds_bucket",
      "llm_tokens_total",
      "llm_cost_usd_total",
      "run_failures_total",
      "run_queue_depth",
      "run_queue_oldest_age_seconds",
      "worker_last_seen_timestamp_seconds",
      "runs_lease_expired",
      "http_requests_total",
    ]
  ) assert.ok(named.has(name), `nothing in deploy/ uses ${name}`);
});

Deno.test("deploy: the metric-name reader is not fooled by labels, ranges and functions", () => {
  assert.deepEqual(
    metricNames(
      'sum by (le, outcome) (rate(run_duration_seconds_bucket{outcome="failed"}[1h])) > 0.5',
    ),
    ["run_duration_seconds_bucket"],
  );
  assert.deepEqual(
    metricNames("run_queue_depth > 0 and on() (time() - max(worker_last_seen_timestamp_seconds))"),
    ["run_queue_depth", "worker_last_seen_timestamp_seconds"],
  );
  assert.deepEqual(metricNames("no_such_metric_total > 1e6"), ["no_such_metric_total"]);
});

const T0 = Date.parse("2026-11-23T10:00:00.000Z");
let position = 0;
function ev(type: string, data: Record<string, unknown>, seconds: number, actor = "worker:w1") {
  position++;
  return {
    type,
    data,
    stream: "issue-OPS-1",
    version: position,
    position,
    schemaVersion: 1,
    metadata: { actor },
    recordedAt: new Date(T0 + seconds * 1000).toISOString(),
    hash: "x",
  } as unknown as RecordedEvent;
}

Deno.test("run metrics: duration by outcome, queue wait, failures by step and kind, tokens, cost, workers", () => {
  const metrics = createMetrics(undefined, "9.9.9");
  const fold = new RunEventMetrics(metrics);
  fold.observe([
    ev("RunRequested", { runId: "r1" }, 0, "jira:acc"),
    ev("RunClaimed", { runId: "r1", workerId: "w1" }, 30),
    ev("ChangesGenerated", {
      runId: "r1",
      model: "claude-sonnet-4-5",
      usage: { inputTokens: 1_000_000, outputTokens: 100_000 },
    }, 60),
    ev("RunSucceeded", { runId: "r1", outcome: "pr_opened" }, 150),
    ev("RunRequested", { runId: "r2" }, 200, "jira:acc"),
    ev("RunClaimed", { runId: "r2", workerId: "w2" }, 210, "worker:w2"),
    ev("RunRetryScheduled", { runId: "r2", step: "push" }, 220, "worker:w2"),
    ev("RunFailed", { runId: "r2", step: "jira_comment", kind: "permanent" }, 260, "worker:w2"),
  ]);
  assert.equal(metrics.runDuration.count({ outcome: "pr_opened" }), 1);
  assert.equal(metrics.runDuration.count({ outcome: "failed" }), 1);
  assert.equal(metrics.queueWait.count, 2);
  assert.equal(metrics.runsFinished.get({ outcome: "failed" }), 1);
  assert.equal(metrics.runFailures.get({ step: "jira_comment", kind: "permanent" }), 1);
  assert.equal(metrics.retriesScheduled.get({ step: "push" }), 1);
  assert.equal(
    metrics.llmTokens.get({ direction: "input", model: "claude-sonnet-4-5" }),
    1_000_000,
  );
  // $3/MTok in + $15/MTok out.
  assert.ok(Math.abs(metrics.llmCost.get({ model: "claude-sonnet-4-5" }) - 4.5) < 1e-9);
  assert.equal(metrics.workerLastSeen.get({ worker: "w2" }), Math.floor((T0 + 260_000) / 1000));
  const text = metrics.registry.expose();
  assert.match(text, /^run_duration_seconds_bucket\{outcome="pr_opened",le="120"\} 1$/m);
  assert.match(text, /^run_duration_seconds_bucket\{outcome="pr_opened",le="60"\} 0$/m);
  assert.match(text, /^ai_runner_build_info\{version="9.9.9"\} 1$/m);
});
