/**
 * The intake's defences end to end: rate limit, allow-lists behind trusted
 * proxies, request ids, access logs, and the error handler.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createApp } from "../../adapters/http/app.ts";
import { createMetrics } from "../../adapters/http/metrics.ts";
import { JsonLogger } from "../../adapters/log/json_logger.ts";
import { openSqliteStore } from "../../adapters/eventstore/sqlite/mod.ts";
import {
  assertRefused,
  JIRA_SECRET,
  json,
  testOptions,
  withIntake,
} from "../support/http_harness.ts";
import { mergedPullRequest } from "../fixtures/github/webhooks.ts";

const peer = (hostname: string) => ({ remoteAddr: { hostname, port: 40000, transport: "tcp" } });

Deno.test("rate limit: past the burst a client gets 429 with Retry-After; others are unaffected", async () => {
  let t = Date.parse("2025-01-01T00:00:00Z");
  await withIntake(async (intake) => {
    const a = peer("203.0.113.5");
    for (let i = 1; i <= 2; i++) {
      assert.equal((await intake.jira({ issueKey: `MWC-${i}` }, {}, a)).status, 200);
    }
    const limited = await intake.jira({ issueKey: "MWC-3" }, {}, a);
    await assertRefused(limited, 429, "rate_limited");
    assert.equal(limited.headers.get("retry-after"), "1");
    // Another client has its own bucket; GitHub shares the per-address bucket.
    assert.equal((await intake.jira({ issueKey: "MWC-4" }, {}, peer("203.0.113.6"))).status, 200);
    await assertRefused(await intake.github("pull_request", mergedPullRequest(), {}, a), 429);
    assert.equal(await intake.store.headPosition(), 3);
    t += 1000; // one token back
    assert.equal((await intake.jira({ issueKey: "MWC-3" }, {}, a)).status, 200);
    await assertRefused(await intake.jira({ issueKey: "MWC-5" }, {}, a), 429);
  }, { options: { rateLimit: { perSecond: 1, burst: 2 } }, now: () => new Date(t) });
});

Deno.test("rate limit: Retry-After reflects a slow refill", async () => {
  await withIntake(async (intake) => {
    const a = peer("198.51.100.7");
    assert.equal((await intake.jira({ issueKey: "MWC-1" }, {}, a)).status, 200);
    const res = await intake.jira({ issueKey: "MWC-2" }, {}, a);
    await assertRefused(res, 429);
    assert.equal(res.headers.get("retry-after"), "10");
  }, { options: { rateLimit: { perSecond: 0.1, burst: 1 } }, now: () => new Date(0) });
});

Deno.test("allow-list: IPv4 and IPv6 clients outside the list get 403 and append nothing", async () => {
  await withIntake(async (intake) => {
    const seeded = await intake.worked("MWC-1", "Codertocat/Hello-World", 2);
    assert.equal((await intake.jira({ issueKey: "MWC-1" }, {}, peer("192.0.2.10"))).status, 200);
    assert.equal((await intake.jira({ issueKey: "MWC-2" }, {}, peer("2001:db8::1"))).status, 200);
    assert.equal(
      (await intake.jira({ issueKey: "MWC-3" }, {}, peer("::ffff:192.0.2.99"))).status,
      200,
    );
    for (const outside of ["198.51.100.1", "2001:db9::1", "::1"]) {
      const body = await assertRefused(
        await intake.jira({ issueKey: "MWC-9" }, {}, peer(outside)),
        403,
        "forbidden",
      );
      assert.ok(!body.detail.includes(outside), "the address is not echoed");
    }
    // Without connection info the client is unknown: refused (fail closed).
    await assertRefused(await intake.jira({ issueKey: "MWC-9" }), 403);
    // The GitHub route has no list here.
    assert.equal(
      (await intake.github("pull_request", mergedPullRequest(), {}, peer("198.51.100.1"))).status,
      200,
    );
    // Three runs requested; the merge of MWC-1's PR cancels its queued run and queues
    // a completion run.
    assert.equal(await intake.store.headPosition(), seeded + 6);
  }, { options: { allowList: { jira: ["192.0.2.0/24", "2001:db8::/32"] } } });
});

Deno.test("allow-list: X-Forwarded-For counts only from a trusted proxy, right-most untrusted hop", async () => {
  await withIntake(async (intake) => {
    const proxy = peer("10.1.2.3");
    const xff = (v: string) => ({ "X-Forwarded-For": v });
    // Through the trusted proxy: the right-most untrusted hop is the client.
    assert.equal(
      (await intake.jira({ issueKey: "MWC-1" }, xff("198.51.100.1, 192.0.2.10"), proxy)).status,
      200,
    );
    // Two trusted proxies in a row: still the right-most untrusted hop.
    assert.equal(
      (await intake.jira({ issueKey: "MWC-2" }, xff("192.0.2.11, 10.9.9.9"), proxy)).status,
      200,
    );
    // A client-written allowed address on the left does not help.
    await assertRefused(
      await intake.jira({ issueKey: "MWC-3" }, xff("192.0.2.10, 198.51.100.1"), proxy),
      403,
    );
    // An untrusted peer cannot claim an allowed address.
    await assertRefused(
      await intake.jira({ issueKey: "MWC-4" }, xff("192.0.2.10"), peer("198.51.100.1")),
      403,
    );
    // Garbage in the trusted part fails closed.
    await assertRefused(await intake.jira({ issueKey: "MWC-5" }, xff("not-an-ip"), proxy), 403);
    // The proxy itself, without X-Forwarded-For, is judged by its own address.
    await assertRefused(await intake.jira({ issueKey: "MWC-6" }, {}, proxy), 403);
    assert.equal(await intake.store.headPosition(), 2);
  }, {
    options: { allowList: { jira: ["192.0.2.0/24"] }, trustedProxies: ["10.0.0.0/8"] },
  });
});

Deno.test("allow-list: without trusted proxies X-Forwarded-For is ignored", async () => {
  await withIntake(async (intake) => {
    await assertRefused(
      await intake.jira(
        { issueKey: "MWC-1" },
        { "X-Forwarded-For": "192.0.2.10" },
        peer("10.1.2.3"),
      ),
      403,
    );
    assert.equal(await intake.store.headPosition(), 0);
  }, { options: { allowList: { jira: ["192.0.2.0/24"] } } });
});

Deno.test("createApp refuses bad CIDR ranges and limits, naming each", () => {
  const store = openSqliteStore(":memory:");
  try {
    assert.throws(
      () =>
        createApp({
          store,
          logger: new JsonLogger({ sink: () => {} }),
          metrics: createMetrics(),
          options: testOptions({
            allowList: { github: ["300.1.1.1/8"] },
            trustedProxies: ["10.0.0.0/33"],
            bodyLimitBytes: -1,
          }),
        }),
      (e: Error) =>
        /300\.1\.1\.1/.test(e.message) && /10\.0\.0\.0\/33/.test(e.message) &&
        /bodyLimitBytes/.test(e.message),
    );
  } finally {
    store.close();
  }
});

Deno.test("request id: a sane X-Request-Id is echoed, otherwise one is generated", async () => {
  await withIntake(async (intake) => {
    const echoed = await intake.app.request("/healthz", { headers: { "X-Request-Id": "abc-123" } });
    assert.equal(echoed.headers.get("x-request-id"), "abc-123");
    const generated = await intake.app.request("/healthz", {
      headers: { "X-Request-Id": "bad id with spaces" },
    });
    assert.match(generated.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
    const refused = await intake.jira("{", { "X-Request-Id": "req-400" });
    assert.equal(refused.status, 400);
    assert.equal(refused.headers.get("x-request-id"), "req-400");
  });
});

Deno.test("access log: one JSON line per request with route, status, ms, ids; no secrets, no bodies", async () => {
  await withIntake(async (intake) => {
    await intake.jira({ issueKey: "MWC-1", note: "body-marker-5f1c" }, {
      "X-Request-Id": "req-1",
      "X-Idempotency-Key": "idem-1",
    });
    const lines = intake.logs.map((l) => JSON.parse(l)).filter((l) => l.msg === "http request");
    assert.equal(lines.length, 1);
    const [line] = lines;
    assert.equal(line.route, "/jira/webhook");
    assert.equal(line.method, "POST");
    assert.equal(line.status, 200);
    assert.equal(typeof line.ms, "number");
    assert.equal(line.requestId, "req-1");
    assert.equal(line.client, "unknown");
    assert.equal(line.deliveryId, "jira:key:idem-1");
    const all = intake.logs.join("\n");
    assert.ok(!all.includes(JIRA_SECRET));
    assert.ok(!all.includes("body-marker-5f1c"));
  });
});

Deno.test("unknown routes get a JSON 404", async () => {
  await withIntake(async (intake) => {
    await assertRefused(await intake.app.request("/nope"), 404, "not_found");
    await assertRefused(await intake.app.request("/healthz", { method: "POST" }), 405);
  });
});

Deno.test("a real server fault is a 500 with the request id, logged, no stack to the client", async () => {
  const dir = await Deno.makeTempDir({ prefix: "intake-fault-" });
  const store = openSqliteStore(`${dir}/runner.db`);
  const logs: string[] = [];
  try {
    const broken = new Proxy(store, {
      get(target, prop) {
        if (prop === "append") return () => Promise.reject(new Error("disk on fire"));
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const app = createApp({
      store: broken,
      logger: new JsonLogger({ sink: (l) => logs.push(l) }),
      metrics: createMetrics(),
      options: testOptions(),
    });
    const res = await app.request("/jira/webhook", {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "X-Jira-Webhook-Secret": JIRA_SECRET,
        "X-Request-Id": "req-fault",
      },
      body: JSON.stringify({ issueKey: "MWC-1" }),
    });
    assert.equal(res.status, 500);
    const body = await json(res);
    assert.equal(body.error, "internal_error");
    assert.match(String(body.detail), /req-fault/);
    assert.ok(!JSON.stringify(body).includes("disk on fire"));
    assert.ok(!JSON.stringify(body).includes("at "), "no stack trace");
    const logged = logs.map((l) => JSON.parse(l)).find((l) =>
      l.level === "error" && l.requestId === "req-fault"
    );
    assert.ok(logged, "the fault is logged with the request id");
    assert.equal(await store.headPosition(), 0);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
