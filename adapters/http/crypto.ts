/**
 * Constant-time checks of shared secrets and HMAC signatures, and body hashes.
 * Comparisons run over equal-length digests so that neither the content nor
 * the length of the expected secret leaks through timing.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** sha256 of bytes or text, as lowercase hex. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

function sha256(data: string): Uint8Array {
  return createHash("sha256").update(data, "utf8").digest();
}

/**
 * A checker for one shared secret: true when `provided` equals it, compared in
 * constant time over sha256 digests. An empty secret matches nothing.
 */
export function secretMatcher(secret: string): (provided: string | null | undefined) => boolean {
  const expected = sha256(secret);
  return (provided) => {
    if (!secret || typeof provided !== "string") return false;
    return timingSafeEqual(sha256(provided), expected);
  };
}

const SIGNATURE_256 = /^sha256=([0-9a-fA-F]{64})$/;

/**
 * True when `header` (`X-Hub-Signature-256`: `sha256=<hex>`) is the HMAC-SHA256
 * of the raw body under `secret`, compared in constant time. An empty secret or
 * a malformed header never matches.
 */
export function githubSignatureMatches(
  secret: string,
  rawBody: Uint8Array,
  header: string | null | undefined,
): boolean {
  if (!secret || typeof header !== "string") return false;
  const m = SIGNATURE_256.exec(header.trim());
  if (!m) return false;
  const given = Buffer.from(m[1], "hex");
  const expected = createHmac("sha256", secret).update(rawBody).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The `X-Hub-Signature-256` value for a body (for tests, fakes and benches). */
export function githubSignature(secret: string, rawBody: Uint8Array | string): string {
  return `sha256=${createHmac("sha256", secret).update(rawBody).digest("hex")}`;
}
