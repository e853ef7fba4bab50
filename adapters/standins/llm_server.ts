/**
 * A scripted LLM on loopback, protocol-faithful enough for the real SDKs:
 * Anthropic's `POST /v1/messages` and OpenAI's `POST /v1/responses` and
 * `POST /v1/chat/completions`, with their response and error shapes, their
 * auth headers, and their request-validity rules for tool conversations (an
 * unanswered tool call, or a past OpenAI `arguments` string that is not a JSON
 * object, is a 400 as it is on the real services).
 *
 * Like the real services it accounts prompt caching (`llm_cache.ts`: Anthropic
 * `cache_creation_input_tokens`/`cache_read_input_tokens` from the breakpoints
 * it receives, OpenAI `cached_tokens`/`cache_write_tokens`), returns thinking
 * blocks and reasoning items and refuses a conversation that drops or alters
 * them (`llm_reasoning.ts`), enforces strict function schemas, and refuses a
 * request larger than its context window.
 *
 * The script is a list of turns consumed one per request: a reply, a fault
 * (429 with `retry-after`, 529/503 overloaded, 500, any status), or a function
 * of the request returning one (so a scripted model can react to tool results).
 * Every request is recorded. Used by tests and by `deno task demo`; it imports
 * nothing test-only.
 *
 * @module
 */

import {
  AnthropicPromptCache,
  type CacheBlock,
  OpenAiPromptCache,
  tokensOf,
  withoutCacheControl,
} from "./llm_cache.ts";
import { IssuedReasoning, validateAnthropicThinking } from "./llm_reasoning.ts";
import { responsesShape } from "./llm_responses.ts";

export { contextProblem };

/** Which API the fake speaks. */
export type FakeLlmProvider = "anthropic" | "openai";

/** A tool call in a scripted reply. */
export interface FakeToolCall {
  /** Default: a generated `toolu_…` / `call_…` id. */
  id?: string;
  name: string;
  /** The input object (serialised as the provider does). */
  input?: unknown;
  /** OpenAI only: the exact `arguments` string to send, malformed if you like. */
  rawArguments?: string;
}

/** A scripted assistant reply. */
export interface FakeReply {
  text?: string;
  toolCalls?: FakeToolCall[];
  /** Default: `tool_use` when there are tool calls, else `end_turn`. */
  stopReason?: "end_turn" | "tool_use" | "max_tokens" | "refusal";
  /**
   * Default: about a token per four characters of request and reply, with the
   * input split by the fake's own prompt-cache accounting. When given, these
   * numbers are reported as they are (no cache unless stated).
   */
  usage?: {
    inputTokens: number;
    outputTokens: number;
    cacheWriteTokens?: number;
    cacheReadTokens?: number;
    reasoningTokens?: number;
  };
  /**
   * Reasoning to return: an Anthropic `thinking` block (when the request
   * enables thinking) or an OpenAI `reasoning` item with a summary. OpenAI
   * reasoning items are also returned without it whenever the request asks
   * for `reasoning.encrypted_content` with an effort other than `none`.
   */
  reasoning?: string;
  /** Wait this long before answering (a slow model); cut short when the fake closes. */
  delayMs?: number;
}

/** A scripted failure. */
export type FakeFault =
  | { fault: "rate_limit"; retryAfterSeconds?: number; errorCode?: string }
  | { fault: "overloaded"; retryAfterSeconds?: number }
  | { fault: "server_error"; retryAfterSeconds?: number }
  | {
    fault: "status";
    status: number;
    type?: string;
    message?: string;
    errorCode?: string;
    retryAfterSeconds?: number;
  };

/** What a scripted function sees of a request. */
export interface FakeLlmRequest {
  provider: FakeLlmProvider;
  /** 0-based index of this scripted turn. */
  turn: number;
  model: string;
  body: Record<string, unknown>;
  /** Tool results sent with this request (the answers to the last tool calls). */
  toolResults: { toolCallId: string; content: string; isError: boolean }[];
  /** The text of the last user message, if it is text. */
  lastUserText: string | null;
  /** Names of the tools offered. */
  toolNames: string[];
}

/** One turn of the script. */
export type FakeTurn =
  | FakeReply
  | FakeFault
  | ((request: FakeLlmRequest) => FakeReply | FakeFault | Promise<FakeReply | FakeFault>);

