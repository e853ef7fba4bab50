/**
 * The LLM port over OpenAI through the official SDK.
 *
 * By default the Responses API (`POST /v1/responses`, API-NOTES §10):
 * stateless (`store: false`), the system text as `instructions`, function
 * tools with `strict` schemas (optional fields become nullable, and a `null`
 * the model sends for one is dropped before the tool sees it), a stable
 * `prompt_cache_key` per issue, `reasoning.effort` from the run's plan, and
 * every output item of a reply (reasoning items with their
 * `encrypted_content`, messages, function calls) sent back unchanged on later
 * turns, as the API requires for reasoning models.
 *
 * `OPENAI_API=chat_completions` keeps Chat Completions (`POST
 * /chat/completions`) for gateways that serve nothing else: tools as
 * `{type: "function", function}`, `role: "tool"` answers; reasoning is not
 * carried between calls there.
 *
 * Function-call `arguments` are a JSON string the model may get wrong: a bad
 * string becomes a tool error the model sees, never a crash.
 *
 * @module
 */
import OpenAI, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from "openai";
import type { OpenAiReasoning } from "../../domain/agent/reasoning.ts";
import type {
  ChatMessage,
  Completion,
  CompletionRequest,
  JsonSchema,
  LlmClient,
  StopReason,
  TokenUsage,
  ToolCall,
  ToolDefinition,
} from "../../domain/ports/llm.ts";
import { llmErrorOf } from "./errors.ts";
import { DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT_MS, type LlmAdapterOptions } from "./options.ts";

/** An {@link LlmClient} speaking the OpenAI Responses API (or Chat Completions). */
export class OpenAiLlmClient implements LlmClient {
  readonly provider = "openai" as const;
  readonly model: string;
  /** Which OpenAI API this client calls. */
  readonly api: "responses" | "chat_completions";
  readonly #client: OpenAI;
  readonly #apiKey: string;
  readonly #reasoning: OpenAiReasoning;

