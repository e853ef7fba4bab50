/**
 * Serves an app over `Deno.serve` with graceful shutdown: on SIGTERM/SIGINT or
 * when `signal` aborts, the server stops taking new requests, lets the requests
 * in flight finish (and with them their appends: a webhook is answered only
 * after its event is stored), closes, and then `finished` resolves.
 *
 * A client must send its request headers within `headerTimeoutMs` (default
 * 5 s): `Deno.serve` has no such deadline, so a small TCP front
 * (`header_guard.ts`) enforces it, one request per connection.
 *
 * @module
 */
import type { Logger } from "../../domain/ports/logger.ts";
import { type HeaderGuard, startHeaderGuard } from "./header_guard.ts";

/** Anything with a fetch handler taking Deno's connection info (a Hono app). */
export interface FetchApp {
  fetch(request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>): Response | Promise<Response>;
}

/** Options of {@link startServer}. */
export interface StartServerOptions {
  app: FetchApp;
  /** Interface to listen on; default `127.0.0.1`. */
  hostname?: string;
  /** Port; 0 picks a free one (see {@link RunningServer.addr}). */
  port: number;
  /** Aborting it shuts the server down gracefully. */
  signal?: AbortSignal;
  /** OS signals that shut the server down gracefully; default SIGTERM and SIGINT. */
  shutdownSignals?: Deno.Signal[];
  /** Longest wait for requests in flight before closing anyway; default 30 s. */
  drainTimeoutMs?: number;
  /**
   * Time a client has to send its request headers before the connection is
   * closed; default {@link DEFAULT_HEADER_TIMEOUT_MS}; 0 turns the deadline off
   * (`Deno.serve` alone: keep-alive, no header deadline).
   */
  headerTimeoutMs?: number;
  /** Largest request header block (431 beyond); default 64 KiB. */
  maxHeaderBytes?: number;
  logger?: Logger;
}

/** Default time to send the request headers: 5 s (nginx's `client_header_timeout` is 60 s). */
export const DEFAULT_HEADER_TIMEOUT_MS = 5_000;

/** A listening server. */
export interface RunningServer {
  /** The address it listens on (the real port when 0 was asked). */
  readonly addr: Deno.NetAddr;
  /** `http://host:port` of the server. */
  readonly url: string;
  /** Resolves once the server has shut down and every in-flight request has finished. */
  readonly finished: Promise<void>;
  /** Shuts down gracefully; resolves like {@link finished}. Safe to call more than once. */
  shutdown(): Promise<void>;
}

const SHUTTING_DOWN = JSON.stringify({
  error: "shutting_down",
  detail: "the server is shutting down; retry shortly",
});

/** A listen failure that names the address, and the fix when the port is taken. */
function listenError(error: unknown, hostname: string, port: number): Error {
  if (error instanceof Deno.errors.AddrInUse) {
    return new Error(
      `cannot listen on ${hostname}:${port}: the address is already in use ` +
        `(another process listens on port ${port}; stop it or set PORT)`,
    );
  }
  if (
    error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.AddrNotAvailable
  ) {
    return new Error(`cannot listen on ${hostname}:${port}: ${(error as Error).message}`);
  }
  return error as Error;
}

/**
 * Starts serving `app`; resolves once the server listens.
 *
 * Shutdown happens in two steps, because `Deno.serve`'s own shutdown cuts off
 * request bodies still being received: first the requests in flight are let
 * finish (new ones get 503 with `Connection: close`, so nothing new is
 * acknowledged), then the listener and idle connections are closed.
 */
export function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { app, logger } = options;
  const hostname = options.hostname ?? "127.0.0.1";
  let inFlight = 0;
  let draining = false;
  let drained: PromiseWithResolvers<void> | null = null;
  const headerTimeoutMs = options.headerTimeoutMs ?? DEFAULT_HEADER_TIMEOUT_MS;
  let guard: HeaderGuard | null = null;
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = serve();
  } catch (error) {
    return Promise.reject(listenError(error, hostname, options.port));
  }
  function serve() {
    return Deno.serve({
      // Behind the header guard, the real server listens on loopback only.
      hostname: headerTimeoutMs > 0 ? "127.0.0.1" : hostname,
      port: headerTimeoutMs > 0 ? 0 : options.port,
      onListen: () => {},
      onError: (error) => {
        logger?.error("unhandled error in the HTTP server", { error });
        return new Response(
          JSON.stringify({
            error: "internal_error",
            detail: "the server failed to handle the request",
          }),
          { status: 500, headers: { "Content-Type": "application/json" } },
        );
      },
      handler: async (request, info) => {
        if (draining) {
          return new Response(SHUTTING_DOWN, {
            status: 503,
            headers: {
              "Content-Type": "application/json",
              Connection: "close",
              "Retry-After": "5",
            },
          });
        }
        inFlight++;
        try {
          if (!guard) return await app.fetch(request, info);
          const peer = guard.peerOf(info.remoteAddr.port);
          return await app.fetch(request, peer ? { ...info, remoteAddr: peer } : info);
        } finally {
          inFlight--;
          if (draining && inFlight === 0) drained?.resolve();
        }
      },
    });
  }
  if (headerTimeoutMs > 0) {
    try {
      guard = startHeaderGuard({
        hostname,
        port: options.port,
        upstream: { hostname: "127.0.0.1", port: server.addr.port },
        headerTimeoutMs,
        maxHeaderBytes: options.maxHeaderBytes ?? 64 * 1024,
        logger,
      });
    } catch (error) {
      void server.shutdown();
      return Promise.reject(listenError(error, hostname, options.port));
    }
  }
  const addr = guard?.addr ?? server.addr;
  const host = addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname;
  const url = `http://${host}:${addr.port}`;
  logger?.info("http server listening", { url });

  const signals = options.shutdownSignals ?? ["SIGTERM", "SIGINT"];
  const drainTimeoutMs = options.drainTimeoutMs ?? 30_000;
  let stopping: Promise<void> | null = null;
  const onSignal = () => void shutdown();
  const drain = async (): Promise<void> => {
    draining = true;
    if (inFlight === 0) return;
    drained = Promise.withResolvers<void>();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        logger?.warn("requests still in flight after the drain timeout", { inFlight });
        resolve();
      }, drainTimeoutMs);
    });
    await Promise.race([drained.promise, timeout]);
    clearTimeout(timer);
  };
  const shutdown = (): Promise<void> => {
    if (stopping) return stopping;
    logger?.info("http server shutting down: finishing requests in flight", { url, inFlight });
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
    options.signal?.removeEventListener("abort", onSignal);
    stopping = drain()
      .then(() => guard?.stopAccepting())
      .then(() => server.shutdown())
      .then(() => server.finished)
      .then(() => guard?.close())
      .then(() => logger?.info("http server stopped", { url }));
    return stopping;
  };
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  if (options.signal?.aborted) void shutdown();
  else options.signal?.addEventListener("abort", onSignal, { once: true });

  const finished = server.finished.then(() => stopping ?? guard?.close());
  return Promise.resolve({ addr, url, finished, shutdown });
}
