/**
 * Classifies failed LLM calls for both adapters. The SDKs have already retried
 * what they consider retryable (connection errors, 408, 409, 429, 5xx) by the
 * time an error reaches us; we only decide whether a later retry of the run
 * can help, and write a message without secrets.
 *
 * @module
 */
import type { ErrorKind } from "../../domain/ports/errors.ts";
import { LlmError, type LlmProvider } from "../../domain/ports/llm.ts";

/** Provider error codes that no amount of waiting clears, whatever the status. */
export const PERMANENT_ERROR_CODES: ReadonlySet<string> = new Set([
  "enforced_spend_limit_reached", // Anthropic 429: the workspace hit its spend limit
  "insufficient_quota", // OpenAI 429: the account is out of credit
]);

/** Whether an HTTP status (undefined: no answer at all) is worth retrying later. */
export function classifyStatus(status: number | undefined, code?: string | null): ErrorKind {
  if (code && PERMANENT_ERROR_CODES.has(code)) return "permanent";
  if (status === undefined) return "transient";
  if (status === 408 || status === 409 || status === 425 || status === 429) return "transient";
  if (status >= 500) return "transient";
  return "permanent";
}

/** What an adapter knows about a failed call, from its SDK's error. */
export interface FailedCall {
  provider: LlmProvider;
  status?: number;
  /** The provider's specific code (`error.details.error_code`, `error.code`). */
  code?: string | null;
  /** The provider's error type (`rate_limit_error`, `invalid_request_error`). */
  type?: string | null;
  /** The provider's own message. */
  apiMessage?: string | null;
  requestId?: string | null;
  headers?: Headers;
  /** No answer: the connection failed or timed out. */
  connection?: "failed" | "timed_out";
  aborted?: boolean;
}

const MAX_MESSAGE = 500;

/** Builds the {@link LlmError} for a failed call; `secrets` are scrubbed from the text. */
export function llmErrorOf(call: FailedCall, secrets: readonly string[]): LlmError {
  const prefix = `${call.provider} API`;
  if (call.aborted) {
    return new LlmError({
      kind: "transient",
      provider: call.provider,
      message: `${prefix}: request aborted`,
      aborted: true,
    });
  }
  const code = call.code ?? call.type ?? undefined;
  const kind = classifyStatus(call.status, call.code);
  let message: string;
  if (call.status === undefined) {
    message = call.connection === "timed_out"
      ? `${prefix}: request timed out (after the client's retries)`
      : `${prefix}: connection failed (after the client's retries)`;
  } else {
    const detail = [code, call.apiMessage].filter(Boolean).join(": ");
    message = `${prefix} answered HTTP ${call.status}${detail ? ` ${detail}` : ""}`;
  }
  return new LlmError({
    kind,
    provider: call.provider,
    message: scrub(message, secrets),
    status: call.status,
    code: code ?? undefined,
    requestId: call.requestId ?? undefined,
    retryAfterMs: call.headers ? retryAfterMs(call.headers) : undefined,
  });
}

/** The wait a response asks for (`retry-after-ms`, `retry-after` seconds or date). */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const ms = Number.parseFloat(headers.get("retry-after-ms") ?? "");
  if (Number.isFinite(ms) && ms >= 0) return Math.round(ms);
  const value = headers.get("retry-after");
  if (!value) return undefined;
  const seconds = Number(value.trim());
  if (value.trim() !== "" && Number.isFinite(seconds) && seconds >= 0) {
    return Math.round(seconds * 1000);
  }
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 6) out = out.split(secret).join("[REDACTED]");
  }
  out = out.replace(/\s+/g, " ").trim();
  return out.length > MAX_MESSAGE ? `${out.slice(0, MAX_MESSAGE)}…` : out;
}
