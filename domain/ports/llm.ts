/**
 * The LLM port: one provider-neutral chat turn with tools. Adapters
 * (`adapters/llm/anthropic.ts`, `adapters/llm/openai.ts`) translate it to the
 * Anthropic Messages API and the OpenAI Responses API (or Chat Completions,
 * for gateways that need it); the tool loop
 * (`domain/agent/tool_loop.ts`) drives it without knowing which one it talks to.
 *
 * Everything here is plain JSON-serialisable data, so a conversation can be
 * stored as a transcript artifact and replayed.
 *
 * @module
 */
import type { ErrorKind } from "./errors.ts";
import type { TokenUsage } from "../events.ts";

export type { TokenUsage };

/** The LLM providers the runner speaks to. */
export type LlmProvider = "anthropic" | "openai";

/** A JSON Schema object describing a tool's input (`type: "object"` at the root). */
export type JsonSchema = Record<string, unknown>;

/** A tool the model may call. */
export interface ToolDefinition {
  /** Stable name the model calls the tool by (`read_file`, `finish`, …). */
  name: string;
  /** What the tool does and when to use it, written for the model. */
  description: string;
  /** JSON Schema of the tool's input. */
  inputSchema: JsonSchema;
}

/** One tool call the model made. */
export interface ToolCall {
  /** The provider's call id; the result must quote it. */
  id: string;
  name: string;
  /** The parsed input; `{}` when it could not be parsed (see `inputError`). */
  input: Record<string, unknown>;
  /**
   * Set when the provider sent an input that is not a JSON object (OpenAI's
   * arguments are a JSON string the model may get wrong). The call is answered
   * with this as a tool error instead of being executed.
   */
  inputError?: string;
  /** The arguments exactly as the provider sent them, when they were a string. */
  rawArguments?: string;
}

/** The answer to one tool call. */
export interface ToolResult {
  toolCallId: string;
  content: string;
  isError: boolean;
}

/** A user turn: the task, or a nudge from the loop. */
export interface UserMessage {
  role: "user";
  text: string;
  /** Images shown with the text (the ticket's screenshots), base64 without a data: prefix. */
  images?: readonly UserImage[];
}

/** An image in a user turn. */
export interface UserImage {
  mediaType: "image/png" | "image/jpeg" | "image/gif" | "image/webp";
  base64: string;
}

/**
 * A reply exactly as the provider sent it (Anthropic content blocks with their
 * `thinking`/`redacted_thinking` blocks and signatures; OpenAI Responses output
 * items with their `reasoning` items and `encrypted_content`). The adapter of
 * the same provider and model sends it back unchanged, as both APIs require
 * during tool use; any other adapter or model ignores it and rebuilds the turn
 * from the neutral fields.
 */
export interface ProviderReplay {
  provider: LlmProvider;
  model: string;
  /** Which API shape `items` are in. */
  api: "messages" | "responses" | "chat_completions";
  items: unknown[];
}

/** A model turn: its text and the tools it called, in order. */
export interface AssistantMessage {
  role: "assistant";
  text: string;
  toolCalls: ToolCall[];
  /** The provider's own form of this turn, to be replayed unchanged. */
  replay?: ProviderReplay;
}

/** The answers to every tool call of the preceding assistant turn. */
export interface ToolResultsMessage {
  role: "tool";
  results: ToolResult[];
}

/** A message of the conversation (the system text travels beside them). */
export type ChatMessage = UserMessage | AssistantMessage | ToolResultsMessage;

/** Why the model stopped, normalised across providers. */
export type StopReason = "end_turn" | "tool_use" | "max_tokens" | "refusal" | "other";

/** One request to the model. */
export interface CompletionRequest {
  system: string;
  messages: readonly ChatMessage[];
  tools: readonly ToolDefinition[];
  /** Upper bound on the tokens of this one reply. */
  maxTokens: number;
  /**
   * A stable key for the provider's prompt cache (OpenAI `prompt_cache_key`),
   * the same for every call about one issue, so its requests land where their
   * prefix is cached. Not a secret; at most 64 characters.
   */
  cacheKey?: string;
  signal?: AbortSignal;
}

/** The model's reply. */
export interface Completion {
  text: string;
  toolCalls: ToolCall[];
  stopReason: StopReason;
  /**
   * Tokens of this request and reply as billed: `inputTokens` includes cache
   * writes and reads, which are also given apart; `outputTokens` includes
   * reasoning.
   */
  usage: TokenUsage;
  /** The reply in the provider's own form, to send back unchanged next turn. */
  replay?: ProviderReplay;
}

/** A chat model behind one provider. */
export interface LlmClient {
  readonly provider: LlmProvider;
  readonly model: string;
  /**
   * One turn. The adapter has already retried transient failures as its SDK
   * does; what is left is rejected with an {@link LlmError}.
   */
  complete(request: CompletionRequest): Promise<Completion>;
}

/** Details of an {@link LlmError}; never carries a secret. */
export interface LlmErrorInit {
  kind: ErrorKind;
  message: string;
  provider?: LlmProvider;
  /** HTTP status, when the provider answered. */
  status?: number;
  /** The provider's error type or code (`rate_limit_error`, `insufficient_quota`, …). */
  code?: string;
  /** The provider's request id, for support tickets. */
  requestId?: string;
  /** How long the provider asked to wait (`retry-after`), in milliseconds. */
  retryAfterMs?: number;
  /** True when the caller's signal aborted the request. */
  aborted?: boolean;
}

/** A failed LLM call, classified. The message holds no secrets. */
export class LlmError extends Error {
  readonly kind: ErrorKind;
  readonly provider?: LlmProvider;
  readonly status?: number;
  readonly code?: string;
  readonly requestId?: string;
  readonly retryAfterMs?: number;
  readonly aborted: boolean;

  constructor(init: LlmErrorInit) {
    super(init.message);
    this.name = "LlmError";
    this.kind = init.kind;
    this.provider = init.provider;
    this.status = init.status;
    this.code = init.code;
    this.requestId = init.requestId;
    this.retryAfterMs = init.retryAfterMs;
    this.aborted = init.aborted ?? false;
  }

  /** A plain, JSON-serialisable copy (for transcripts and events). */
  toJSON(): LlmErrorInit {
    const out: LlmErrorInit = { kind: this.kind, message: this.message };
    if (this.provider) out.provider = this.provider;
    if (this.status !== undefined) out.status = this.status;
    if (this.code) out.code = this.code;
    if (this.requestId) out.requestId = this.requestId;
    if (this.retryAfterMs !== undefined) out.retryAfterMs = this.retryAfterMs;
    if (this.aborted) out.aborted = true;
    return out;
  }
}

/** True when `value` is an {@link LlmError}. */
export function isLlmError(value: unknown): value is LlmError {
  return value instanceof LlmError;
}
