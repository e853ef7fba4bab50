/**
 * The fake LLM's OpenAI Responses API (`POST /v1/responses`), strict where the
 * real one is (API-NOTES §10): parameters that moved (`messages`,
 * `max_tokens`) are refused; strict function schemas must forbid extra
 * properties and require every property; every `function_call` needs its
 * `function_call_output` and every output its call; reasoning items follow
 * `llm_reasoning.ts`; effort values a model refuses are refused. Usage reports
 * `input_tokens_details.{cached_tokens, cache_write_tokens}` from the fake's
 * prompt cache and `output_tokens_details.reasoning_tokens`.
 *
 * @module
 */
import { type CacheBlock, tokensOf } from "./llm_cache.ts";
import { validateResponsesReasoning } from "./llm_reasoning.ts";
import {
  contextProblem,
  type FakeLlmRequest,
  type FakeReply,
  type FakeState,
  json,
  openaiShape,
  type ProviderShape,
  toolNames,
} from "./llm_server.ts";

const EFFORTS = ["none", "minimal", "low", "medium", "high", "xhigh", "max"];
const INCLUDABLE = new Set([
  "file_search_call.results",
  "web_search_call.results",
  "web_search_call.action.sources",
  "message.input_image.image_url",
  "computer_call_output.output.image_url",
  "code_interpreter_call.outputs",
  "reasoning.encrypted_content",
  "message.output_text.logprobs",
]);
const ITEM_TYPES = new Set([
  "message",
  "function_call",
  "function_call_output",
  "reasoning",
]);

type Obj = Record<string, unknown>;

/** Strict-mode problems of a function's parameters schema, or null. */
export function strictSchemaProblem(name: string, schema: unknown, path = ""): string | null {
  const s = schema as Obj | null;
  if (!s || typeof s !== "object") return null;
  const where = `Invalid schema for function '${name}': In context=(${path})`;
  const types = Array.isArray(s.type) ? s.type : [s.type];
  if (types.includes("object")) {
    if (s.additionalProperties !== false) {
      return `${where}, 'additionalProperties' is required to be supplied and to be false.`;
    }
    const props = (s.properties ?? {}) as Obj;
    const required = Array.isArray(s.required) ? s.required : [];
    const missing = Object.keys(props).find((k) => !required.includes(k));
    if (missing !== undefined) {
      return `${where}, 'required' is required to be supplied and to be an array including ` +
        `every key in properties. Missing '${missing}'.`;
    }
    for (const [k, sub] of Object.entries(props)) {
      const p = strictSchemaProblem(
        name,
        sub,
        path ? `${path}, 'properties', '${k}'` : `'properties', '${k}'`,
      );
      if (p) return p;
    }
  }
  if (types.includes("array") && s.items) {
    return strictSchemaProblem(name, s.items, path ? `${path}, 'items'` : "'items'");
  }
  for (const sub of Array.isArray(s.anyOf) ? s.anyOf : []) {
    const p = strictSchemaProblem(name, sub, path);
    if (p) return p;
  }
  return null;
}

function inputItems(body: Obj): Obj[] {
  return typeof body.input === "string"
    ? [{ role: "user", content: body.input }]
    : (body.input as Obj[]);
}

function itemType(item: Obj): string {
  return typeof item.type === "string" ? item.type : "role" in item ? "message" : "";
}

/** The blocks of a request for cache accounting: instructions, tools, input items. */
function responsesBlocks(body: Obj): CacheBlock[] {
  const parts: unknown[] = [
    { instructions: body.instructions ?? null, reasoning: body.reasoning ?? null },
    ...(Array.isArray(body.tools) ? body.tools : []),
    ...inputItems(body),
  ];
  return parts.map((p) => {
    const key = JSON.stringify(p);
    return { key, tokens: Math.ceil(key.length / 4), breakpoint: false };
  });
}

function outputText(item: Obj): string {
  if (typeof item.content === "string") return item.content;
  return (Array.isArray(item.content) ? item.content as Obj[] : [])
    .map((c) => typeof c.text === "string" ? c.text : "").join("\n");
}

