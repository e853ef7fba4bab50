/**
 * Construction options shared by the LLM adapters.
 *
 * @module
 */
import type { ReasoningPlan } from "../../domain/agent/reasoning.ts";

/** How an LLM adapter is built. */
export interface LlmAdapterOptions {
  /** The provider API key; sent only in the SDK's auth header. */
  apiKey: string;
  model: string;
  /**
   * The API's base URL. Unset: the SDK's own default, which honours
   * `ANTHROPIC_BASE_URL` / `OPENAI_BASE_URL`.
   */
  baseURL?: string;
  /** Retries of a transient failure inside the SDK (default 2, the SDKs' own). */
  maxRetries?: number;
  /** Timeout of one HTTP attempt, in milliseconds (default 10 minutes). */
  timeoutMs?: number;
  /** A `fetch` to use instead of the global one. */
  fetch?: typeof fetch;
  /**
   * The reasoning fields of every request, decided at start by
   * `planReasoning` (absent: the model's defaults). A plan for the other
   * provider is ignored.
   */
  reasoning?: ReasoningPlan;
  /**
   * OpenAI only: `responses` (default) or `chat_completions` for gateways that
   * serve only Chat Completions (`OPENAI_API`).
   */
  openaiApi?: "responses" | "chat_completions";
}

/** Default timeout of one attempt: the SDKs' own default, 10 minutes. */
export const DEFAULT_TIMEOUT_MS = 10 * 60 * 1000;

/** Default SDK retries: the SDKs' own default. */
export const DEFAULT_MAX_RETRIES = 2;
