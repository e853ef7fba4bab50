/**
 * Decodes a raw request body as UTF-8 JSON, answering 400 with a short reason
 * for anything that is not.
 *
 * @module
 */
import { HttpError } from "./errors.ts";

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** The JSON value of a raw body; throws {@link HttpError} 400 when it is not UTF-8 JSON. */
export function parseJsonBody(raw: Uint8Array): unknown {
  if (raw.byteLength === 0) throw new HttpError(400, "invalid_json", "the request body is empty");
  let text: string;
  try {
    text = decoder.decode(raw);
  } catch {
    throw new HttpError(400, "invalid_json", "the request body is not valid UTF-8");
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    const reason = e instanceof Error ? e.message.slice(0, 160) : "parse error";
    throw new HttpError(400, "invalid_json", `the request body is not valid JSON (${reason})`);
  }
}
