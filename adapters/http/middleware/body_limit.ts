/**
 * Reads the body once, within a size limit and the request deadline, and leaves
 * the raw bytes as `rawBody` (signatures are computed over exactly these bytes).
 * Too large: 413, by `Content-Length` before reading and by the bytes actually
 * streamed (a chunked or lying sender cannot get past it). Too slow: 408.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import type { IntakeEnv } from "../context.ts";
import { HttpError } from "../errors.ts";

function tooLarge(limit: number): HttpError {
  return new HttpError(
    413,
    "payload_too_large",
    `the request body is larger than the limit of ${limit} bytes`,
    { Connection: "close" },
  );
}

function tooSlow(): HttpError {
  return new HttpError(
    408,
    "request_timeout",
    "the request body did not arrive in time",
    { Connection: "close" },
  );
}

/**
 * Reads a body stream into one buffer. Throws an {@link HttpError} 413 past
 * `limit` bytes and 408 when `deadline` aborts first; either way the stream is
 * cancelled. (On abort the pending read is ended by cancelling the reader, which
 * avoids racing every read against a timer.)
 */
export async function readBodyWithin(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
  deadline?: AbortSignal,
): Promise<Uint8Array> {
  if (body === null) return new Uint8Array(0);
  if (deadline?.aborted) {
    await body.cancel().catch(() => {});
    throw tooSlow();
  }
  const reader = body.getReader();
  const onAbort = () => void reader.cancel().catch(() => {});
  deadline?.addEventListener("abort", onAbort, { once: true });
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (true) {
      const next = await reader.read();
      if (deadline?.aborted) throw tooSlow();
      if (next.done) break;
      total += next.value.byteLength;
      if (total > limit) {
        await reader.cancel().catch(() => {});
        throw tooLarge(limit);
      }
      chunks.push(next.value);
    }
  } catch (e) {
    if (e instanceof HttpError) throw e;
    // The client went away or sent a broken stream: nothing of it is kept.
    throw new HttpError(400, "bad_body", "the request body could not be read");
  } finally {
    deadline?.removeEventListener("abort", onAbort);
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** Refuses bodies over `limit` bytes with 413 and leaves the body as `rawBody`. */
export function bodyLimit(limit: number): MiddlewareHandler<IntakeEnv> {
  return async (c, next) => {
    const declared = c.req.header("content-length");
    if (declared !== undefined) {
      if (!/^\d{1,15}$/.test(declared.trim())) {
        throw new HttpError(400, "bad_content_length", "Content-Length is not a number");
      }
      if (Number(declared) > limit) throw tooLarge(limit);
    }
    c.set("rawBody", await readBodyWithin(c.req.raw.body, limit, c.get("deadline")));
    await next();
  };
}
