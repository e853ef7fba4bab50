/**
 * A deadline on request headers, which `Deno.serve` does not have (nor does
 * Deno's `node:http`, whose `headersTimeout` is ignored): a connection that has
 * not sent its complete header block within `headerTimeoutMs` is answered 408
 * and closed, and one whose headers grow past `maxHeaderBytes` gets 431. Slow
 * bodies are the request-timeout middleware's business.
 *
 * It is a small TCP front on the public address: it reads each connection's
 * header block under the deadline, then connects to the real server on a
 * loopback port and splices the two connections together. The real server sees
 * the front's loopback address, so {@link HeaderGuard.peerOf} maps it back to
 * the client's. The request is passed on with `Connection: close`, so the
 * server closes the connection after its answer: each connection carries one
 * request, and every request's headers are under the deadline.
 *
 * @module
 */
import type { Logger } from "../../domain/ports/logger.ts";

/** Options of {@link startHeaderGuard}. */
export interface HeaderGuardOptions {
  /** The public address. */
  hostname: string;
  port: number;
  /** The real server, on loopback. */
  upstream: { hostname: string; port: number };
  /** Time a client has to send its whole header block. */
  headerTimeoutMs: number;
  /** Largest header block accepted. */
  maxHeaderBytes: number;
  logger?: Logger;
}

/** A running header guard. */
export interface HeaderGuard {
  /** The public address it listens on. */
  readonly addr: Deno.NetAddr;
  /** The client behind an upstream connection, by the upstream connection's local port. */
  peerOf(upstreamLocalPort: number): Deno.NetAddr | undefined;
  /** Stops accepting connections (those already spliced go on). */
  stopAccepting(): void;
  /**
   * Closes the connections still reading their headers and waits for the
   * spliced ones to end (call it after the server behind has shut down, which
   * ends them once their answers are through).
   */
  close(): Promise<void>;
}

const END_OF_HEADERS = new Uint8Array([13, 10, 13, 10]);

function indexOfEnd(buffer: Uint8Array, length: number, from: number): number {
  outer: for (let i = Math.max(0, from); i + 4 <= length; i++) {
    for (let j = 0; j < 4; j++) if (buffer[i + j] !== END_OF_HEADERS[j]) continue outer;
    return i;
  }
  return -1;
}

function answer(status: string, detail: string): Uint8Array {
  const body = JSON.stringify({ error: status.split(" ")[1].toLowerCase(), detail });
  return new TextEncoder().encode(
    `HTTP/1.1 ${status}\r\nContent-Type: application/json\r\nConnection: close\r\n` +
      `Content-Length: ${new TextEncoder().encode(body).length}\r\n\r\n${body}`,
  );
}

const latin1 = new TextDecoder("latin1");

/**
 * The header block with its `Connection` header(s) replaced by
 * `Connection: close`, followed by whatever body bytes were already read.
 */
export function closingHead(bytes: Uint8Array, end: number): Uint8Array {
  const lines = latin1.decode(bytes.subarray(0, end)).split("\r\n");
  const kept: string[] = [lines[0]];
  let dropping = false;
  for (const line of lines.slice(1)) {
    if (/^[ \t]/.test(line) && dropping) continue; // an obsolete folded continuation
    dropping = /^connection\s*:/i.test(line);
    if (!dropping) kept.push(line);
  }
  kept.push("Connection: close");
  const head = Uint8Array.from(`${kept.join("\r\n")}\r\n\r\n`, (c) => c.charCodeAt(0) & 0xff);
  const rest = bytes.subarray(end + 4);
  const out = new Uint8Array(head.length + rest.length);
  out.set(head);
  out.set(rest, head.length);
  return out;
}

/** Starts the front; resolves once it listens. */
export function startHeaderGuard(options: HeaderGuardOptions): HeaderGuard {
  const listener = Deno.listen({ hostname: options.hostname, port: options.port });
  const peers = new Map<number, Deno.NetAddr>();
  /** Connections still reading their headers (closed at once on close). */
  const open = new Set<Deno.Conn>();
  /** Spliced connections: they end when the server closes its side. */
  const spliced = new Set<Promise<void>>();
  let accepting = true;

  const closeQuietly = (conn: Deno.Conn) => {
    open.delete(conn);
    try {
      conn.close();
    } catch { /* already closed */ }
  };

  /**
   * Reads the header block under the deadline: the bytes to pass on (the head
   * asking the server to close after its answer), or null (answered and closed).
   */
  const readHead = async (conn: Deno.Conn): Promise<Uint8Array | null> => {
    const buffer = new Uint8Array(options.maxHeaderBytes + 4);
    let length = 0;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      // Closing the read side ends the pending read; the answer goes out first.
      void conn.write(answer("408 Request Timeout", "the request headers took too long"))
        .catch(() => {})
        .finally(() => closeQuietly(conn));
    }, options.headerTimeoutMs);
    try {
      for (;;) {
        if (length >= buffer.length) {
          await conn.write(answer("431 Request Header Fields Too Large", "headers too large"));
          closeQuietly(conn);
          return null;
        }
        const n = await conn.read(buffer.subarray(length));
        if (n === null || timedOut) {
          if (!timedOut) closeQuietly(conn);
          return null;
        }
        const from = length - 3;
        length += n;
        const end = indexOfEnd(buffer, length, from);
        if (end >= 0) return closingHead(buffer.subarray(0, length), end);
      }
    } catch {
      if (!timedOut) closeQuietly(conn);
      return null;
    } finally {
      clearTimeout(timer);
    }
  };

  const splice = async (client: Deno.Conn) => {
    const head = await readHead(client);
    if (head === null) return;
    let upstream: Deno.Conn;
    try {
      upstream = await Deno.connect(options.upstream);
    } catch (error) {
      options.logger?.error("header guard: the server behind it cannot be reached", { error });
      closeQuietly(client);
      return;
    }
    open.delete(client);
    const localPort = (upstream.localAddr as Deno.NetAddr).port;
    peers.set(localPort, client.remoteAddr as Deno.NetAddr);
    try {
      await upstream.write(head);
      // Either direction ending ends both: the server closes after its one response.
      await Promise.race([
        client.readable.pipeTo(upstream.writable, { preventClose: true }).catch(() => {}),
        upstream.readable.pipeTo(client.writable, { preventClose: true }).catch(() => {}),
      ]);
    } catch {
      /* a side went away */
    } finally {
      peers.delete(localPort);
      closeQuietly(upstream);
      closeQuietly(client);
    }
  };

  const loop = (async () => {
    while (accepting) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch {
        break; // the listener was closed
      }
      open.add(conn);
      const done = splice(conn);
      spliced.add(done);
      void done.finally(() => spliced.delete(done));
    }
  })();

  const stopAccepting = () => {
    if (!accepting) return;
    accepting = false;
    try {
      listener.close();
    } catch { /* already closed */ }
  };

  return {
    addr: listener.addr as Deno.NetAddr,
    peerOf: (port) => peers.get(port),
    stopAccepting,
    async close() {
      stopAccepting();
      for (const conn of [...open]) closeQuietly(conn);
      await loop;
      await Promise.all([...spliced]);
    },
  };
}