/** A request the fake received, as recorded. */
export interface RecordedLlmRequest {
  method: string;
  path: string;
  /** Headers, with the credential values replaced by `[present]`. */
  headers: Record<string, string>;
  rawBody: string;
  /** The parsed JSON body, or null when it was not JSON. */
  body: Record<string, unknown> | null;
  /** Whether the credential matched. */
  authorized: boolean;
  /** The status the fake answered with. */
  status: number;
}

/** How to start the fake. */
export interface FakeLlmOptions {
  provider: FakeLlmProvider;
  script: FakeTurn[];
  /** The key clients must send (default `fake-llm-key`). */
  apiKey?: string;
  /** Loopback port (default 0: any free port). */
  port?: number;
  /** Largest request input in tokens; more is a 400 as on the real API (default: none). */
  contextWindow?: number;
  /** Anthropic: smallest cacheable prefix in tokens (default 1024). */
  minCacheableTokens?: number;
}

/** A running fake. */
export interface FakeLlm extends AsyncDisposable {
  provider: FakeLlmProvider;
  /** The base URL to give the SDK (`…/v1` for OpenAI, as its default has). */
  baseURL: string;
  /** The key it accepts. */
  apiKey: string;
  /** Every request, in arrival order (including rejected ones). */
  requests: RecordedLlmRequest[];
  /** Requests that consumed a turn of the script (authorized, valid, scripted). */
  readonly turnsUsed: number;
  /** Turns of the script not used yet. */
  readonly turnsLeft: number;
  /** Errors thrown by scripted functions (answered with a 500). */
  scriptErrors: string[];
  close(): Promise<void>;
}