  constructor(options: LlmAdapterOptions) {
    this.model = options.model;
    this.api = options.openaiApi ?? "responses";
    this.#apiKey = options.apiKey;
    this.#reasoning = options.reasoning?.provider === "openai"
      ? options.reasoning.openai
      : { reasoningItems: true };
    this.#client = new OpenAI({
      apiKey: options.apiKey,
      baseURL: options.baseURL,
      maxRetries: options.maxRetries ?? DEFAULT_MAX_RETRIES,
      timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      fetch: options.fetch,
    });
  }

  /** One call; failures become an `LlmError`. */
  async complete(request: CompletionRequest): Promise<Completion> {
    try {
      if (this.api === "chat_completions") {
        const completion = await this.#client.chat.completions.create(
          chatRequest(this.model, request, this.#reasoning),
          { signal: request.signal },
        );
        return fromOpenAiCompletion(completion);
      }
      const response = await this.#client.responses.create(
        responsesRequest(this.model, request, this.#reasoning),
        { signal: request.signal },
      );
      return fromResponse(response, this.model, request.tools);
    } catch (error) {
      throw this.#llmError(error);
    }
  }

  #llmError(error: unknown): unknown {
    if (error instanceof APIUserAbortError) {
      return llmErrorOf({ provider: "openai", aborted: true }, [this.#apiKey]);
    }
    if (error instanceof APIConnectionError) {
      return llmErrorOf({
        provider: "openai",
        connection: error instanceof APIConnectionTimeoutError ? "timed_out" : "failed",
      }, [this.#apiKey]);
    }
    if (error instanceof APIError) {
      const body = error.error as { message?: unknown } | undefined;
      return llmErrorOf({
        provider: "openai",
        status: error.status,
        code: typeof error.code === "string" ? error.code : null,
        type: error.type ?? null,
        apiMessage: typeof body?.message === "string" ? body.message : null,
        requestId: error.requestID,
        headers: error.headers,
      }, [this.#apiKey]);
    }
    return error;
  }
}

/** The longest `prompt_cache_key` sent (longer keys are cut). */
export const MAX_CACHE_KEY_LENGTH = 64;

/** The Responses API request body. */
export function responsesRequest(
  model: string,
  request: Omit<CompletionRequest, "signal">,
  reasoning: OpenAiReasoning = { reasoningItems: true },
): OpenAI.Responses.ResponseCreateParamsNonStreaming {
  return {
    model,
    ...(request.system ? { instructions: request.system } : {}),
    input: toResponsesInput(request.messages, model),
    ...(request.tools.length ? { tools: request.tools.map(toResponsesTool) } : {}),
    store: false,
    ...(reasoning.reasoningItems ? { include: ["reasoning.encrypted_content" as const] } : {}),
    ...(reasoning.effort ? { reasoning: { effort: reasoning.effort } } : {}),
    ...(request.cacheKey
      ? { prompt_cache_key: request.cacheKey.slice(0, MAX_CACHE_KEY_LENGTH) }
      : {}),
    max_output_tokens: Math.max(16, request.maxTokens),
  };
}

/** A tool as a strict Responses function tool. */
export function toResponsesTool(tool: ToolDefinition): OpenAI.Responses.FunctionTool {
  return {
    type: "function",
    name: tool.name,
    description: tool.description,
    parameters: strictSchema(tool.inputSchema),
    strict: true,
  };
}

/**
 * A JSON Schema made valid for strict function calling: every object lists all
 * its properties in `required` and forbids others; a property that was
 * optional becomes nullable (the model sends `null` for "not given").
 */
export function strictSchema(schema: JsonSchema): JsonSchema {
  const out: JsonSchema = { ...schema };
  if (schema.type === "object") {
    const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set(Array.isArray(schema.required) ? schema.required as string[] : []);
    const properties: Record<string, JsonSchema> = {};
    for (const [key, sub] of Object.entries(props)) {
      const strict = strictSchema(sub);
      properties[key] = required.has(key) ? strict : nullable(strict);
    }
    out.properties = properties;
    out.required = Object.keys(props);
    out.additionalProperties = false;
  }
  if (schema.type === "array" && schema.items && typeof schema.items === "object") {
    out.items = strictSchema(schema.items as JsonSchema);
  }
  return out;
}

function nullable(schema: JsonSchema): JsonSchema {
  if (typeof schema.type === "string") return { ...schema, type: [schema.type, "null"] };
  if (Array.isArray(schema.type)) {
    return schema.type.includes("null") ? schema : { ...schema, type: [...schema.type, "null"] };
  }
  return { anyOf: [schema, { type: "null" }] };
}

/** Drops `null` values the strict schema allowed for properties that were optional. */
export function dropOptionalNulls(
  input: Record<string, unknown>,
  schema: JsonSchema | undefined,
): Record<string, unknown> {
  if (!schema || schema.type !== "object") return input;
  const required = new Set(Array.isArray(schema.required) ? schema.required as string[] : []);
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (value === null && !required.has(key)) continue;
    const sub = props[key];
    out[key] = value && typeof value === "object" && !Array.isArray(value) && sub
      ? dropOptionalNulls(value as Record<string, unknown>, sub)
      : value;
  }
  return out;
}

/**
 * The conversation as Responses input items. An assistant turn this model
 * produced is replayed item for item (reasoning items included); others are
 * rebuilt as a message and function calls.
 */
export function toResponsesInput(
  messages: readonly ChatMessage[],
  model?: string,
): OpenAI.Responses.ResponseInputItem[] {
  const out: OpenAI.Responses.ResponseInputItem[] = [];
  for (const m of messages) {
    switch (m.role) {
      case "user":
        out.push(
          m.images?.length
            ? {
              role: "user",
              content: [
                { type: "input_text", text: m.text || "(empty)" },
                ...m.images.map((i) => ({
                  type: "input_image" as const,
                  image_url: `data:${i.mediaType};base64,${i.base64}`,
                  detail: "auto" as const,
                })),
              ],
            }
            : { role: "user", content: m.text || "(empty)" },
        );
        break;
      case "assistant": {
        const replay = m.replay;
        if (
          replay?.provider === "openai" && replay.api === "responses" && replay.model === model &&
          replay.items.length > 0
        ) {
          out.push(...replay.items as OpenAI.Responses.ResponseInputItem[]);
          break;
        }
        if (m.text || m.toolCalls.length === 0) {
          out.push({ role: "assistant", content: m.text || "(no reply)" });
        }
        for (const c of m.toolCalls) {
          out.push({
            type: "function_call",
            call_id: c.id,
            name: c.name,
            arguments: replayedArguments(c),
          });
        }
        break;
      }
      case "tool":
        for (const r of m.results) {
          const content = r.content || "(empty)";
          out.push({
            type: "function_call_output",
            call_id: r.toolCallId,
            output: r.isError && !content.startsWith(TOOL_ERROR_PREFIX)
              ? `${TOOL_ERROR_PREFIX}${content}`
              : content,
          });
        }
        break;
    }
  }
  return out;
}

/** The usage of a Responses reply as billed. */
export function responsesUsage(
  usage: OpenAI.Responses.ResponseUsage | undefined | null,
): TokenUsage {
  // Zero parts are left out: an absent field reads as 0 (domain/events.ts).
  const out: TokenUsage = {
    inputTokens: usage?.input_tokens ?? 0,
    outputTokens: usage?.output_tokens ?? 0,
  };
  const read = usage?.input_tokens_details?.cached_tokens;
  if (read) out.cacheReadTokens = read;
  const write = usage?.input_tokens_details?.cache_write_tokens;
  if (write) out.cacheWriteTokens = write;
  const reasoning = usage?.output_tokens_details?.reasoning_tokens;
  if (reasoning) out.reasoningTokens = reasoning;
  return out;
}

/** The neutral shape of a Responses reply; `model` tags its replay. */
export function fromResponse(
  response: OpenAI.Responses.Response,
  model?: string,
  tools: readonly ToolDefinition[] = [],
): Completion {
  const items = Array.isArray(response.output) ? response.output : [];
  const texts: string[] = [];
  let refusal = "";
  const toolCalls: ToolCall[] = [];
  items.forEach((item, i) => {
    if (item.type === "message") {
      for (const c of Array.isArray(item.content) ? item.content : []) {
        if (c.type === "output_text") texts.push(c.text);
        else if (c.type === "refusal") refusal = c.refusal;
      }
    } else if (item.type === "function_call") {
      const id = typeof item.call_id === "string" && item.call_id ? item.call_id : `call_${i}`;
      const parsed = parseArguments(item.arguments);
      const schema = tools.find((t) => t.name === item.name)?.inputSchema;
      toolCalls.push({
        id,
        name: item.name,
        ...parsed,
        input: parsed.inputError ? parsed.input : dropOptionalNulls(parsed.input, schema),
      });
    }
  });
  const text = texts.join("\n") || refusal;
  const incomplete = response.status === "incomplete"
    ? response.incomplete_details?.reason
    : undefined;
  let stopReason: StopReason;
  if (incomplete === "max_output_tokens") stopReason = "max_tokens";
  else if (incomplete === "content_filter") stopReason = "refusal";
  else if (toolCalls.length) stopReason = "tool_use";
  else if (refusal && !texts.length) stopReason = "refusal";
  else if (response.status === "completed") stopReason = "end_turn";
  else stopReason = "other";
  return {
    text,
    toolCalls,
    stopReason,
    usage: responsesUsage(response.usage),
    ...(model && items.length
      ? { replay: { provider: "openai", model, api: "responses", items } }
      : {}),
  };
}

/** The Chat Completions request body (`OPENAI_API=chat_completions`). */
export function chatRequest(
  model: string,
  request: Omit<CompletionRequest, "signal">,
  reasoning: OpenAiReasoning = { reasoningItems: false },
): OpenAI.ChatCompletionCreateParamsNonStreaming {
  return {
    model,
    max_completion_tokens: request.maxTokens,
    messages: toOpenAiMessages(request.system, request.messages),
    ...(request.tools.length ? { tools: request.tools.map(toOpenAiTool) } : {}),
    ...(reasoning.effort ? { reasoning_effort: reasoning.effort } : {}),
    ...(request.cacheKey
      ? { prompt_cache_key: request.cacheKey.slice(0, MAX_CACHE_KEY_LENGTH) }
      : {}),
  };
}

/** The OpenAI shape of a tool definition. */
export function toOpenAiTool(tool: ToolDefinition): OpenAI.ChatCompletionFunctionTool {
  return {
    type: "function",
    function: { name: tool.name, description: tool.description, parameters: tool.inputSchema },
  };
}

/** The prefix that marks a failed tool result (Chat Completions has no error flag). */
export const TOOL_ERROR_PREFIX = "ERROR: ";

/** The OpenAI shape of a conversation, system text first. */
export function toOpenAiMessages(
  system: string,
  messages: readonly ChatMessage[],
): OpenAI.ChatCompletionMessageParam[] {
  const out: OpenAI.ChatCompletionMessageParam[] = [];
  if (system) out.push({ role: "system", content: system });
  for (const m of messages) {
    switch (m.role) {
      case "user":
        out.push(
          m.images?.length
            ? {
              role: "user",
              content: [
                { type: "text", text: m.text || "(empty)" },
                ...m.images.map((i) => ({
                  type: "image_url" as const,
                  image_url: { url: `data:${i.mediaType};base64,${i.base64}` },
                })),
              ],
            }
            : { role: "user", content: m.text || "(empty)" },
        );
        break;
      case "assistant":
        out.push({
          role: "assistant",
          // Content may only be empty when there are tool calls.
          content: m.text || (m.toolCalls.length ? null : "(no reply)"),
          ...(m.toolCalls.length
            ? {
              tool_calls: m.toolCalls.map((c) => ({
                id: c.id,
                type: "function" as const,
                function: { name: c.name, arguments: replayedArguments(c) },
              })),
            }
            : {}),
        });
        break;
      case "tool":
        for (const r of m.results) {
          const content = r.content || "(empty)";
          out.push({
            role: "tool",
            tool_call_id: r.toolCallId,
            content: r.isError && !content.startsWith(TOOL_ERROR_PREFIX)
              ? `${TOOL_ERROR_PREFIX}${content}`
              : content,
          });
        }
        break;
    }
  }
  return out;
}

/**
 * The arguments to send back in history: strict servers reject a conversation
 * whose past `arguments` are not a JSON object, so a malformed call is replayed
 * as `{}` (its tool error tells the model what it sent).
 */
function replayedArguments(call: ToolCall): string {
  if (call.inputError) return "{}";
  return call.rawArguments?.trim() ? call.rawArguments : JSON.stringify(call.input);
}

/** The neutral shape of an OpenAI reply (the first choice). */
export function fromOpenAiCompletion(completion: OpenAI.ChatCompletion): Completion {
  const choice = Array.isArray(completion.choices) ? completion.choices[0] : undefined;
  const message = choice?.message;
  const refusal = typeof message?.refusal === "string" ? message.refusal : "";
  const text = typeof message?.content === "string" ? message.content : refusal;
  const calls = Array.isArray(message?.tool_calls) ? message.tool_calls : [];
  const toolCalls = calls.map((call, i): ToolCall => {
    const id = typeof call.id === "string" && call.id ? call.id : `call_${i}`;
    if (call.type !== "function") {
      return { id, name: String(call.type), input: {}, inputError: "not a function tool call" };
    }
    return { id, name: call.function.name, ...parseArguments(call.function.arguments) };
  });
  return {
    text,
    toolCalls,
    stopReason: refusal && toolCalls.length === 0
      ? "refusal"
      : stopReasonOf(choice?.finish_reason, toolCalls.length > 0),
    usage: chatUsage(completion.usage),
  };
}

function chatUsage(usage: OpenAI.CompletionUsage | undefined | null): TokenUsage {
  const out: TokenUsage = {
    inputTokens: usage?.prompt_tokens ?? 0,
    outputTokens: usage?.completion_tokens ?? 0,
  };
  const cached = usage?.prompt_tokens_details?.cached_tokens;
  if (cached) out.cacheReadTokens = cached;
  const reasoning = usage?.completion_tokens_details?.reasoning_tokens;
  if (reasoning) out.reasoningTokens = reasoning;
  return out;
}

/** Parses a JSON-string `arguments`; never throws. */
export function parseArguments(
  raw: unknown,
): { input: Record<string, unknown>; inputError?: string; rawArguments?: string } {
  if (typeof raw !== "string") {
    return { input: {}, inputError: "the arguments were not a JSON string" };
  }
  if (raw.trim() === "") return { input: {}, rawArguments: raw };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return {
      input: {},
      rawArguments: raw,
      inputError: `the arguments were not valid JSON (${why}); ` +
        `send a single JSON object matching the tool's schema. You sent: ${snippet(raw)}`,
    };
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    return {
      input: {},
      rawArguments: raw,
      inputError: "the arguments were JSON but not an object; send a JSON object. " +
        `You sent: ${snippet(raw)}`,
    };
  }
  return { input: parsed as Record<string, unknown>, rawArguments: raw };
}

function snippet(raw: string): string {
  return raw.length > 200 ? `${raw.slice(0, 200)}… (${raw.length} characters)` : raw;
}

function stopReasonOf(reason: string | null | undefined, hasToolCalls: boolean): StopReason {
  switch (reason) {
    case "tool_calls":
    case "function_call":
      return "tool_use";
    case "stop":
      return hasToolCalls ? "tool_use" : "end_turn";
    case "length":
      return "max_tokens";
    case "content_filter":
      return "refusal";
    default:
      return hasToolCalls ? "tool_use" : "other";
  }
}
