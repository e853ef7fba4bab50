/**
 * The transcript of a tool loop: a JSON-serialisable log of everything said to
 * and by the model, stored by the caller as a content-addressed artifact.
 *
 * Each message appears once (`message` entries); a `request` entry names how
 * many messages it sent, so every request can be rebuilt exactly:
 * `start.system`, `start.tools` and the first `messageCount` messages.
 *
 * @module
 */
import { applyElisions, type Elision } from "./context_window.ts";
import type {
  ChatMessage,
  LlmErrorInit,
  LlmProvider,
  StopReason,
  TokenUsage,
  ToolDefinition,
} from "../ports/llm.ts";

/** Budgets of one tool loop. */
export interface ToolLoopBudgets {
  /** Most model calls. */
  maxTurns: number;
  /**
   * Most billed-equivalent tokens over all calls: output, plus input weighed
   * by its price (cache reads at their discount, cache writes at their
   * premium), so a cached prefix re-sent every turn is not counted in full.
   */
  maxTokens: number;
  /** Most money, in US dollars, at the model's list prices (`BUDGET_MAX_USD`). */
  maxCostUsd?: number;
  /** Most wall time from the start of the loop, in milliseconds. */
  wallTimeMs: number;
  /** Largest change the tools may make, in bytes (checked after each turn). */
  maxDiffBytes?: number;
}

/** Which budget ran out. */
export type BudgetName = "turns" | "tokens" | "cost" | "wall_time" | "diff";

/** How a tool loop ended. */
export type ToolLoopOutcome = "finished" | "budget_exceeded" | "stopped" | "no_finish";

/** One entry of the transcript; `t` is milliseconds since the loop started. */
export type TranscriptEntry =
  | {
    kind: "start";
    t: 0;
    /** ISO-8601 time the loop started. */
    startedAt: string;
    provider: LlmProvider;
    model: string;
    system: string;
    tools: ToolDefinition[];
    budgets: ToolLoopBudgets;
    /** The prompt-cache key sent with every request. */
    cacheKey?: string;
    /** Messages of an earlier loop this one continues (they follow as `message` entries). */
    continuedMessages?: number;
  }
  | { kind: "message"; t: number; message: ChatMessage }
  | { kind: "request"; t: number; turn: number; messageCount: number; maxTokens: number }
  | {
    kind: "response";
    t: number;
    turn: number;
    stopReason: StopReason;
    usage: TokenUsage;
    durationMs: number;
    /** What the call cost at list prices, when the model is priced. */
    costUsd?: number;
  }
  | {
    /** Older tool results replaced by placeholders to fit the context window. */
    kind: "elided";
    t: number;
    turn: number;
    /** The estimated input before eliding, and the window. */
    estimatedTokens: number;
    contextWindow: number;
    elisions: Elision[];
  }
  | {
    kind: "tool";
    t: number;
    turn: number;
    toolCallId: string;
    name: string;
    isError: boolean;
    durationMs: number;
  }
  | { kind: "error"; t: number; turn: number; error: LlmErrorInit }
  | {
    kind: "end";
    t: number;
    /** How the loop ended; `llm_error` when the model could not be reached. */
    outcome: ToolLoopOutcome | "llm_error";
    budget?: BudgetName;
    reason?: string;
    summary?: string;
    turns: number;
    usage: TokenUsage;
    costUsd?: number;
  };

/** A request as it was sent, rebuilt from a transcript. */
export interface TranscriptRequest {
  turn: number;
  system: string;
  tools: ToolDefinition[];
  messages: ChatMessage[];
  maxTokens: number;
}

/** Rebuilds every request of a transcript, in order (elisions applied where they happened). */
export function requestsOf(transcript: readonly TranscriptEntry[]): TranscriptRequest[] {
  const start = transcript.find((e) => e.kind === "start");
  if (!start) return [];
  let messages: ChatMessage[] = [];
  const out: TranscriptRequest[] = [];
  for (const e of transcript) {
    if (e.kind === "message") messages.push(e.message);
    else if (e.kind === "elided") messages = applyElisions(messages, e.elisions);
    else if (e.kind === "request") {
      out.push({
        turn: e.turn,
        system: start.system,
        tools: start.tools,
        messages: messages.slice(0, e.messageCount),
        maxTokens: e.maxTokens,
      });
    }
  }
  return out;
}