/** Starts a fake LLM on 127.0.0.1. */
export function startFakeLlm(options: FakeLlmOptions): FakeLlm {
  const provider = options.provider;
  const apiKey = options.apiKey ?? "fake-llm-key";
  const requests: RecordedLlmRequest[] = [];
  const scriptErrors: string[] = [];
  let turn = 0;
  let serial = 0;
  const closing = new AbortController();
  const state: FakeState = {
    anthropicCache: new AnthropicPromptCache(options.minCacheableTokens ?? 1024),
    openaiCache: new OpenAiPromptCache(),
    reasoning: new IssuedReasoning(),
    contextWindow: options.contextWindow,
  };
  const shapeFor = (path: string): ProviderShape =>
    provider === "anthropic"
      ? anthropicShape
      : path === responsesShape.path
      ? responsesShape
      : openaiShape;

  const handler = async (request: Request): Promise<Response> => {
    const rawBody = await request.text();
    const path = new URL(request.url).pathname;
    const shape = shapeFor(path);
    const recorded: RecordedLlmRequest = {
      method: request.method,
      path,
      headers: recordHeaders(request.headers),
      rawBody,
      body: parseObject(rawBody),
      authorized: shape.authorized(request.headers, apiKey),
      status: 0,
    };
    requests.push(recorded);
    const id = `${++serial}`;
    const respond = (res: Response) => {
      recorded.status = res.status;
      return res;
    };

    if (request.method !== "POST" || path !== shape.path) {
      return respond(shape.error(id, 404, "not_found_error", `no route ${request.method} ${path}`));
    }
    if (!recorded.authorized) return respond(shape.unauthorized(id));
    if (!recorded.body) {
      return respond(shape.error(id, 400, "invalid_request_error", "body is not a JSON object"));
    }
    const invalid = shape.validate(recorded.body, state);
    if (invalid) return respond(shape.error(id, 400, "invalid_request_error", invalid));
    if (turn >= options.script.length) {
      return respond(shape.error(
        id,
        400,
        "invalid_request_error",
        `fake LLM: script exhausted after ${options.script.length} turns`,
        { "x-should-retry": "false" },
      ));
    }

    const step = options.script[turn];
    const view = shape.view(recorded.body, turn);
    turn++;
    let outcome: FakeReply | FakeFault;
    try {
      outcome = typeof step === "function" ? await step(view) : step;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      scriptErrors.push(message);
      return respond(shape.error(id, 500, "api_error", `fake LLM script threw: ${message}`, {
        "x-should-retry": "false",
      }));
    }
    if ("fault" in outcome) return respond(shape.fault(id, outcome));
    if (outcome.delayMs) await sleep(outcome.delayMs, closing.signal);
    return respond(shape.reply(id, view, outcome, state));
  };

  const server = Deno.serve(
    { hostname: "127.0.0.1", port: options.port ?? 0, onListen: () => {} },
    handler,
  );
  const origin = `http://127.0.0.1:${server.addr.port}`;
  let closed: Promise<void> | null = null;
  const close = () => {
    closing.abort(); // cut slow answers short
    return closed ??= server.shutdown();
  };
  return {
    provider,
    baseURL: provider === "openai" ? `${origin}/v1` : origin,
    apiKey,
    requests,
    scriptErrors,
    get turnsUsed() {
      return turn;
    },
    get turnsLeft() {
      return options.script.length - turn;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** What differs between the APIs. */
export interface ProviderShape {
  path: string;
  authorized(headers: Headers, apiKey: string): boolean;
  unauthorized(id: string): Response;
  error(
    id: string,
    status: number,
    type: string,
    message: string,
    headers?: Record<string, string>,
    errorCode?: string,
  ): Response;
  fault(id: string, fault: FakeFault): Response;
  validate(body: Record<string, unknown>, state: FakeState): string | null;
  view(body: Record<string, unknown>, turn: number): FakeLlmRequest;
  reply(id: string, view: FakeLlmRequest, reply: FakeReply, state: FakeState): Response;
}

const anthropicShape: ProviderShape = {
  path: "/v1/messages",
  authorized: (h, key) => h.get("x-api-key") === key || h.get("authorization") === `Bearer ${key}`,
  unauthorized: (id) => anthropicShape.error(id, 401, "authentication_error", "invalid x-api-key"),
  error(id, status, type, message, headers = {}, errorCode) {
    const error: Record<string, unknown> = { type, message };
    if (errorCode) error.details = { error_code: errorCode };
    return json(status, { type: "error", error, request_id: `req_fake${id}` }, {
      "request-id": `req_fake${id}`,
      ...headers,
    });
  },
  fault(id, fault) {
    switch (fault.fault) {
      case "rate_limit":
        return this.error(
          id,
          429,
          "rate_limit_error",
          "This request would exceed your rate limit.",
          {
            "retry-after": String(fault.retryAfterSeconds ?? 1),
            "anthropic-ratelimit-requests-remaining": "0",
          },
          fault.errorCode,
        );
      case "overloaded":
        return this.error(id, 529, "overloaded_error", "Overloaded", retryAfter(fault));
      case "server_error":
        return this.error(id, 500, "api_error", "Internal server error", retryAfter(fault));
      case "status":
        return this.error(
          id,
          fault.status,
          fault.type ?? "api_error",
          fault.message ?? `status ${fault.status}`,
          retryAfter(fault),
          fault.errorCode,
        );
    }
  },
  validate(body, state) {
    if (typeof body.model !== "string" || !body.model) return "model: Field required";
    if (!Number.isInteger(body.max_tokens) || (body.max_tokens as number) < 1) {
      return "max_tokens: Field required (a positive integer)";
    }
    if (body.tools !== undefined) {
      if (!Array.isArray(body.tools)) return "tools: Input should be a valid list";
      for (const [i, t] of (body.tools as Record<string, unknown>[]).entries()) {
        const schema = t?.input_schema as Record<string, unknown> | undefined;
        if (typeof t?.name !== "string" || schema?.type !== "object") {
          return `tools.${i}: a tool needs a name and an input_schema of type "object"`;
        }
      }
    }
    const messages = body.messages;
    if (!Array.isArray(messages) || messages.length === 0) {
      return "messages: at least one message is required";
    }
    if (messages[0]?.role !== "user") return "messages.0.role: the first message must be user";
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i] as Record<string, unknown>;
      if (m.role !== "user" && m.role !== "assistant") {
        return `messages.${i}.role: Input should be 'user' or 'assistant'`;
      }
      const blocks = Array.isArray(m.content) ? m.content as Record<string, unknown>[] : [];
      if (typeof m.content !== "string" && !Array.isArray(m.content)) {
        return `messages.${i}.content: Input should be a string or a list of blocks`;
      }
      if (Array.isArray(m.content) && blocks.length === 0) {
        return `messages.${i}: all messages must have non-empty content`;
      }
      for (const [j, b] of blocks.entries()) {
        const image = anthropicImageProblem(b, m.role as string);
        if (image) return `messages.${i}.content.${j}: ${image}`;
      }
      const uses = m.role === "assistant"
        ? blocks.filter((b) => b.type === "tool_use").map((b) => String(b.id))
        : [];
      if (uses.length === 0) continue;
      const next = messages[i + 1] as Record<string, unknown> | undefined;
      if (!next) continue; // a trailing assistant turn is a prefill
      const nextBlocks = Array.isArray(next.content)
        ? next.content as Record<string, unknown>[]
        : [];
      const answered = new Set(
        nextBlocks.filter((b) => b.type === "tool_result").map((b) => String(b.tool_use_id)),
      );
      const missing = uses.filter((u) => !answered.has(u));
      if (next.role !== "user" || missing.length) {
        return `messages.${i + 1}: \`tool_use\` ids were found without \`tool_result\` blocks ` +
          `immediately after: ${missing.join(", ")}. Each \`tool_use\` block must have a ` +
          "corresponding `tool_result` block in the next message.";
      }
      const firstOther = nextBlocks.findIndex((b) => b.type !== "tool_result");
      if (firstOther !== -1 && firstOther < answered.size) {
        return `messages.${i + 1}: tool_result blocks must come first in the content`;
      }
    }
    return validateAnthropicCaching(body) ?? validateAnthropicThinking(body, state.reasoning) ??
      contextProblem("anthropic", anthropicBlocks(body), state.contextWindow);
  },
  view(body, turn) {
    const messages = body.messages as Record<string, unknown>[];
    const last = messages[messages.length - 1];
    const blocks = Array.isArray(last.content) ? last.content as Record<string, unknown>[] : [];
    return {
      provider: "anthropic",
      turn,
      model: String(body.model),
      body,
      toolResults: blocks.filter((b) => b.type === "tool_result").map((b) => ({
        toolCallId: String(b.tool_use_id),
        content: typeof b.content === "string"
          ? b.content
          : (Array.isArray(b.content) ? b.content : [])
            .map((c: Record<string, unknown>) => String(c.text ?? "")).join(""),
        isError: b.is_error === true,
      })),
      lastUserText: last.role !== "user"
        ? null
        : typeof last.content === "string"
        ? last.content
        : blocks.filter((b) => b.type === "text").map((b) => String(b.text)).join("\n") || null,
      toolNames: toolNames(body.tools, (t) => t.name),
    };
  },
  reply(id, view, reply, state) {
    const calls = (reply.toolCalls ?? []).map((c, i) => ({
      type: "tool_use",
      id: c.id ?? `toolu_fake${id}_${i}`,
      name: c.name,
      input: c.input ?? {},
    }));
    const thinkingType = (view.body.thinking as Record<string, unknown> | undefined)?.type;
    const thinking = reply.reasoning && (thinkingType === "adaptive" || thinkingType === "enabled")
      ? [state.reasoning.thinkingBlock(reply.reasoning, view.model)]
      : [];
    const content = [
      ...thinking,
      ...(reply.text ? [{ type: "text", text: reply.text, citations: null }] : []),
      ...calls,
    ];
    state.reasoning.rememberThinking(calls.map((c) => c.id), thinking);
    const reasoningTokens = thinking.length ? tokensOf(reply.reasoning) : 0;
    const usage = reply.usage ?? anthropicUsageOf(view.body, state, content, reasoningTokens);
    return json(200, {
      id: `msg_fake${id}`,
      type: "message",
      role: "assistant",
      model: view.model,
      content,
      stop_reason: reply.stopReason ?? (calls.length ? "tool_use" : "end_turn"),
      stop_sequence: null,
      usage: {
        input_tokens: usage.inputTokens - (usage.cacheWriteTokens ?? 0) -
          (usage.cacheReadTokens ?? 0),
        output_tokens: usage.outputTokens,
        cache_creation_input_tokens: usage.cacheWriteTokens ?? 0,
        cache_read_input_tokens: usage.cacheReadTokens ?? 0,
        cache_creation: {
          ephemeral_5m_input_tokens: usage.cacheWriteTokens ?? 0,
          ephemeral_1h_input_tokens: 0,
        },
        output_tokens_details: { thinking_tokens: usage.reasoningTokens ?? 0 },
      },
    }, { "request-id": `req_fake${id}` });
  },
};

/** OpenAI Chat Completions (`OPENAI_API=chat_completions`). */
export const openaiShape: ProviderShape = {
  path: "/v1/chat/completions",
  authorized: (h, key) => h.get("authorization") === `Bearer ${key}`,
  unauthorized: (id) =>
    openaiShape.error(
      id,
      401,
      "invalid_request_error",
      "Incorrect API key provided. You can find your API key at " +
        "https://platform.openai.com/account/api-keys.",
      {},
      "invalid_api_key",
    ),
  error(id, status, type, message, headers = {}, errorCode) {
    return json(status, { error: { message, type, param: null, code: errorCode ?? null } }, {
      "x-request-id": `req_fake${id}`,
      ...headers,
    });
  },
  fault(id, fault) {
    switch (fault.fault) {
      case "rate_limit":
        return fault.errorCode === "insufficient_quota"
          ? this.error(
            id,
            429,
            "insufficient_quota",
            "You exceeded your current quota, please check your plan and billing details.",
            {},
            "insufficient_quota",
          )
          : this.error(
            id,
            429,
            "requests",
            "Rate limit reached for requests.",
            {
              "retry-after": String(fault.retryAfterSeconds ?? 1),
              "x-ratelimit-remaining-requests": "0",
            },
            fault.errorCode ?? "rate_limit_exceeded",
          );
      case "overloaded":
        return this.error(
          id,
          503,
          "server_error",
          "The server is overloaded or not ready yet.",
          retryAfter(fault),
        );
      case "server_error":
        return this.error(
          id,
          500,
          "server_error",
          "The server had an error while processing your request. Sorry about that!",
          retryAfter(fault),
        );
      case "status":
        return this.error(
          id,
          fault.status,
          fault.type ?? "server_error",
          fault.message ?? `status ${fault.status}`,
          retryAfter(fault),
          fault.errorCode,
        );
    }
  },
  validate(body) {
    if (typeof body.model !== "string" || !body.model) {
      return "you must provide a model parameter";
    }
    if (body.tools !== undefined) {
      if (!Array.isArray(body.tools)) return "Invalid type for 'tools': expected an array";
      for (const [i, t] of (body.tools as Record<string, unknown>[]).entries()) {
        const fn = t?.function as Record<string, unknown> | undefined;
        if (t?.type !== "function" || typeof fn?.name !== "string") {
          return `Invalid 'tools[${i}]': expected a function tool with a name`;
        }
      }
    }
    const messages = body.messages;
    if (!Array.isArray(messages) || messages.length === 0) {
      return "Invalid 'messages': empty array. Expected an array with minimum length 1.";
    }
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i] as Record<string, unknown>;
      if (!["system", "developer", "user", "assistant", "tool"].includes(String(m.role))) {
        return `Invalid value for 'messages[${i}].role'`;
      }
      if (m.role === "tool" && typeof m.tool_call_id !== "string") {
        return `Missing required parameter: 'messages[${i}].tool_call_id'.`;
      }
      if (m.role === "assistant" && m.tool_calls === undefined && m.content == null) {
        return `Invalid value for 'messages[${i}].content': an assistant message needs ` +
          "content unless it has tool_calls.";
      }
      if (m.role !== "assistant" || m.tool_calls === undefined) continue;
      const calls = m.tool_calls as Record<string, unknown>[];
      if (!Array.isArray(calls) || calls.length === 0) {
        return `Invalid 'messages[${i}].tool_calls': empty array. Expected an array with ` +
          "minimum length 1, but got an empty array instead.";
      }
      for (const [j, c] of calls.entries()) {
        const args = (c.function as Record<string, unknown> | undefined)?.arguments;
        if (typeof args !== "string" || parseObject(args) === null) {
          return `Invalid 'messages[${i}].tool_calls[${j}].function.arguments': ` +
            "arguments must be a valid JSON object string.";
        }
      }
      const answered = new Set<string>();
      for (let k = i + 1; k < messages.length && messages[k].role === "tool"; k++) {
        answered.add(String(messages[k].tool_call_id));
      }
      const missing = calls.map((c) => String(c.id)).filter((c) => !answered.has(c));
      if (missing.length) {
        return "An assistant message with 'tool_calls' must be followed by tool messages " +
          "responding to each 'tool_call_id'. The following tool_call_ids did not have " +
          `response messages: ${missing.join(", ")}`;
      }
    }
    return null;
  },
  view(body, turn) {
    const messages = body.messages as Record<string, unknown>[];
    let k = messages.length;
    while (k > 0 && messages[k - 1].role === "tool") k--;
    const last = messages[messages.length - 1];
    return {
      provider: "openai",
      turn,
      model: String(body.model),
      body,
      toolResults: messages.slice(k).map((m) => {
        const content = typeof m.content === "string" ? m.content : JSON.stringify(m.content);
        return {
          toolCallId: String(m.tool_call_id),
          content,
          isError: content.startsWith("ERROR: "),
        };
      }),
      lastUserText: last.role === "user" && typeof last.content === "string" ? last.content : null,
      toolNames: toolNames(body.tools, (t) => (t.function as Record<string, unknown>)?.name),
    };
  },
  reply(id, view, reply) {
    const calls = (reply.toolCalls ?? []).map((c, i) => ({
      id: c.id ?? `call_fake${id}_${i}`,
      type: "function",
      function: { name: c.name, arguments: c.rawArguments ?? JSON.stringify(c.input ?? {}) },
    }));
    const refusal = reply.stopReason === "refusal";
    const message: Record<string, unknown> = {
      role: "assistant",
      content: refusal ? null : reply.text ?? null,
      refusal: refusal ? reply.text ?? "I can't help with that." : null,
      annotations: [],
    };
    if (calls.length) message.tool_calls = calls;
    const finish = {
      end_turn: "stop",
      tool_use: "tool_calls",
      max_tokens: "length",
      refusal: "stop",
    }[reply.stopReason ?? (calls.length ? "tool_use" : "end_turn")];
    const usage = reply.usage ?? {
      inputTokens: tokensOf(view.body),
      outputTokens: tokensOf(message),
    };
    return json(200, {
      id: `chatcmpl-fake${id}`,
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model: view.model,
      choices: [{ index: 0, message, logprobs: null, finish_reason: finish }],
      usage: {
        prompt_tokens: usage.inputTokens,
        completion_tokens: usage.outputTokens,
        total_tokens: usage.inputTokens + usage.outputTokens,
      },
      system_fingerprint: "fp_fake",
    }, { "x-request-id": `req_fake${id}` });
  },
};

