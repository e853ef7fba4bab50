/**
 * The LLM port over OpenAI's Chat Completions API (`POST /chat/completions`)
 * through the official SDK: tools as `{type: "function", function}`, calls as
 * `tool_calls` whose arguments are a JSON string (parsed defensively: a bad
 * string becomes a tool error the model sees, never a crash), answers as
 * `role: "tool"` messages.
 *
 * @module
 */
import OpenAI, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from "openai";
import type {
  ChatMessage,
  Completion,
  CompletionRequest,
  LlmClient,
  StopReason,
  ToolCall,
  ToolDefinition,
} from "../../domain/ports/llm.ts";
import { llmErrorOf } from "./errors.ts";
import { DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT_MS, type LlmAdapterOptions } from "./options.ts";

/** An {@link LlmClient} speaking the OpenAI Chat Completions API. */
export class OpenAiLlmClient implements LlmClient {
  readonly provider = "openai" as const;
  readonly model: string;
  readonly #client: OpenAI;
  readonly #apiKey: string;

  constructor(options: LlmAdapterOptions) {
    this.model = options.model;
    this.#apiKey = options.apiKey;
    this.#client = new OpenAI({
      apiKey: options.apiKey,
      baseURL: options.baseURL,
      maxRetries: options.maxRetries ?? DEFAULT_MAX_RETRIES,
      timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      fetch: options.fetch,
    });
  }

  /** One Chat Completions call; failures become an `LlmError`. */
  async complete(request: CompletionRequest): Promise<Completion> {
    let completion: OpenAI.ChatCompletion;
    try {
      completion = await this.#client.chat.completions.create(
        {
          model: this.model,
          max_completion_tokens: request.maxTokens,
          messages: toOpenAiMessages(request.system, request.messages),
          ...(request.tools.length ? { tools: request.tools.map(toOpenAiTool) } : {}),
        },
        { signal: request.signal },
      );
    } catch (error) {
      throw this.#llmError(error);
    }
    return fromOpenAiCompletion(completion);
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
        out.push({ role: "user", content: m.text || "(empty)" });
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
    usage: {
      inputTokens: completion.usage?.prompt_tokens ?? 0,
      outputTokens: completion.usage?.completion_tokens ?? 0,
    },
  };
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
