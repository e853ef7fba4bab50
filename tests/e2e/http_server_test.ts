/**
 * The intake over a real `Deno.serve` on loopback: requests over the wire, the
 * real peer address, and graceful shutdown (in process on abort, and in a child
 * process on SIGTERM) finishing the request in flight and its append.
 *
 * @module
 */
import assert from "node:assert/strict";
import { startServer } from "../../adapters/http/server.ts";
import { openSqliteStore } from "../../adapters/eventstore/sqlite/mod.ts";
import { JIRA_SECRET, withIntake } from "../support/http_harness.ts";

const enc = new TextEncoder();

Deno.test("server: a Jira request over loopback is stored before it is acknowledged", async () => {
  await withIntake(async (intake) => {
    const server = await startServer({ app: intake.app, port: 0, shutdownSignals: [] });
    try {
      assert.equal(server.addr.hostname, "127.0.0.1");
      const res = await fetch(`${server.url}/jira/webhook`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Jira-Webhook-Secret": JIRA_SECRET },
        body: JSON.stringify({ issueKey: "MWC-1" }),
      });
      const body = await res.json();
      assert.equal(res.status, 200);
      assert.equal(body.status, "queued");
      const [e] = await intake.events();
      assert.equal(e.type, "RunRequested");
      assert.equal((e.data as { runId: string }).runId, body.runId);
      // The real peer address is 127.0.0.1: inside the Jira list, outside the GitHub one.
      const gh = await fetch(`${server.url}/github/webhook`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: "{}",
      });
      assert.equal(gh.status, 403);
      assert.equal((await gh.json()).error, "forbidden");
      // Over the limit by Content-Length, over the wire.
      const big = await fetch(`${server.url}/jira/webhook`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Jira-Webhook-Secret": JIRA_SECRET },
        body: JSON.stringify({ issueKey: "MWC-2", pad: "z".repeat(5000) }),
      });
      assert.equal(big.status, 413);
      assert.equal((await big.json()).error, "payload_too_large");
      const log = intake.logs.map((l) => JSON.parse(l)).find((l) => l.status === 200);
      assert.equal(log?.client, "127.0.0.1");
      assert.equal(await intake.store.headPosition(), 1);
    } finally {
      await server.shutdown();
    }
  }, {
    options: {
      allowList: { jira: ["127.0.0.0/8", "::1/128"], github: ["10.0.0.0/8"] },
      bodyLimitBytes: 4096,
    },
  });
});

Deno.test("server: on abort, the request in flight completes and is stored; then no more connections", async () => {
  await withIntake(async (intake) => {
    const arrived = Promise.withResolvers<void>();
    const controller = new AbortController();
    const server = await startServer({
      app: {
        fetch: (req, info) => {
          arrived.resolve();
          return intake.app.fetch(req, info);
        },
      },
      port: 0,
      signal: controller.signal,
      shutdownSignals: [],
    });
    let push!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (push = c) });
    push.enqueue(enc.encode('{"issueKey": '));
    const pending = fetch(`${server.url}/jira/webhook`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Jira-Webhook-Secret": JIRA_SECRET },
      body,
    });
    await arrived.promise; // the server is handling it, with half a body
    controller.abort(); // shut down while it is in flight
    // While draining, a new request is refused (and so not acknowledged).
    const late = await fetch(`${server.url}/jira/webhook`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Jira-Webhook-Secret": JIRA_SECRET },
      body: JSON.stringify({ issueKey: "MWC-78" }),
    });
    assert.equal(late.status, 503);
    assert.equal((await late.json()).error, "shutting_down");
    push.enqueue(enc.encode('"MWC-77"}'));
    push.close();
    const res = await pending;
    const answer = await res.json();
    assert.equal(res.status, 200, JSON.stringify(answer));
    assert.equal(answer.status, "queued");
    await server.finished;
    const events = await intake.events();
    assert.deepEqual(events.map((e) => e.stream), ["issue-MWC-77"]);
    const [e] = events;
    assert.equal((e.data as { runId: string }).runId, answer.runId);
    await assert.rejects(fetch(`${server.url}/healthz`));
  });
});

Deno.test("server: SIGTERM in a child process drains the request in flight, then exits 0", async () => {
  const dir = await Deno.makeTempDir({ prefix: "intake-sigterm-" });
  const db = `${dir}/runner.db`;
  const root = new URL("../../", import.meta.url).href;
  const script = `
    import { createApp } from "${root}adapters/http/app.ts";
    import { createMetrics } from "${root}adapters/http/metrics.ts";
    import { startServer } from "${root}adapters/http/server.ts";
    import { openSqliteStore } from "${root}adapters/eventstore/sqlite/mod.ts";
    import { JsonLogger } from "${root}adapters/log/json_logger.ts";
    const store = openSqliteStore(${JSON.stringify(db)});
    const logger = new JsonLogger({ level: "warn" });
    const app = createApp({ store, logger, metrics: createMetrics(), options: {
      jiraWebhookSecret: ${
    JSON.stringify(JIRA_SECRET)
  }, githubWebhookSecret: "g", aiAccountId: "ai" } });
    const server = await startServer({ app: { fetch: (r, i) => {
      console.log("ARRIVED"); return app.fetch(r, i); } }, port: 0, logger });
    console.log("LISTENING " + server.url);
    await server.finished;
    await store.close();
    console.log("STOPPED");
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", script],
    cwd: new URL("../../", import.meta.url),
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  const nextLine = async (prefix: string): Promise<string> => {
    while (true) {
      const i = buffered.indexOf("\n");
      if (i >= 0) {
        const line = buffered.slice(0, i);
        buffered = buffered.slice(i + 1);
        if (line.startsWith(prefix)) return line;
        continue;
      }
      const { value, done } = await lines.read();
      if (done) throw new Error(`child ended before ${prefix}`);
      buffered += value;
    }
  };
  try {
    const url = (await nextLine("LISTENING ")).slice("LISTENING ".length);
    let push!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (push = c) });
    push.enqueue(enc.encode('{"issueKey": '));
    const pending = fetch(`${url}/jira/webhook`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Jira-Webhook-Secret": JIRA_SECRET },
      body,
    });
    await nextLine("ARRIVED");
    child.kill("SIGTERM");
    push.enqueue(enc.encode('"MWC-88"}'));
    push.close();
    const res = await pending;
    assert.equal(res.status, 200);
    const answer = await res.json();
    await nextLine("STOPPED");
    const status = await child.status;
    assert.equal(status.code, 0);
    const store = openSqliteStore(db);
    try {
      const events = await store.readAll(0, 10);
      assert.equal(events.length, 1);
      assert.equal(events[0].stream, "issue-MWC-88");
      assert.equal((events[0].data as { runId: string }).runId, answer.runId);
    } finally {
      await store.close();
    }
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // already exited
    }
    await lines.cancel().catch(() => {});
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
});