/** The `retry-after` header of a fault, when it names one. */
export function retryAfter(fault: { retryAfterSeconds?: number }): Record<string, string> {
  return fault.retryAfterSeconds === undefined
    ? {}
    : { "retry-after": String(fault.retryAfterSeconds) };
}

/** What the fake remembers between requests. */
export interface FakeState {
  anthropicCache: AnthropicPromptCache;
  openaiCache: OpenAiPromptCache;
  reasoning: IssuedReasoning;
  contextWindow?: number;
}

/** The blocks of an Anthropic request, in cache order: tools, system, messages. */
function anthropicBlocks(body: Record<string, unknown>): CacheBlock[] {
  const blocks: CacheBlock[] = [];
  const push = (block: unknown, prefix: string) => {
    const key = prefix + withoutCacheControl(block);
    blocks.push({
      key,
      tokens: Math.ceil(key.length / 4),
      breakpoint: !!(block as Record<string, unknown> | null)?.cache_control,
    });
  };
  for (const t of Array.isArray(body.tools) ? body.tools : []) push(t, "tool:");
  const system = body.system;
  if (typeof system === "string" && system) push({ type: "text", text: system }, "system:");
  else if (Array.isArray(system)) { for (const b of system) push(b, "system:"); }
  // Changing the thinking settings invalidates the messages' cache (API-NOTES §6).
  const mode = `thinking:${JSON.stringify(body.thinking ?? null)}:${
    JSON.stringify(body.output_config ?? null)
  }:`;
  for (const m of (body.messages ?? []) as Record<string, unknown>[]) {
    const content = typeof m.content === "string"
      ? [{ type: "text", text: m.content }]
      : m.content as unknown[];
    for (const b of content) push(b, `${mode}${m.role}:`);
  }
  if (body.cache_control && blocks.length) blocks[blocks.length - 1].breakpoint = true;
  return blocks;
}

