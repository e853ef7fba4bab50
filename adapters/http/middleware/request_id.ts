/**
 * Request ids: a client's `X-Request-Id` is kept when it is a sane token,
 * otherwise one is generated; either way it is echoed on the answer and
 * available to later middlewares as `requestId`.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import type { IntakeEnv } from "../context.ts";

const SANE_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

/** Sets `requestId` and the `X-Request-Id` answer header. */
export function requestId(generate: () => string = () => crypto.randomUUID()): MiddlewareHandler<
  IntakeEnv
> {
  return async (c, next) => {
    const given = c.req.header("x-request-id");
    const id = given !== undefined && SANE_ID.test(given) ? given : generate();
    c.set("requestId", id);
    c.header("X-Request-Id", id);
    await next();
  };
}
