/**
 * The LLM port over Anthropic's Messages API (`POST /v1/messages`) through the
 * official SDK: tools as `tools[{name, description, input_schema}]`, calls as
 * `tool_use` blocks, answers as one user message of `tool_result` blocks.
 *
 * Prompt caching (API-NOTES §6): four explicit `cache_control` breakpoints,
 * the most allowed: the last tool definition, the system prompt, the last
 * block of the message that ended the previous request (an exact cache hit
 * however many blocks the last turn added, so the 20-block look-back never
 * matters) and the last block of the newest message (written for the next
 * turn). Nothing before a breakpoint changes during a run: tools, system text,
 * thinking settings and past turns are sent byte-for-byte the same.
 *
 * Thinking (API-NOTES §7): the `thinking`/`output_config` fields come from the
 * run's reasoning plan; each reply's content blocks are kept and sent back
 * unchanged (thinking blocks and signatures included) on later turns.
 *
 * @module
 */
import Anthropic, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
} from "@anthropic-ai/sdk";
import type { AnthropicReasoning } from "../../domain/agent/reasoning.ts";
import type {
  ChatMessage,
  Completion,
  CompletionRequest,
  LlmClient,
  StopReason,
  TokenUsage,
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
  readonly #reasoning: AnthropicReasoning;

  constructor(options: LlmAdapterOptions) {
    this.model = options.model;
    this.#apiKey = options.apiKey;
    this.#reasoning = options.reasoning?.provider === "anthropic"
      ? options.reasoning.anthropic
      : { kind: "default" };
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
        anthropicRequest(this.model, request, this.#reasoning),
        { signal: request.signal },
      );
    } catch (error) {
      throw this.#llmError(error);
    }
    return fromAnthropicMessage(message, this.model);
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

/** The ephemeral (5-minute) cache breakpoint every marked block carries. */
const BREAKPOINT: Anthropic.CacheControlEphemeral = { type: "ephemeral" };

/** The whole request body: tools, system, messages, breakpoints and thinking. */
export function anthropicRequest(
  model: string,
  request: Omit<CompletionRequest, "signal">,
  reasoning: AnthropicReasoning = { kind: "default" },
): Anthropic.MessageCreateParamsNonStreaming {
  const tools = request.tools.map(toAnthropicTool);
  if (tools.length) {
    tools[tools.length - 1] = { ...tools[tools.length - 1], cache_control: BREAKPOINT };
  }
  let maxTokens = request.maxTokens;
  // A manual thinking budget must stay below max_tokens: one reply may go over.
  if (reasoning.kind === "budget") maxTokens = Math.max(maxTokens, reasoning.budgetTokens + 1024);
  return {
    model,
    max_tokens: maxTokens,
    ...(request.system
      ? { system: [{ type: "text", text: request.system, cache_control: BREAKPOINT }] }
      : {}),
    messages: withMessageBreakpoints(toAnthropicMessages(request.messages, model)),
    ...(tools.length ? { tools } : {}),
    ...thinkingFields(reasoning),
  };
}

function thinkingFields(
  reasoning: AnthropicReasoning,
): Pick<Anthropic.MessageCreateParamsNonStreaming, "thinking" | "output_config"> {
  switch (reasoning.kind) {
    case "default":
      return {};
    case "disabled":
      return { thinking: { type: "disabled" } };
    case "adaptive":
      return {
        thinking: { type: "adaptive" },
        ...(reasoning.effort ? { output_config: { effort: reasoning.effort } } : {}),
      };
    case "budget":
      return { thinking: { type: "enabled", budget_tokens: reasoning.budgetTokens } };
  }
}

/**
 * Marks the last block of the newest message and of the message that ended
 * the previous request (the one before the newest assistant turn).
 */
export function withMessageBreakpoints(
  messages: Anthropic.MessageParam[],
): Anthropic.MessageParam[] {
  const out = [...messages];
  const last = out.length - 1;
  let lastAssistant = -1;
  for (let i = last; i >= 0; i--) {
    if (out[i].role === "assistant") {
      lastAssistant = i;
      break;
    }
  }
  const marks = new Set<number>([last]);
  if (lastAssistant > 0) marks.add(lastAssistant - 1);
  for (const i of marks) {
    if (i < 0 || out[i].role !== "user") continue;
    out[i] = markLastBlock(out[i]);
  }
  return out;
}

function markLastBlock(message: Anthropic.MessageParam): Anthropic.MessageParam {
  const blocks: Anthropic.ContentBlockParam[] = typeof message.content === "string"
    ? [{ type: "text", text: message.content }]
    : [...message.content];
  const k = blocks.length - 1;
  blocks[k] = { ...blocks[k], cache_control: BREAKPOINT } as Anthropic.ContentBlockParam;
  return { ...message, content: blocks } as Anthropic.MessageParam;
}

/** The Anthropic shape of a tool definition. */
export function toAnthropicTool(tool: ToolDefinition): Anthropic.Tool {
  return {
    name: tool.name,
    description: tool.description,
    input_schema: tool.inputSchema as Anthropic.Tool.InputSchema,
  };
}

/**
 * The Anthropic shape of a conversation (system text travels separately). An
 * assistant turn that this model produced is sent back exactly as it came
 * (thinking blocks, signatures and all); others are rebuilt.
 */
export function toAnthropicMessages(
  messages: readonly ChatMessage[],
  model?: string,
): Anthropic.MessageParam[] {
  return messages.map((m): Anthropic.MessageParam => {
    switch (m.role) {
      case "user":
        if (!m.images?.length) return { role: "user", content: m.text || "(empty)" };
        return {
          role: "user",
          content: [
            ...m.images.map((i): Anthropic.ImageBlockParam => ({
              type: "image",
              source: { type: "base64", media_type: i.mediaType, data: i.base64 },
            })),
            { type: "text", text: m.text || "(empty)" },
          ],
        };
      case "assistant": {
        const replay = m.replay;
        if (
          replay?.provider === "anthropic" && replay.api === "messages" &&
          replay.model === model && replay.items.length > 0
        ) {
          return { role: "assistant", content: replay.items as Anthropic.ContentBlockParam[] };
        }
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

/** The usage of a reply as billed: input split into uncached, cache writes and reads. */
export function anthropicUsage(usage: Partial<Anthropic.Usage> | undefined | null): TokenUsage {
  const uncached = usage?.input_tokens ?? 0;
  const write = usage?.cache_creation_input_tokens ?? 0;
  const read = usage?.cache_read_input_tokens ?? 0;
  // Zero parts are left out: an absent field reads as 0 (domain/events.ts).
  const out: TokenUsage = {
    inputTokens: uncached + write + read,
    outputTokens: usage?.output_tokens ?? 0,
  };
  if (write) out.cacheWriteTokens = write;
  if (read) out.cacheReadTokens = read;
  const thinking = usage?.output_tokens_details?.thinking_tokens;
  if (thinking) out.reasoningTokens = thinking;
  return out;
}

/** The neutral shape of an Anthropic reply; `model` tags its replay. */
export function fromAnthropicMessage(message: Anthropic.Message, model?: string): Completion {
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
  return {
    text,
    toolCalls,
    stopReason: stopReasonOf(message.stop_reason, toolCalls.length > 0),
    usage: anthropicUsage(message.usage),
    ...(model && blocks.length
      ? { replay: { provider: "anthropic", model, api: "messages", items: blocks } }
      : {}),
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