function anthropicUsageOf(
  body: Record<string, unknown>,
  state: FakeState,
  content: unknown[],
  reasoningTokens: number,
): NonNullable<FakeReply["usage"]> {
  const outcome = state.anthropicCache.account(anthropicBlocks(body), String(body.model));
  return {
    inputTokens: outcome.totalTokens,
    cacheWriteTokens: outcome.cacheWriteTokens,
    cacheReadTokens: outcome.cacheReadTokens,
    outputTokens: tokensOf(content) + reasoningTokens,
    reasoningTokens,
  };
}

/** Anthropic's rules for `cache_control`: at most 4, ephemeral, a known TTL. */
/** What the Messages API says about a bad image block (base64 images only, four types). */
function anthropicImageProblem(block: Record<string, unknown>, role: string): string | null {
  if (block?.type !== "image") return null;
  if (role !== "user") return "image blocks are only allowed in user messages";
  const source = block.source as Record<string, unknown> | undefined;
  if (source?.type !== "base64") return "source.type: Input should be 'base64' or 'url'";
  const types = ["image/jpeg", "image/png", "image/gif", "image/webp"];
  if (!types.includes(String(source.media_type))) {
    return `source.media_type: Input should be ${types.map((t) => `'${t}'`).join(", ")}`;
  }
  if (typeof source.data !== "string" || !/^[A-Za-z0-9+/]+={0,2}$/.test(source.data)) {
    return "source.data: the image data is not valid base64";
  }
  return null;
}

