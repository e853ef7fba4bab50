/**
 * Unit tests of the metrics registry and its Prometheus text.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createMetrics, MetricsRegistry } from "../../adapters/http/metrics.ts";

Deno.test("counters, gauges and histograms expose Prometheus text", () => {
  const r = new MetricsRegistry();
  const c = r.counter("requests_total", "Requests.");
  const g = r.gauge("depth", "Depth.");
  const h = r.histogram("latency_seconds", "Latency.", [0.1, 1]);
  c.inc({ route: "/a", status: "200" });
  c.inc({ status: "200", route: "/a" }, 2);
  c.inc({ route: 'we"ird\\', status: "500" });
  g.set({}, 7);
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  assert.equal(c.get({ route: "/a", status: "200" }), 3);
  const text = r.expose();
  assert.match(text, /^# HELP requests_total Requests\.\n# TYPE requests_total counter\n/);
  assert.ok(text.includes('requests_total{route="/a",status="200"} 3\n'));
  assert.ok(text.includes('requests_total{route="we\\"ird\\\\",status="500"} 1\n'));
  assert.ok(text.includes("depth 7\n"));
  assert.ok(text.includes('latency_seconds_bucket{le="0.1"} 1\n'));
  assert.ok(text.includes('latency_seconds_bucket{le="1"} 2\n'));
  assert.ok(text.includes('latency_seconds_bucket{le="+Inf"} 3\n'));
  assert.ok(text.includes("latency_seconds_sum 5.55\n"));
  assert.ok(text.includes("latency_seconds_count 3\n"));
  assert.throws(() => c.inc({}, -1));
  assert.throws(() => r.counter("requests_total", "again"));
  assert.throws(() => r.gauge("bad name", "x"));
});

Deno.test("createMetrics registers the intake's metric names", () => {
  const text = createMetrics().registry.expose();
  for (
    const name of [
      "http_requests_total",
      "events_appended_total",
      "event_store_append_seconds",
      "run_queue_depth",
      "runs_by_status",
    ]
  ) {
    assert.match(text, new RegExp(`# TYPE ${name} `));
  }
});