/** The Responses API shape of the fake. */
export const responsesShape: ProviderShape = {
  path: "/v1/responses",
  authorized: (h, key) => openaiShape.authorized(h, key),
  unauthorized: (id) => openaiShape.unauthorized(id),
  error: (...args) => openaiShape.error(...args),
  fault: (id, fault) => openaiShape.fault(id, fault),
  validate(body, state) {
    if (typeof body.model !== "string" || !body.model) {
      return "Missing required parameter: 'model'.";
    }
    if ("messages" in body) {
      return "Unsupported parameter: 'messages'. In the Responses API, this parameter has moved " +
        "to 'input'.";
    }
    if ("max_tokens" in body) {
      return "Unsupported parameter: 'max_tokens'. In the Responses API, this parameter has " +
        "moved to 'max_output_tokens'.";
    }
    if (
      body.max_output_tokens !== undefined &&
      (!Number.isInteger(body.max_output_tokens) || (body.max_output_tokens as number) < 16)
    ) {
      return "Invalid 'max_output_tokens': integer below minimum value. Expected a value >= 16.";
    }
    if (body.previous_response_id !== undefined) {
      return `Previous response with id '${String(body.previous_response_id)}' not found.`;
    }
    for (const inc of Array.isArray(body.include) ? body.include : []) {
      if (!INCLUDABLE.has(String(inc))) return `Invalid value: '${String(inc)}' for 'include'.`;
    }
    const reasoning = body.reasoning as Obj | undefined;
    if (reasoning?.effort !== undefined) {
      if (!EFFORTS.includes(String(reasoning.effort))) {
        return `Invalid value: '${String(reasoning.effort)}'. Supported values are: ` +
          `${EFFORTS.map((e) => `'${e}'`).join(", ")}.`;
      }
      if (reasoning.effort === "none" && /^gpt-6(\.2-|-astra)/.test(String(body.model))) {
        return "Unsupported value: 'reasoning.effort' does not support 'none' with this model.";
      }
    }
    if (body.tools !== undefined) {
      if (!Array.isArray(body.tools)) return "Invalid type for 'tools': expected an array.";
      for (const [i, t] of (body.tools as Obj[]).entries()) {
        if (t?.type !== "function" || typeof t.name !== "string") {
          return `Invalid 'tools[${i}]': expected a function tool with a name.`;
        }
        if (t.function !== undefined) {
          return `Unknown parameter: 'tools[${i}].function'.`;
        }
        if (t.strict === true) {
          const p = strictSchemaProblem(t.name, t.parameters);
          if (p) return p;
        }
      }
    }
    if (typeof body.input !== "string" && (!Array.isArray(body.input) || !body.input.length)) {
      return "Invalid 'input': expected a string or a non-empty array of items.";
    }
    const items = inputItems(body);
    const calls = new Set<string>();
    const answered = new Set<string>();
    for (const [i, item] of items.entries()) {
      const type = itemType(item);
      if (!ITEM_TYPES.has(type)) return `Invalid value: '${type}' for 'input[${i}].type'.`;
      if (type === "message") {
        if (!["user", "assistant", "system", "developer"].includes(String(item.role))) {
          return `Invalid value: '${String(item.role)}' for 'input[${i}].role'.`;
        }
        for (
          const [j, part] of (Array.isArray(item.content) ? item.content as Obj[] : []).entries()
        ) {
          const where = `input[${i}].content[${j}]`;
          if (part?.type === "input_image") {
            if (item.role !== "user") return `Invalid '${where}': images only in user messages.`;
            const url = String(part.image_url ?? "");
            if (
              !/^data:image\/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/]+={0,2}$/.test(url) &&
              !/^https:\/\//.test(url)
            ) {
              return `Invalid '${where}.image_url': expected a base64 data URL or an https URL.`;
            }
            if (!["low", "high", "auto"].includes(String(part.detail ?? "auto"))) {
              return `Invalid value: '${String(part.detail)}' for '${where}.detail'.`;
            }
          } else if (!["input_text", "output_text", "refusal"].includes(String(part?.type))) {
            return `Invalid value: '${String(part?.type)}' for '${where}.type'.`;
          }
        }
      }
      if (type === "function_call") {
        if (typeof item.call_id !== "string" || typeof item.arguments !== "string") {
          return `Missing required parameter: 'input[${i}].call_id'.`;
        }
        calls.add(item.call_id);
      }
      if (type === "function_call_output") {
        if (!calls.has(String(item.call_id))) {
          return `No tool call found for function call output with call_id ${
            String(item.call_id)
          }.`;
        }
        answered.add(String(item.call_id));
      }
    }
    const unanswered = [...calls].find((c) => !answered.has(c));
    if (unanswered) return `No tool output found for function call ${unanswered}.`;
    return validateResponsesReasoning(items, body.store !== false, state.reasoning) ??
      contextProblem("openai", responsesBlocks(body), state.contextWindow);
  },
  view(body, turn): FakeLlmRequest {
    const items = inputItems(body);
    let k = items.length;
    while (k > 0 && itemType(items[k - 1]) === "function_call_output") k--;
    const last = items[items.length - 1];
    return {
      provider: "openai",
      turn,
      model: String(body.model),
      body,
      toolResults: items.slice(k).map((m) => {
        const content = typeof m.output === "string" ? m.output : JSON.stringify(m.output);
        return { toolCallId: String(m.call_id), content, isError: content.startsWith("ERROR: ") };
      }),
      lastUserText: itemType(last) === "message" && last.role === "user" ? outputText(last) : null,
      toolNames: toolNames(body.tools, (t) => t.name),
    };
  },
  reply(id, view, reply: FakeReply, state: FakeState) {
    const body = view.body;
    const calls = (reply.toolCalls ?? []).map((c, i) => ({
      id: `fc_fake${id}_${i}`,
      type: "function_call",
      call_id: c.id ?? `call_fake${id}_${i}`,
      name: c.name,
      arguments: c.rawArguments ?? JSON.stringify(c.input ?? {}),
      status: "completed",
    }));
    const effort = (body.reasoning as Obj | undefined)?.effort;
    const wantsReasoning = Array.isArray(body.include) &&
      body.include.includes("reasoning.encrypted_content") && effort !== "none";
    const reasoning = reply.reasoning !== undefined || wantsReasoning
      ? [state.reasoning.reasoningItem(reply.reasoning, calls.map((c) => c.call_id))]
      : [];
    const refusal = reply.stopReason === "refusal";
    const message = reply.text || refusal
      ? [{
        id: `msg_fake${id}`,
        type: "message",
        role: "assistant",
        status: "completed",
        content: refusal
          ? [{ type: "refusal", refusal: reply.text ?? "I can't help with that." }]
          : [{ type: "output_text", text: reply.text, annotations: [], logprobs: [] }],
      }]
      : [];
    const output = [...reasoning, ...message, ...calls];
    const reasoningTokens = reasoning.length ? tokensOf(reasoning) : 0;
    let usage = reply.usage;
    if (!usage) {
      const cache = state.openaiCache.account(
        responsesBlocks(body),
        typeof body.prompt_cache_key === "string" ? body.prompt_cache_key : "",
      );
      usage = {
        inputTokens: cache.totalTokens,
        cacheReadTokens: cache.cacheReadTokens,
        cacheWriteTokens: cache.cacheWriteTokens,
        outputTokens: tokensOf([...message, ...calls]) + reasoningTokens,
        reasoningTokens,
      };
    }
    const incomplete = reply.stopReason === "max_tokens";
    return json(200, {
      id: `resp_fake${id}`,
      object: "response",
      created_at: Math.floor(Date.now() / 1000),
      status: incomplete ? "incomplete" : "completed",
      incomplete_details: incomplete ? { reason: "max_output_tokens" } : null,
      error: null,
      model: view.model,
      instructions: body.instructions ?? null,
      output,
      parallel_tool_calls: true,
      store: body.store ?? true,
      tools: body.tools ?? [],
      prompt_cache_key: body.prompt_cache_key ?? null,
      usage: {
        input_tokens: usage.inputTokens,
        input_tokens_details: {
          cached_tokens: usage.cacheReadTokens ?? 0,
          cache_write_tokens: usage.cacheWriteTokens ?? 0,
        },
        output_tokens: usage.outputTokens,
        output_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
        total_tokens: usage.inputTokens + usage.outputTokens,
      },
    }, { "x-request-id": `req_fake${id}` });
  },
};
