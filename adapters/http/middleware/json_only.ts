/**
 * Requires a JSON body (`Content-Type: application/json` or `…+json`): anything
 * else is refused with 415 and a hint for the sender's configuration.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import type { IntakeEnv } from "../context.ts";
import { HttpError } from "../errors.ts";

const JSON_TYPE = /^application\/(?:[a-z0-9.+-]+\+)?json\s*(?:;.*)?$/i;

/** True when a `Content-Type` value names JSON. */
export function isJsonContentType(value: string | undefined | null): boolean {
  return typeof value === "string" && JSON_TYPE.test(value.trim());
}

/** Refuses non-JSON bodies with 415; `hint` tells the operator how to fix the sender. */
export function jsonOnly(hint: (contentType: string | undefined) => string): MiddlewareHandler<
  IntakeEnv
> {
  return async (c, next) => {
    const type = c.req.header("content-type");
    if (!isJsonContentType(type)) throw new HttpError(415, "unsupported_media_type", hint(type));
    await next();
  };
}
