/**
 * The provider-neutral tool loop: send the task, run the tools the model
 * calls, send back their results, until the model calls `finish`, a budget
 * runs out, the caller stops it, or the model stops working without finishing.
 *
 * The loop never throws for what a tool does (refusals and failures go back to
 * the model as tool errors). It rejects only when the model cannot be reached
 * ({@link ToolLoopError}, carrying the {@link LlmError} and the transcript so
 * far) or when `onTurn`/`onProgress` throws.
 *
 * Usage is kept as billed (uncached input, cache writes, cache reads, output,
 * reasoning) and priced per call; the token budget counts billed-equivalent
 * tokens and `maxCostUsd` money, both checked before every call. When the
 * conversation nears the context window, older tool results are elided
 * (`context_window.ts`); the result says how often. A loop can continue an
 * earlier one's conversation (`history`: the earlier result's `messages`).
 *
 * @module
 */
import {
  type AssistantMessage,
  type ChatMessage,
  type Completion,
  isLlmError,
  type LlmClient,
  LlmError,
  type TokenUsage,
  type ToolResult,
  type UserImage,
} from "../ports/llm.ts";
import {
  addUsage,
  billedEquivalentTokens,
  costOf,
  type ModelPrice,
  NO_USAGE,
  priceOf,
} from "../pricing.ts";
import { budgetReason, type BudgetSpend, exceededBudget } from "./budgets.ts";
import { elideOldToolResults, estimateInputTokens } from "./context_window.ts";
import type { ToolExecutor, ToolOutcome } from "./tool_executor.ts";
import type {
  BudgetName,
  ToolLoopBudgets,
  ToolLoopOutcome,
  TranscriptEntry,
} from "./transcript.ts";

export type { BudgetName, ToolLoopBudgets, ToolLoopOutcome, TranscriptEntry };

/** Progress after each turn (for dashboards and lease renewal). */
export interface ToolLoopProgress {
  turn: number;
  usage: TokenUsage;
  elapsedMs: number;
  /** Names of the tools called this turn, in order. */
  toolCalls: string[];
}

/** Per-run totals after each turn (for lease heartbeats and the live dashboard). */
export interface ToolLoopTotals {
  turns: number;
  /** Tool calls made so far (all turns). */
  toolCalls: number;
  /** Usage as billed, by kind. */
  usage: TokenUsage;
  /** Money spent so far at list prices (0 when the model is not priced). */
  costUsd: number;
}

/** What {@link runToolLoop} needs. */
export interface ToolLoopOptions {
  llm: LlmClient;
  system: string;
  /** The new user message (the task, or the next instruction of a continued conversation). */
  userPrompt: string;
  /** Images to show with `userPrompt` (the ticket's screenshots). */
  images?: readonly UserImage[];
  /**
   * An earlier conversation to continue (a previous result's `messages`): sent
   * as it is, before `userPrompt`, so its cached prefix is reused. The system
   * text and tools must be the same as then.
   */
  history?: readonly ChatMessage[];
  /** A stable prompt-cache key, the same for every run of one issue (`ai-runner:<KEY>`). */
  cacheKey?: string;
  /**
   * The model's prices and context window (from the price table, with the
   * override file). Absent: looked up in the built-in table; null: unpriced
   * (cost reads 0, the cost budget cannot end the run).
   */
  pricing?: ModelPrice | null;
  /** Tokens of the context window (default: the price entry's, else 200 000). */
  contextWindowTokens?: number;
  tools: ToolExecutor;
  budgets: ToolLoopBudgets;
  /** The clock, in epoch milliseconds (`Date.now`). */
  now: () => number;
  /** Aborting it stops the loop (outcome `stopped`), cancelling a call in flight. */
  signal?: AbortSignal;
  /** Called after every turn; awaited; a rejection rejects the loop. */
  onTurn?: (progress: ToolLoopProgress) => void | Promise<void>;
  /** Called after every turn with the run's totals; awaited; a rejection rejects the loop. */
  onProgress?: (totals: ToolLoopTotals) => void | Promise<void>;
  /** Most tokens of one reply (default 8192; never more than the budget left). */
  maxOutputTokens?: number;
  /** Applied to all text sent to the model: system, task and tool results. */
  redact?: (text: string) => string;
  /** Longest tool result sent to the model, in characters (default 60 000). */
  maxToolResultChars?: number;
}

