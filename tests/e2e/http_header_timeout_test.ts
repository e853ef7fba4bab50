/**
 * Slow headers: connections that never finish their request headers are
 * answered 408 and closed by the server (`Deno.serve` alone keeps them open
 * indefinitely). The tests wait for the server to close each socket; the
 * deadline they configure is the server's, and the only other bound is a
 * safety net that turns a hang into a failure.
 *
 * @module
 */
import assert from "node:assert/strict";
import { closingHead } from "../../adapters/http/header_guard.ts";
import { startServer } from "../../adapters/http/server.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Reads until the server closes the connection; everything it sent. */
async function readUntilClosed(conn: Deno.Conn): Promise<string> {
  const chunks: string[] = [];
  const buffer = new Uint8Array(4096);
  for (;;) {
    let n: number | null;
    try {
      n = await conn.read(buffer);
    } catch {
      break; // reset by the server
    }
    if (n === null) break;
    chunks.push(dec.decode(buffer.subarray(0, n)));
  }
  conn.close();
  return chunks.join("");
}

/** Fails instead of hanging when a connection is never closed (not a timing assertion). */
function safetyNet<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const net = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still open after 120 s`)), 120_000);
  });
  return Promise.race([work, net]).finally(() => clearTimeout(timer));
}

type Seen = { port: number | null };

async function withServer(
  fn: (url: URL, seen: Seen) => Promise<void>,
  options: { headerTimeoutMs?: number; maxHeaderBytes?: number } = {},
) {
  const seen: Seen = { port: null };
  const controller = new AbortController();
  const server = await startServer({
    app: {
      fetch: (_request, info) => {
        seen.port = info.remoteAddr.port;
        return new Response(JSON.stringify({ peer: info.remoteAddr }), {
          headers: { "content-type": "application/json" },
        });
      },
    },
    port: 0,
    signal: controller.signal,
    shutdownSignals: [],
    headerTimeoutMs: options.headerTimeoutMs ?? 500,
    maxHeaderBytes: options.maxHeaderBytes,
  });
  try {
    await fn(new URL(server.url), seen);
  } finally {
    controller.abort();
    await server.finished;
  }
}

const connect = (url: URL) => Deno.connect({ hostname: url.hostname, port: Number(url.port) });

Deno.test("attack: 200 connections that never finish their headers are all answered 408 and closed", async () => {
  await withServer(async (url) => {
    const conns = await Promise.all(Array.from({ length: 200 }, () => connect(url)));
    await Promise.all(
      conns.map((c, i) =>
        c.write(enc.encode(`POST /jira/webhook HTTP/1.1\r\nHost: x\r\nX-Slow-${i}: `))
      ),
    );
    const answers = await safetyNet(Promise.all(conns.map(readUntilClosed)), "slow headers");
    for (const a of answers) assert.match(a, /^HTTP\/1\.1 408 Request Timeout/);
  });
});

Deno.test("attack: a connection that sends nothing at all is closed too", async () => {
  await withServer(async (url) => {
    const conn = await connect(url);
    const answer = await safetyNet(readUntilClosed(conn), "silent connection");
    assert.match(answer, /408/);
  });
});

Deno.test("a header block over the limit gets 431 and is closed", async () => {
  await withServer(async (url) => {
    const conn = await connect(url);
    await conn.write(enc.encode(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(9000)}`))
      .catch(() => 0);
    const answer = await safetyNet(readUntilClosed(conn), "big headers");
    assert.match(answer, /^HTTP\/1\.1 431/);
  }, { maxHeaderBytes: 4096 });
});

Deno.test("positive control: a normal request is served, and the app sees the real client address", async () => {
  await withServer(async (url, seen) => {
    const conn = await connect(url);
    await conn.write(enc.encode("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
    const answer = await safetyNet(readUntilClosed(conn), "normal request");
    assert.match(answer, /^HTTP\/1\.1 200/);
    assert.match(answer, /connection: close/i);
    assert.equal(seen.port, (conn.localAddr as Deno.NetAddr).port);
    // fetch works as usual.
    const res = await fetch(new URL("/x", url));
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.peer.hostname, "127.0.0.1");
  });
});

Deno.test("each connection carries one request: a pipelined second request is not served", async () => {
  await withServer(async (url) => {
    const conn = await connect(url);
    const request = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
    await conn.write(enc.encode(request + request));
    const answer = await safetyNet(readUntilClosed(conn), "pipelined");
    assert.equal(answer.match(/HTTP\/1\.1 200/g)?.length, 1);
  });
});

Deno.test("the head passed on asks the server to close: Connection headers are replaced", () => {
  const raw = enc.encode(
    "POST /x HTTP/1.1\r\nHost: a\r\nConnection: keep-alive,\r\n Upgrade\r\n" +
      "connection : Upgrade\r\nX-A: 1\r\n\r\nbody",
  );
  const text = dec.decode(closingHead(raw, dec.decode(raw).indexOf("\r\n\r\n")));
  assert.equal(
    text,
    "POST /x HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nConnection: close\r\n\r\nbody",
  );
});
