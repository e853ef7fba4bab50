/**
 * Optional CIDR allow-list of a route: a client outside every listed range gets
 * 403. Fails closed: an unknown or unparsable client address is never allowed.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import type { IntakeEnv } from "../context.ts";
import { HttpError } from "../errors.ts";
import { anyContains, type Cidr } from "../net/cidr.ts";

/** Refuses clients outside `ranges`; with `null` (no list configured) lets everyone through. */
export function allowList(ranges: readonly Cidr[] | null): MiddlewareHandler<IntakeEnv> {
  return async (c, next) => {
    if (ranges !== null && !anyContains(ranges, c.get("client").ip)) {
      throw new HttpError(403, "forbidden", "this address is not allowed to call this endpoint");
    }
    await next();
  };
}
