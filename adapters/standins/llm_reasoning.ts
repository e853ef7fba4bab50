/**
 * Reasoning in the fake LLM: the thinking blocks (Anthropic) and reasoning
 * items (OpenAI Responses) it issued, and the rules the real APIs enforce on
 * the next request (API-NOTES §§7, 10):
 *
 * - Anthropic: the thinking blocks of the latest assistant turn must come back
 *   unmodified, in order, else 400 "… blocks in the latest assistant message
 *   cannot be modified"; a thinking block with an unknown signature is a 400.
 * - OpenAI, `store: false`: a reasoning item must carry its
 *   `encrypted_content` exactly as issued, and a function call that came with
 *   a reasoning item must be sent back with that item before it.
 *
 * @module
 */
import { hash53 } from "./llm_cache.ts";

/** What the fake issued, remembered for validation. */
export class IssuedReasoning {
  #serial = 0;
  /** Thinking signature → the thinking text it signs. */
  readonly #signatures = new Map<string, string>();
  /** tool_use id → the JSON of the thinking blocks of its reply. */
  readonly #thinkingOfToolUse = new Map<string, string>();
  /** Reasoning item id → its encrypted content. */
  readonly #encrypted = new Map<string, string>();
  /** Function call_id → the reasoning item id issued with it. */
  readonly #reasoningOfCall = new Map<string, string>();

  /** A signed thinking block. */
  thinkingBlock(text: string, model: string): Record<string, unknown> {
    const signature = `sig_${hash53(`${model}:${text}:${++this.#serial}`).toString(36)}`;
    this.#signatures.set(signature, text);
    return { type: "thinking", thinking: text, signature };
  }

  /** Remembers the thinking blocks a reply's tool calls came with. */
  rememberThinking(toolUseIds: string[], thinking: unknown[]): void {
    if (!thinking.length) return;
    const key = JSON.stringify(thinking);
    for (const id of toolUseIds) this.#thinkingOfToolUse.set(id, key);
  }

  /** A reasoning output item, remembered with the calls it precedes. */
  reasoningItem(summary: string | undefined, callIds: string[]): Record<string, unknown> {
    const id = `rs_fake${++this.#serial}`;
    const encrypted = `gAAA${hash53(`${id}:${summary ?? ""}`).toString(36)}${this.#serial}`;
    this.#encrypted.set(id, encrypted);
    for (const call of callIds) this.#reasoningOfCall.set(call, id);
    return {
      id,
      type: "reasoning",
      summary: summary ? [{ type: "summary_text", text: summary }] : [],
      encrypted_content: encrypted,
      status: "completed",
    };
  }

  /** Whether a thinking block's signature is one the fake issued for that text. */
  signatureValid(signature: unknown, text: unknown): boolean {
    return typeof signature === "string" && this.#signatures.get(signature) === text;
  }

  /** The thinking blocks (as JSON) a tool_use id was issued with, if any. */
  thinkingOf(toolUseId: string): string | undefined {
    return this.#thinkingOfToolUse.get(toolUseId);
  }

  /** The encrypted content issued for a reasoning item id. */
  encryptedOf(id: string): string | undefined {
    return this.#encrypted.get(id);
  }

  /** The reasoning item issued with a function call. */
  reasoningOfCall(callId: string): string | undefined {
    return this.#reasoningOfCall.get(callId);
  }
}

const THINKING_TYPES = new Set(["thinking", "redacted_thinking"]);

/** Anthropic's thinking rules for a request; null when it is acceptable. */
export function validateAnthropicThinking(
  body: Record<string, unknown>,
  issued: IssuedReasoning,
): string | null {
  const thinking = body.thinking as Record<string, unknown> | undefined;
  if (thinking !== undefined) {
    if (!["enabled", "adaptive", "disabled", "between_tools"].includes(String(thinking.type))) {
      return "thinking.type: Input should be 'enabled', 'disabled', 'adaptive' or 'between_tools'";
    }
    if (thinking.type === "enabled") {
      const budget = thinking.budget_tokens;
      if (!Number.isInteger(budget) || (budget as number) < 1024) {
        return "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024";
      }
      if ((budget as number) >= (body.max_tokens as number)) {
        return "`max_tokens` must be greater than `thinking.budget_tokens`";
      }
    }
  }
  const effort = (body.output_config as Record<string, unknown> | undefined)?.effort;
  if (effort !== undefined && !["low", "medium", "high", "xhigh", "max"].includes(String(effort))) {
    return "output_config.effort: Input should be 'low', 'medium', 'high', 'xhigh' or 'max'";
  }
  const messages = (body.messages ?? []) as Record<string, unknown>[];
  let latest = -1;
  for (let i = 0; i < messages.length; i++) {
    const blocks = Array.isArray(messages[i].content)
      ? messages[i].content as Record<string, unknown>[]
      : [];
    for (const [k, b] of blocks.entries()) {
      if (b.type === "thinking" && !issued.signatureValid(b.signature, b.thinking)) {
        return `messages.${i}.content.${k}: Invalid \`signature\` in \`thinking\` block`;
      }
    }
    if (messages[i].role === "assistant") latest = i;
  }
  if (latest < 0 || !Array.isArray(messages[latest].content)) return null;
  const blocks = messages[latest].content as Record<string, unknown>[];
  const sent = JSON.stringify(
    blocks.filter((b) => THINKING_TYPES.has(String(b.type))).map((b) => {
      const { cache_control: _, ...rest } = b;
      return rest;
    }),
  );
  for (const b of blocks) {
    if (b.type !== "tool_use") continue;
    const expected = issued.thinkingOf(String(b.id));
    if (expected !== undefined && expected !== sent) {
      return `messages.${latest}.content: \`thinking\` or \`redacted_thinking\` blocks in the ` +
        "latest assistant message cannot be modified. These blocks must remain as they were " +
        "in the original response.";
    }
  }
  return null;
}

/** The Responses API's reasoning-item rules for an `input` list; null when acceptable. */
export function validateResponsesReasoning(
  input: Record<string, unknown>[],
  store: boolean,
  issued: IssuedReasoning,
): string | null {
  const seen = new Set<string>();
  for (const [i, item] of input.entries()) {
    if (item.type === "reasoning") {
      const id = String(item.id ?? "");
      if (!Array.isArray(item.summary)) {
        return `Missing required parameter: 'input[${i}].summary'.`;
      }
      if (typeof item.encrypted_content !== "string") {
        if (!store) {
          return `Item with id '${id}' not found. Items are not persisted when \`store\` is set ` +
            "to false. Try again with `store` set to true, or remove this item from your input.";
        }
      } else if (issued.encryptedOf(id) !== item.encrypted_content) {
        return `The encrypted content for item ${id} could not be verified.`;
      }
      seen.add(id);
    }
    if (item.type === "function_call") {
      const needed = issued.reasoningOfCall(String(item.call_id));
      if (needed && !seen.has(needed)) {
        return `Item '${String(item.id ?? item.call_id)}' of type 'function_call' was provided ` +
          `without its required 'reasoning' item: '${needed}'.`;
      }
    }
  }
  return null;
}