/** How the loop ended. */
export interface ToolLoopResult {
  outcome: ToolLoopOutcome;
  /** The model's summary, when it finished. */
  summary?: string;
  /** The budget that ran out, when `outcome` is `budget_exceeded`. */
  budget?: BudgetName;
  /** Why the loop ended, for people, whenever it did not finish. */
  reason?: string;
  turns: number;
  /** Usage as billed, by kind, over all calls of this loop. */
  usage: TokenUsage;
  /** Tool calls made. */
  toolCalls: number;
  /** Money spent at list prices (0 when the model is not priced; see `priced`). */
  costUsd: number;
  /** Whether `costUsd` comes from a price entry. */
  priced: boolean;
  /** Billed-equivalent tokens (what the token budget counted). */
  billedTokens: number;
  /** Times older tool results were elided to fit the context window (0: never). */
  contextElisions: number;
  /**
   * The whole conversation at the end (history included), to continue it with
   * another loop (`history`), e.g. for a repair after failed validation.
   */
  messages: ChatMessage[];
  transcript: TranscriptEntry[];
}

/** The model could not be reached; carries what happened before. */
export class ToolLoopError extends Error {
  constructor(
    readonly llmError: LlmError,
    readonly partial: Omit<ToolLoopResult, "outcome">,
  ) {
    super(llmError.message);
    this.name = "ToolLoopError";
  }

  /** Whether a later retry can help. */
  get kind(): LlmError["kind"] {
    return this.llmError.kind;
  }
}

/** The message that asks a model to call `finish` once after it stopped without it. */
export const FINISH_NUDGE = "You ended your turn without calling the `finish` tool. " +
  "If the task is done, call `finish` with a short summary of what you changed. " +
  "Otherwise continue working with the tools.";

const DEFAULT_MAX_OUTPUT_TOKENS = 8192;
const DEFAULT_MAX_TOOL_RESULT_CHARS = 60_000;
const DEFAULT_CONTEXT_WINDOW = 200_000;
/** Elide when the next request would pass this share of the window… */
const ELIDE_ABOVE = 0.8;
/** …down to this share, so the cache is broken rarely. */
const ELIDE_DOWN_TO = 0.5;
/** Tool messages at the end that are never elided. */
const KEEP_RECENT_TOOL_MESSAGES = 3;

/** Runs the loop to its end; see the module documentation. */
export async function runToolLoop(options: ToolLoopOptions): Promise<ToolLoopResult> {
  const loop = new Loop(options);
  return await loop.run();
}

class Loop {
  readonly #o: ToolLoopOptions;
  readonly #startedAt: number;
  readonly #transcript: TranscriptEntry[] = [];
  #messages: ChatMessage[] = [];
  readonly #redact: (text: string) => string;
  readonly #price: ModelPrice | null;
  readonly #window: number;
  #turns = 0;
  #toolCalls = 0;
  #usage: TokenUsage = { ...NO_USAGE };
  #costUsd = 0;
  #elisions = 0;
  #nudged = false;
  #diffBytes: number | undefined;
  /** The last call's reported input and output, and how many messages it covered. */
  #last: { input: number; output: number; messages: number } | null = null;

  constructor(options: ToolLoopOptions) {
    this.#o = options;
    this.#startedAt = options.now();
    this.#redact = options.redact ?? ((t) => t);
    this.#price = options.pricing === undefined ? priceOf(options.llm.model) : options.pricing;
    this.#window = options.contextWindowTokens ?? this.#price?.contextWindow ??
      DEFAULT_CONTEXT_WINDOW;
  }

