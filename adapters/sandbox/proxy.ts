/**
 * The host side of `allowHosts`: an HTTP proxy on a unix socket that the
 * sandbox reaches through a bridge (the sandbox has no network of its own).
 * It opens a connection only to hosts the routing entry allows: `CONNECT
 * host:port` for HTTPS, absolute-form requests for plain HTTP (forwarded with
 * `Connection: close`, so one connection never serves a second host).
 * Everything else is answered 403.
 *
 * @module
 */
import { hostAllowed } from "./allow_hosts.ts";

const MAX_HEAD = 64 * 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A running proxy; `close` ends it and every connection it holds. */
export interface AllowListProxy {
  /** The unix socket path. */
  path: string;
  /** `host:port`s that were refused, for the command's output. */
  denied: Set<string>;
  close(): Promise<void>;
}

/** Starts a proxy on a unix socket at `path` allowing `hosts`. */
export function startAllowListProxy(path: string, hosts: readonly string[]): AllowListProxy {
  const listener = Deno.listen({ transport: "unix", path });
  const open = new Set<Deno.Conn>();
  const denied = new Set<string>();
  const serving = (async () => {
    try {
      for await (const conn of listener) {
        open.add(conn);
        handle(conn, hosts, denied, open).finally(() => {
          open.delete(conn);
          try {
            conn.close();
          } catch { /* closed */ }
        });
      }
    } catch { /* listener closed */ }
  })();
  return {
    path,
    denied,
    async close() {
      try {
        listener.close();
      } catch { /* closed */ }
      for (const conn of open) {
        try {
          conn.close();
        } catch { /* closed */ }
      }
      await serving;
    },
  };
}

/** Reads up to the end of the request head; null when the client went away or sent too much. */
async function readHead(conn: Deno.Conn): Promise<{ head: string; rest: Uint8Array } | null> {
  const buffer = new Uint8Array(MAX_HEAD);
  let size = 0;
  while (size < MAX_HEAD) {
    const n = await conn.read(buffer.subarray(size));
    if (n === null) return null;
    size += n;
    const text = decoder.decode(buffer.subarray(0, size));
    const end = text.indexOf("\r\n\r\n");
    if (end >= 0) {
      const headBytes = encoder.encode(text.slice(0, end + 4)).length;
      return { head: text.slice(0, end), rest: buffer.slice(headBytes, size) };
    }
  }
  return null;
}

async function answer(conn: Deno.Conn, status: string, body: string): Promise<void> {
  await conn.write(encoder.encode(
    `HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\nContent-Length: ${
      encoder.encode(body).length
    }\r\nConnection: close\r\n\r\n${body}`,
  )).catch(() => 0);
}

/** Splits `host:port` (IPv6 in brackets). */
function splitHostPort(text: string, defaultPort: number): { host: string; port: number } | null {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s/]+)(?::(\d{1,5}))?$/.exec(text);
  if (!m) return null;
  const port = m[2] ? Number(m[2]) : defaultPort;
  if (port < 1 || port > 65535) return null;
  return { host: m[1].replace(/^\[|\]$/g, ""), port };
}

async function handle(
  conn: Deno.Conn,
  hosts: readonly string[],
  denied: Set<string>,
  open: Set<Deno.Conn>,
): Promise<void> {
  const request = await readHead(conn).catch(() => null);
  if (!request) return;
  const [requestLine, ...headers] = request.head.split("\r\n");
  const [method, target, version] = requestLine.split(" ");
  let destination: { host: string; port: number } | null = null;
  let forwardHead: string | null = null;
  if (method === "CONNECT") {
    destination = splitHostPort(target ?? "", 443);
  } else {
    let url: URL | null = null;
    try {
      url = new URL(target ?? "");
    } catch { /* not absolute-form */ }
    if (url && url.protocol === "http:") {
      destination = splitHostPort(url.host, 80);
      const kept = headers.filter((h) => !/^(proxy-[a-z-]+|connection|keep-alive):/i.test(h));
      forwardHead = [
        `${method} ${url.pathname}${url.search} ${version ?? "HTTP/1.1"}`,
        ...kept,
        "Connection: close",
      ].join("\r\n") + "\r\n\r\n";
    }
  }
  if (!destination) {
    return await answer(conn, "400 Bad Request", "ai-runner sandbox proxy: unsupported request\n");
  }
  const where = `${destination.host}:${destination.port}`;
  if (!hostAllowed(hosts, destination.host, destination.port)) {
    denied.add(where);
    return await answer(
      conn,
      "403 Forbidden",
      `ai-runner sandbox: ${where} is not in this repository's allowHosts\n`,
    );
  }
  let upstream: Deno.Conn;
  try {
    upstream = await Deno.connect({ hostname: destination.host, port: destination.port });
  } catch (error) {
    return await answer(conn, "502 Bad Gateway", `could not reach ${where}: ${String(error)}\n`);
  }
  open.add(upstream);
  try {
    if (forwardHead === null) {
      await conn.write(encoder.encode("HTTP/1.1 200 Connection Established\r\n\r\n"));
    } else {
      await upstream.write(encoder.encode(forwardHead));
    }
    if (request.rest.length) await upstream.write(request.rest);
    await Promise.all([
      conn.readable.pipeTo(upstream.writable).catch(() => {}),
      upstream.readable.pipeTo(conn.writable).catch(() => {}),
    ]);
  } catch {
    /* either side went away */
  } finally {
    open.delete(upstream);
    try {
      upstream.close();
    } catch { /* closed */ }
  }
}

/**
 * The bridge run inside the sandbox: listens on loopback (the only interface
 * a sandbox without network has) and joins each connection to the proxy's
 * socket. Written to a file and run by the runner's own Deno binary.
 */
export const BRIDGE_SCRIPT = `
const listener = Deno.listen({ hostname: "127.0.0.1", port: ${3128} });
Deno.writeTextFileSync("/tmp/.sandbox-proxy-ready", "");
for await (const conn of listener) {
  (async () => {
    try {
      const up = await Deno.connect({ transport: "unix", path: "/.sandbox/proxy.sock" });
      await Promise.all([
        conn.readable.pipeTo(up.writable).catch(() => {}),
        up.readable.pipeTo(conn.writable).catch(() => {}),
      ]);
    } catch { try { conn.close(); } catch {} }
  })();
}
`;
