/**
 * The request timeout: a client gets `ms` to deliver its whole request. Sets a
 * `deadline` signal that body reading honours (408 when it fires). Once the
 * request is in, the handler's work (the append) is never cut short: an answer
 * that raced an append could deny an event that was in fact stored.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import type { IntakeEnv } from "../context.ts";

/** Sets `deadline`, aborted `ms` after the request arrived; the timer ends with the request. */
export function requestTimeout(ms: number): MiddlewareHandler<IntakeEnv> {
  return async (c, next) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), ms);
    c.set("deadline", controller.signal);
    try {
      await next();
    } finally {
      clearTimeout(timer);
    }
  };
}
