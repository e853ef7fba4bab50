/**
 * Resolves the client address once per request (the TCP peer, or the forwarded
 * client behind a trusted proxy) and leaves it as `client`.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import type { IntakeEnv } from "../context.ts";
import type { Cidr } from "../net/cidr.ts";
import { type ClientAddress, resolveClient } from "../net/client_address.ts";

/** Resolved addresses remembered (by peer and header), so busy clients are parsed once. */
const CACHE_SIZE = 1024;

/** Sets `client` from the connection info and `X-Forwarded-For`. */
export function clientAddress(trustedProxies: readonly Cidr[]): MiddlewareHandler<IntakeEnv> {
  const cache = new Map<string, ClientAddress>();
  return async (c, next) => {
    const peer = c.env?.remoteAddr?.hostname;
    const forwarded = c.req.header("x-forwarded-for");
    const key = forwarded === undefined ? `${peer}` : `${peer}|${forwarded}`;
    let client = cache.get(key);
    if (!client) {
      client = resolveClient(peer, forwarded, trustedProxies);
      if (cache.size >= CACHE_SIZE) cache.clear();
      cache.set(key, client);
    }
    c.set("client", client);
    await next();
  };
}
