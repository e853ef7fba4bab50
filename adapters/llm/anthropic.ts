/**
 * The LLM port over Anthropic's Messages API (`POST /v1/messages`) through the
 * official SDK: tools as `tools[{name, description, input_schema}]`, calls as
 * `tool_use` blocks, answers as one user message of `tool_result` blocks.
 *
 * @module
 */
import Anthropic, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from "@anthropic-ai/sdk";
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

/** An {@link LlmClient} speaking the Anthropic Messages API. */
export class AnthropicLlmClient implements LlmClient {
  readonly provider = "anthropic" as const;
  readonly model: string;
  readonly #client: Anthropic;
  readonly #apiKey: string;

  constructor(options: LlmAdapterOptions) {
    this.model = options.model;
    this.#apiKey = options.apiKey;
    this.#client = new Anthropic({
      apiKey: options.apiKey,
      baseURL: options.baseURL,
      maxRetries: options.maxRetries ?? DEFAULT_MAX_RETRIES,
      timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      fetch: options.fetch,
    });
  }

  /** One Messages API call; failures become an `LlmError`. */
  async complete(request: CompletionRequest): Promise<Completion> {
    let message: Anthropic.Message;
    try {
      message = await this.#client.messages.create(
        {
          model: this.model,
          max_tokens: request.maxTokens,
          ...(request.system ? { system: request.system } : {}),
          messages: toAnthropicMessages(request.messages),
          ...(request.tools.length ? { tools: request.tools.map(toAnthropicTool) } : {}),
        },
        { signal: request.signal },
      );
    } catch (error) {
      throw this.#llmError(error);
    }
    return fromAnthropicMessage(message);
  }

  #llmError(error: unknown): unknown {
    if (error instanceof APIUserAbortError) {
      return llmErrorOf({ provider: "anthropic", aborted: true }, [this.#apiKey]);
    }
    if (error instanceof APIConnectionError) {
      return llmErrorOf({
        provider: "anthropic",
        connection: error instanceof APIConnectionTimeoutError ? "timed_out" : "failed",
      }, [this.#apiKey]);
    }
    if (error instanceof APIError) {
      return llmErrorOf({
        provider: "anthropic",
        status: error.status,
        code: error.errorCode,
        type: error.type,
        apiMessage: error.apiMessage,
        requestId: error.requestID,
        headers: error.headers,
      }, [this.#apiKey]);
    }
    return error;
  }
}

/** The Anthropic shape of a tool definition. */
export function toAnthropicTool(tool: ToolDefinition): Anthropic.Tool {
  return {
    name: tool.name,
    description: tool.description,
    input_schema: tool.inputSchema as Anthropic.Tool.InputSchema,
  };
}

/** The Anthropic shape of a conversation (system text travels separately). */
export function toAnthropicMessages(messages: readonly ChatMessage[]): Anthropic.MessageParam[] {
  return messages.map((m): Anthropic.MessageParam => {
    switch (m.role) {
      case "user":
        return { role: "user", content: m.text || "(empty)" };
      case "assistant": {
        const content: Anthropic.ContentBlockParam[] = [];
        if (m.text) content.push({ type: "text", text: m.text });
        for (const call of m.toolCalls) {
          content.push({ type: "tool_use", id: call.id, name: call.name, input: call.input });
        }
        if (content.length === 0) content.push({ type: "text", text: "(no reply)" });
        return { role: "assistant", content };
      }
      case "tool":
        // Only tool_result blocks: text after them can make the model answer empty.
        return {
          role: "user",
          content: m.results.map((r): Anthropic.ToolResultBlockParam => ({
            type: "tool_result",
            tool_use_id: r.toolCallId,
            content: r.content || "(empty)",
            ...(r.isError ? { is_error: true } : {}),
          })),
        };
    }
  });
}

/** The neutral shape of an Anthropic reply. */
export function fromAnthropicMessage(message: Anthropic.Message): Completion {
  const blocks = Array.isArray(message.content) ? message.content : [];
  const text = blocks.flatMap((b) => b.type === "text" ? [b.text] : []).join("\n");
  const toolCalls = blocks.flatMap((b): ToolCall[] => {
    if (b.type !== "tool_use") return [];
    const input = b.input;
    if (input !== null && typeof input === "object" && !Array.isArray(input)) {
      return [{ id: b.id, name: b.name, input: input as Record<string, unknown> }];
    }
    return [{
      id: b.id,
      name: b.name,
      input: {},
      inputError: "the tool input was not a JSON object",
    }];
  });
  const usage = message.usage;
  return {
    text,
    toolCalls,
    stopReason: stopReasonOf(message.stop_reason, toolCalls.length > 0),
    usage: {
      inputTokens: (usage?.input_tokens ?? 0) + (usage?.cache_creation_input_tokens ?? 0) +
        (usage?.cache_read_input_tokens ?? 0),
      outputTokens: usage?.output_tokens ?? 0,
    },
  };
}

function stopReasonOf(reason: string | null | undefined, hasToolCalls: boolean): StopReason {
  switch (reason) {
    case "tool_use":
      return "tool_use";
    case "end_turn":
    case "stop_sequence":
      return hasToolCalls ? "tool_use" : "end_turn";
    case "max_tokens":
    case "model_context_window_exceeded":
      return "max_tokens";
    case "refusal":
      return "refusal";
    default:
      return hasToolCalls ? "tool_use" : "other";
  }
}
