/**
 * Who may see the dashboard: whoever presents `DASHBOARD_TOKEN`, either as
 * `Authorization: Bearer <token>` (scripts) or once through the login form,
 * which sets an HttpOnly, SameSite=Strict session cookie. The cookie holds an
 * expiry and an HMAC of it keyed by the token, never the token itself, so
 * changing the token ends every session. Every comparison is constant-time.
 *
 * @module
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { Buffer } from "node:buffer";
import { secretMatcher } from "../crypto.ts";

/** Name of the session cookie. */
export const SESSION_COOKIE = "ai_runner_session";

/** Default session lifetime: 12 hours. */
export const DEFAULT_SESSION_TTL_MS = 12 * 60 * 60 * 1000;

const VERSION = "v1";

/** Issues and checks dashboard sessions for one token. */
export class DashboardAuth {
  readonly #token: string;
  readonly #bearer: (provided: string | null | undefined) => boolean;
  readonly ttlMs: number;

  constructor(token: string, ttlMs = DEFAULT_SESSION_TTL_MS) {
    if (!token) throw new Error("a dashboard token is required");
    this.#token = token;
    this.#bearer = secretMatcher(token);
    this.ttlMs = ttlMs;
  }

  #mac(expiresAt: number): string {
    return createHmac("sha256", this.#token)
      .update(`ai-runner-dashboard-session:${VERSION}:${expiresAt}`)
      .digest("hex");
  }

  /** True when `provided` is the token (constant-time). */
  tokenMatches(provided: string | null | undefined): boolean {
    return this.#bearer(provided);
  }

  /** True when an `Authorization` header carries the token as a bearer token. */
  bearerMatches(header: string | null | undefined): boolean {
    if (typeof header !== "string") return false;
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    return m !== null && this.#bearer(m[1]);
  }

  /** A new session cookie value, valid for the session lifetime from `now`. */
  issue(now: Date): string {
    const expiresAt = now.getTime() + this.ttlMs;
    return `${VERSION}.${expiresAt}.${this.#mac(expiresAt)}`;
  }

  /** True when the cookie value is a session this token issued and it has not expired. */
  sessionValid(value: string | null | undefined, now: Date): boolean {
    if (typeof value !== "string" || value.length > 200) return false;
    const m = /^v1\.(\d{1,16})\.([0-9a-f]{64})$/.exec(value);
    if (!m) return false;
    const expiresAt = Number(m[1]);
    const expected = Buffer.from(this.#mac(expiresAt), "hex");
    const given = Buffer.from(m[2], "hex");
    const genuine = given.length === expected.length && timingSafeEqual(given, expected);
    return genuine && expiresAt > now.getTime();
  }
}

/** The cookie value out of a `Cookie` header, or null. */
export function cookieValue(header: string | null | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** The `Set-Cookie` value that starts a session (or ends it, with `value` null). */
export function sessionCookie(value: string | null, maxAgeMs: number, secure: boolean): string {
  const attributes = [
    `${SESSION_COOKIE}=${value ?? ""}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Strict",
    `Max-Age=${value === null ? 0 : Math.floor(maxAgeMs / 1000)}`,
  ];
  if (secure) attributes.push("Secure");
  return attributes.join("; ");
}

/** A local path to return to after login (`/runs?x=1`); anything else becomes `/`. */
export function safeNext(next: string | null | undefined): string {
  if (typeof next !== "string" || next.length > 500) return "/";
  if (!next.startsWith("/") || next.startsWith("//") || next.includes("\\")) return "/";
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(next)) return "/";
  return next;
}