  async run(): Promise<ToolLoopResult> {
    const o = this.#o;
    const history = o.history ?? [];
    this.#transcript.push({
      kind: "start",
      t: 0,
      startedAt: new Date(this.#startedAt).toISOString(),
      provider: o.llm.provider,
      model: o.llm.model,
      system: this.#redact(o.system),
      tools: [...o.tools.definitions],
      budgets: { ...o.budgets },
      ...(o.cacheKey ? { cacheKey: o.cacheKey } : {}),
      ...(history.length ? { continuedMessages: history.length } : {}),
    });
    for (const m of history) this.#say(m);
    this.#say({
      role: "user",
      text: this.#redact(o.userPrompt),
      ...(o.images?.length ? { images: o.images } : {}),
    });

    while (true) {
      if (o.signal?.aborted) return this.#end("stopped", { reason: "stopped by the caller" });
      const exceeded = this.#budgetBeforeCall();
      if (exceeded) return this.#endBudget(exceeded);

      const completion = await this.#call();
      if ("ended" in completion) return completion.ended;

      if (completion.toolCalls.length === 0) {
        const ended = this.#afterTextOnly(completion);
        await this.#progress(completion);
        if (ended) return ended;
        if (o.signal?.aborted) return this.#end("stopped", { reason: "stopped by the caller" });
        continue;
      }

      const finish = await this.#runTools(completion);
      await this.#progress(completion);
      if (finish) return this.#end("finished", { summary: finish.summary });
      if (o.signal?.aborted) return this.#end("stopped", { reason: "stopped by the caller" });
      const after = await this.#budgetAfterTurn();
      if (after) return this.#endBudget(after);
    }
  }

  /** Billed-equivalent tokens so far. */
  #billed(): number {
    return billedEquivalentTokens(this.#usage, this.#price);
  }

  /** Elides older tool results when the next request would near the context window. */
  #fitContextWindow(maxTokens: number): void {
    const o = this.#o;
    const estimate = estimateInputTokens({
      lastInputTokens: this.#last?.input ?? null,
      lastOutputTokens: this.#last?.output ?? 0,
      fixedChars: o.system.length + JSON.stringify(o.tools.definitions).length,
      messages: this.#messages,
      reportedMessages: this.#last?.messages ?? 0,
    }) + maxTokens;
    if (estimate <= this.#window * ELIDE_ABOVE) return;
    const { messages, elisions, freedTokens } = elideOldToolResults(
      this.#messages,
      estimate - this.#window * ELIDE_DOWN_TO,
      KEEP_RECENT_TOOL_MESSAGES,
    );
    if (elisions.length === 0) return;
    this.#messages = messages;
    this.#elisions++;
    // The reported size no longer describes the conversation: re-base the estimate.
    if (this.#last) {
      this.#last = { ...this.#last, input: Math.max(0, this.#last.input - freedTokens) };
    }
    this.#transcript.push({
      kind: "elided",
      t: this.#elapsed(),
      turn: this.#turns + 1,
      estimatedTokens: estimate,
      contextWindow: this.#window,
      elisions,
    });
  }

  /** One model call; the completion, or how the loop ended. */
  async #call(): Promise<Completion | { ended: ToolLoopResult }> {
    const o = this.#o;
    const remaining = o.budgets.maxTokens - this.#billed();
    const maxTokens = Math.max(
      1,
      Math.min(o.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS, remaining),
    );
    this.#fitContextWindow(maxTokens);
    this.#turns++;
    this.#transcript.push({
      kind: "request",
      t: this.#elapsed(),
      turn: this.#turns,
      messageCount: this.#messages.length,
      maxTokens,
    });

    // The wall-time budget also bounds a call in flight.
    const deadline = new AbortController();
    const timer = setTimeout(
      () => deadline.abort(),
      Math.max(0, o.budgets.wallTimeMs - this.#elapsed()),
    );
    const signal = o.signal ? AbortSignal.any([o.signal, deadline.signal]) : deadline.signal;
    const started = o.now();
    let completion: Completion;
    try {
      completion = await o.llm.complete({
        system: this.#redact(o.system),
        messages: [...this.#messages],
        tools: o.tools.definitions,
        maxTokens,
        ...(o.cacheKey ? { cacheKey: o.cacheKey } : {}),
        signal,
      });
    } catch (error) {
      if (o.signal?.aborted) {
        return { ended: this.#end("stopped", { reason: "stopped by the caller" }) };
      }
      if (deadline.signal.aborted) return { ended: this.#endBudget("wall_time") };
      const llmError = isLlmError(error) ? error : new LlmError({
        kind: "permanent",
        message: `LLM call failed: ${error instanceof Error ? error.message : String(error)}`,
      });
      this.#transcript.push({
        kind: "error",
        t: this.#elapsed(),
        turn: this.#turns,
        error: llmError.toJSON(),
      });
      this.#record("llm_error", { reason: llmError.message });
      throw new ToolLoopError(llmError, this.#snapshot({ reason: llmError.message }));
    } finally {
      clearTimeout(timer);
    }

    this.#usage = addUsage(this.#usage, completion.usage);
    // Priced call by call: a long-context tariff depends on each request's size.
    const cost = this.#price ? costOf(completion.usage, this.#price) : undefined;
    this.#costUsd += cost ?? 0;
    this.#toolCalls += completion.toolCalls.length;
    this.#transcript.push({
      kind: "response",
      t: this.#elapsed(),
      turn: this.#turns,
      stopReason: completion.stopReason,
      usage: completion.usage,
      durationMs: o.now() - started,
      ...(cost !== undefined ? { costUsd: cost } : {}),
    });
    const assistant: AssistantMessage = {
      role: "assistant",
      text: completion.text,
      toolCalls: completion.toolCalls,
      ...(completion.replay ? { replay: completion.replay } : {}),
    };
    this.#say(assistant);
    this.#last = {
      input: completion.usage.inputTokens,
      output: completion.usage.outputTokens,
      messages: this.#messages.length,
    };
    return completion;
  }

  async #progress(completion: Completion): Promise<void> {
    await this.#o.onTurn?.({
      turn: this.#turns,
      usage: { ...this.#usage },
      elapsedMs: this.#elapsed(),
      toolCalls: completion.toolCalls.map((c) => c.name),
    });
    await this.#o.onProgress?.({
      turns: this.#turns,
      toolCalls: this.#toolCalls,
      usage: { ...this.#usage },
      costUsd: this.#costUsd,
    });
  }

  /** A reply without tool calls: nudge once, then give up. */
  #afterTextOnly(completion: Completion): ToolLoopResult | null {
    if (completion.stopReason === "refusal") {
      return this.#end("no_finish", {
        reason: `the model refused: ${oneLine(completion.text) || "(no text)"}`,
      });
    }
    if (this.#nudged) {
      return this.#end("no_finish", {
        reason: `the model stopped (${completion.stopReason}) without calling finish, ` +
          "after being reminded once",
      });
    }
    this.#nudged = true;
    this.#say({ role: "user", text: FINISH_NUDGE });
    return null;
  }

  /** Runs every call of a turn (a `finish` last) and records the results. */
  async #runTools(completion: Completion): Promise<{ summary: string } | null> {
    const o = this.#o;
    const limit = o.maxToolResultChars ?? DEFAULT_MAX_TOOL_RESULT_CHARS;
    const ordered = [
      ...completion.toolCalls.filter((c) => c.name !== "finish"),
      ...completion.toolCalls.filter((c) => c.name === "finish"),
    ];
    const byId = new Map<string, ToolResult>();
    let finish: { summary: string } | null = null;
    for (const call of ordered) {
      const started = o.now();
      const outcome: ToolOutcome = finish && call.name === "finish"
        ? { content: "finish was already called in this turn.", isError: true }
        : await this.#execute(call.name, call.input, call.inputError);
      if (outcome.finish && !outcome.isError && !finish) finish = outcome.finish;
      byId.set(call.id, {
        toolCallId: call.id,
        content: truncate(this.#redact(outcome.content), limit),
        isError: outcome.isError,
      });
      this.#transcript.push({
        kind: "tool",
        t: this.#elapsed(),
        turn: this.#turns,
        toolCallId: call.id,
        name: call.name,
        isError: outcome.isError,
        durationMs: o.now() - started,
      });
    }
    // Results go back in the order of the calls, as both providers expect.
    this.#say({
      role: "tool",
      results: completion.toolCalls.map((c) => byId.get(c.id)!),
    });
    return finish;
  }

  async #execute(
    name: string,
    input: Record<string, unknown>,
    inputError: string | undefined,
  ): Promise<ToolOutcome> {
    const tools = this.#o.tools;
    if (inputError) return { content: `Invalid tool input: ${inputError}`, isError: true };
    if (!tools.definitions.some((d) => d.name === name)) {
      const names = tools.definitions.map((d) => d.name).join(", ");
      return { content: `Unknown tool "${name}". Available tools: ${names}.`, isError: true };
    }
    try {
      return await tools.execute(name, input, this.#o.signal);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { content: `Internal error in tool ${name}: ${message}`, isError: true };
    }
  }

  #spend(): BudgetSpend {
    return {
      turns: this.#turns,
      usage: { ...this.#usage },
      elapsedMs: this.#elapsed(),
      diffBytes: this.#diffBytes,
      billedTokens: this.#billed(),
      ...(this.#price ? { costUsd: this.#costUsd } : {}),
    };
  }

  #budgetBeforeCall(): BudgetName | null {
    return exceededBudget(this.#o.budgets, this.#spend());
  }

  async #budgetAfterTurn(): Promise<BudgetName | null> {
    if (this.#o.budgets.maxDiffBytes !== undefined && this.#o.tools.diffBytes) {
      try {
        this.#diffBytes = await this.#o.tools.diffBytes();
      } catch {
        // Unknown this turn; the worker checks the real diff before pushing.
      }
    }
    return this.#budgetBeforeCall();
  }

  #endBudget(budget: BudgetName): ToolLoopResult {
    const reason = budgetReason(budget, this.#o.budgets, this.#spend());
    return this.#end("budget_exceeded", { budget, reason });
  }

  #end(
    outcome: ToolLoopOutcome,
    extra: { summary?: string; budget?: BudgetName; reason?: string },
  ): ToolLoopResult {
    this.#record(outcome, extra);
    return { outcome, ...this.#snapshot(extra) };
  }

  #record(
    outcome: ToolLoopOutcome | "llm_error",
    extra: { summary?: string; budget?: BudgetName; reason?: string },
  ): void {
    this.#transcript.push({
      kind: "end",
      t: this.#elapsed(),
      outcome,
      ...extra,
      turns: this.#turns,
      usage: { ...this.#usage },
      ...(this.#price ? { costUsd: this.#costUsd } : {}),
    });
  }

  #snapshot(
    extra: { summary?: string; budget?: BudgetName; reason?: string },
  ): Omit<ToolLoopResult, "outcome"> {
    return {
      ...extra,
      turns: this.#turns,
      usage: { ...this.#usage },
      toolCalls: this.#toolCalls,
      costUsd: this.#costUsd,
      priced: this.#price !== null,
      billedTokens: this.#billed(),
      contextElisions: this.#elisions,
      messages: [...this.#messages],
      transcript: this.#transcript,
    };
  }

  #say(message: ChatMessage): void {
    this.#messages.push(message);
    this.#transcript.push({ kind: "message", t: this.#elapsed(), message });
  }

  #elapsed(): number {
    return Math.max(0, this.#o.now() - this.#startedAt);
  }
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat;
}

function truncate(text: string, limit: number): string {
  if (text.length <= limit) return text;
  return `${text.slice(0, limit)}\n[… ${text.length - limit} more characters not shown]`;
}
