/**
 * Resolves the client address once per request (the TCP peer, or the forwarded
 * client behind a trusted proxy) and leaves it as `client`.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import type { IntakeEnv } from "../context.ts";
import type { Cidr } from "../net/cidr.ts";
import { resolveClient } from "../net/client_address.ts";

/** Sets `client` from the connection info and `X-Forwarded-For`. */
export function clientAddress(trustedProxies: readonly Cidr[]): MiddlewareHandler<IntakeEnv> {
  return async (c, next) => {
    const peer = c.env?.remoteAddr?.hostname;
    c.set("client", resolveClient(peer, c.req.header("x-forwarded-for"), trustedProxies));
    await next();
  };
}
