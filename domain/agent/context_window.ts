/**
 * Keeping a long conversation inside the model's context window: estimate the
 * next request's input from the last reported usage plus what was added since,
 * and when it nears the window, elide the oldest tool results (never the
 * ticket, the instructions, the model's own turns or the most recent tool
 * results). The oldest go first so the cached prefix before them (tools,
 * system text, the task) stays valid; one elision frees a large share of the
 * window at once, so the cache is broken rarely.
 *
 * @module
 */
import type { ChatMessage, ToolResultsMessage } from "../ports/llm.ts";

/** Characters per token used to over-estimate growth (safe side). */
const GROWTH_CHARS_PER_TOKEN = 3;
/** Characters per token used to under-estimate what an elision frees (safe side). */
const SAVING_CHARS_PER_TOKEN = 4.5;
/** Results shorter than this are kept (eliding them frees nothing worth a cache miss). */
const MIN_ELIDED_CHARS = 400;

/** Characters of a message's text the model reads. */
export function messageChars(m: ChatMessage): number {
  switch (m.role) {
    case "user":
      return m.text.length;
    case "assistant":
      return m.text.length + m.toolCalls.reduce((n, c) => n + JSON.stringify(c.input).length, 0);
    case "tool":
      return m.results.reduce((n, r) => n + r.content.length, 0);
  }
}

/**
 * The next request's input in tokens, estimated: the last request's reported
 * input and output (which became part of the conversation) plus the messages
 * added since, or the whole conversation when nothing was reported yet.
 */
export function estimateInputTokens(input: {
  lastInputTokens: number | null;
  lastOutputTokens: number;
  /** Characters of system text and tool definitions (counted only without a report). */
  fixedChars: number;
  messages: readonly ChatMessage[];
  /** Messages already part of the last reported request (and its reply). */
  reportedMessages: number;
}): number {
  const added = input.lastInputTokens === null
    ? input.messages
    : input.messages.slice(input.reportedMessages);
  const chars = added.reduce((n, m) => n + messageChars(m), 0);
  const base = input.lastInputTokens === null
    ? input.fixedChars / GROWTH_CHARS_PER_TOKEN
    : input.lastInputTokens + input.lastOutputTokens;
  return Math.ceil(base + chars / GROWTH_CHARS_PER_TOKEN);
}

/** One tool result replaced by a placeholder. */
export interface Elision {
  messageIndex: number;
  resultIndex: number;
  removedChars: number;
}

/** The placeholder an elided result becomes. */
export function elisionNote(chars: number, tool: string | undefined): string {
  return `[elided to fit the context window: ${chars} characters of earlier ` +
    `${tool ? `${tool} ` : ""}output. Call the tool again if you still need it.]`;
}

/**
 * Elides the oldest tool results until about `tokensToFree` tokens are freed,
 * keeping the last `keepRecentToolMessages` tool messages whole. Returns the
 * new message list (the input is not changed) and what was elided.
 */
export function elideOldToolResults(
  messages: readonly ChatMessage[],
  tokensToFree: number,
  keepRecentToolMessages: number,
): { messages: ChatMessage[]; elisions: Elision[]; freedTokens: number } {
  const out = [...messages];
  const toolIndexes = out.flatMap((m, i) => m.role === "tool" ? [i] : []);
  const candidates = toolIndexes.slice(0, Math.max(0, toolIndexes.length - keepRecentToolMessages));
  const names = new Map<string, string>();
  for (const m of out) {
    if (m.role === "assistant") { for (const c of m.toolCalls) names.set(c.id, c.name); }
  }
  const elisions: Elision[] = [];
  let freed = 0;
  for (const i of candidates) {
    if (freed >= tokensToFree) break;
    const message = out[i] as ToolResultsMessage;
    const results = message.results.map((r, k) => {
      if (freed >= tokensToFree || r.content.length < MIN_ELIDED_CHARS) return r;
      const note = elisionNote(r.content.length, names.get(r.toolCallId));
      const removed = r.content.length - note.length;
      if (removed <= 0) return r;
      freed += removed / SAVING_CHARS_PER_TOKEN;
      elisions.push({ messageIndex: i, resultIndex: k, removedChars: r.content.length });
      return { ...r, content: note };
    });
    out[i] = { role: "tool", results };
  }
  return { messages: out, elisions, freedTokens: Math.floor(freed) };
}

/** Applies recorded elisions to a message list (to rebuild requests from a transcript). */
export function applyElisions(
  messages: readonly ChatMessage[],
  elisions: readonly Elision[],
): ChatMessage[] {
  const out = [...messages];
  const names = new Map<string, string>();
  for (const m of out) {
    if (m.role === "assistant") { for (const c of m.toolCalls) names.set(c.id, c.name); }
  }
  for (const e of elisions) {
    const m = out[e.messageIndex];
    if (m?.role !== "tool") continue;
    out[e.messageIndex] = {
      role: "tool",
      results: m.results.map((r, k) =>
        k === e.resultIndex
          ? { ...r, content: elisionNote(e.removedChars, names.get(r.toolCallId)) }
          : r
      ),
    };
  }
  return out;
}