function validateAnthropicCaching(body: Record<string, unknown>): string | null {
  const marks: Record<string, unknown>[] = [];
  const visit = (block: unknown) => {
    const mark = (block as Record<string, unknown> | null)?.cache_control;
    if (mark !== undefined && mark !== null) marks.push(mark as Record<string, unknown>);
  };
  for (const t of Array.isArray(body.tools) ? body.tools : []) visit(t);
  if (Array.isArray(body.system)) body.system.forEach(visit);
  for (const m of (body.messages ?? []) as Record<string, unknown>[]) {
    if (Array.isArray(m.content)) m.content.forEach(visit);
  }
  if (body.cache_control) marks.push(body.cache_control as Record<string, unknown>);
  for (const mark of marks) {
    if (mark.type !== "ephemeral") return "cache_control.type: Input should be 'ephemeral'";
    if (mark.ttl !== undefined && mark.ttl !== "5m" && mark.ttl !== "1h") {
      return "cache_control.ttl: Input should be '5m' or '1h'";
    }
  }
  if (marks.length > 4) {
    return `A maximum of 4 blocks with cache_control may be provided. Found ${marks.length}.`;
  }
  return null;
}

/** A 400 when the input is larger than the context window, worded as each API words it. */
function contextProblem(
  provider: FakeLlmProvider,
  blocks: readonly CacheBlock[],
  window: number | undefined,
): string | null {
  if (window === undefined) return null;
  const total = blocks.reduce((n, b) => n + b.tokens, 0);
  if (total <= window) return null;
  return provider === "anthropic"
    ? `prompt is too long: ${total} tokens > ${window} maximum`
    : `Your input exceeds the context window of this model (${total} > ${window} tokens).`;
}

/** The names of the offered tools. */
export function toolNames(
  tools: unknown,
  name: (t: Record<string, unknown>) => unknown,
): string[] {
  return Array.isArray(tools) ? tools.map((t) => String(name(t))) : [];
}

/** A JSON response. */
export function json(status: number, body: unknown, headers: Record<string, string>): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** Parses a JSON object, or null. */
export function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value = JSON.parse(text);
    return value && typeof value === "object" && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

function recordHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of headers) {
    out[name] = name === "x-api-key" || name === "authorization" ? "[present]" : value;
  }
  return out;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
