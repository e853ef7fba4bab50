/**
 * Error answers of the intake: every refusal is JSON `{error, detail}` with a
 * 4xx status, raised as an {@link HttpError} anywhere and rendered once by the
 * app's error handler.
 *
 * @module
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** A refusal with a status, a stable machine-readable code and a sentence for people. */
export class HttpError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    readonly detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(`${status} ${code}: ${detail}`);
    this.name = "HttpError";
  }
}

/** The JSON body of an error answer. */
export interface ErrorBody {
  error: string;
  detail: string;
}

/** Renders an error answer. */
export function errorResponse(
  c: Context,
  status: ContentfulStatusCode,
  code: string,
  detail: string,
  headers: Record<string, string> = {},
): Response {
  for (const [k, v] of Object.entries(headers)) c.header(k, v);
  return c.json({ error: code, detail } satisfies ErrorBody, status);
}

/** A 400 for a body that does not say what the route needs. */
export function badRequest(code: string, detail: string): HttpError {
  return new HttpError(400, code, detail);
}
