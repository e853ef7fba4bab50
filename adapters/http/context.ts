/**
 * The Hono environment of the intake app: what the server hands in (`Bindings`,
 * Deno's per-connection info) and what middlewares leave for later ones
 * (`Variables`).
 *
 * @module
 */
import type { ClientAddress } from "./net/client_address.ts";

/** Per-request values set by the middlewares. */
export interface IntakeVariables {
  /** `X-Request-Id` of the request (echoed or generated). */
  requestId: string;
  /** The client address (peer, or the forwarded client behind a trusted proxy). */
  client: ClientAddress;
  /** The raw body, read once within the size limit and the time limit. */
  rawBody: Uint8Array;
  /** The delivery the request carried (Jira delivery key or `X-GitHub-Delivery`), for logs. */
  deliveryId: string;
  /** Aborts when the client took longer than the request timeout. */
  deadline: AbortSignal;
  /** A native Jira webhook's `X-Hub-Signature`, checked once the raw body is read. */
  jiraSignature?: string;
}

/** What Deno.serve passes as the second argument of `fetch` (absent under `app.request()`). */
export interface IntakeBindings {
  remoteAddr?: { hostname: string; port: number; transport?: string };
}

/** The Hono environment type of the intake app. */
export type IntakeEnv = { Variables: IntakeVariables; Bindings: IntakeBindings };
