/**
 * Reasoning settings per provider and model family: `LLM_REASONING_EFFORT`
 * (and `LLM_THINKING_BUDGET_TOKENS` for the models that still take a manual
 * thinking budget) become the request fields each API wants, and the
 * combinations a model refuses are refused here, at start, with a sentence
 * saying what to set instead (never a 400 in the middle of a run).
 *
 * Facts (API-NOTES §§7, 10, and the models' pages, 2026-12): Claude Opus 5.5
 * and Fable/Mythos think always (no `disabled`); Sonnet 5/5.5, Opus 5, Haiku
 * 5.5 and the 4.6–4.8 models use adaptive thinking with `output_config.effort`;
 * the 4.5 models take `thinking: {type: "enabled", budget_tokens}` only.
 * OpenAI: GPT-6.2 Sol/Astra and GPT-6 Astra reject effort `none`; GPT-6 Sol/
 * Luna, 6.1 and 5.6 take `none`…`max`; GPT-5 takes `minimal`…`high`; o-series
 * `low`…`high`; GPT-4.1/4o do not reason; GPT-6 Astra has no function calling
 * on Chat Completions.
 *
 * @module
 */
import { normalizeModelId } from "../pricing.ts";
import type { LlmProvider } from "../ports/llm.ts";

/** The values `LLM_REASONING_EFFORT` accepts (the union of both providers'). */
export const REASONING_EFFORTS = [
  "none",
  "minimal",
  "low",
  "medium",
  "high",
  "xhigh",
  "max",
] as const;

/** One reasoning effort. */
export type ReasoningEffort = typeof REASONING_EFFORTS[number];

/** Anthropic's effort levels (`output_config.effort`). */
export type AnthropicEffort = "low" | "medium" | "high" | "xhigh" | "max";

/** What the Anthropic adapter sends. */
export type AnthropicReasoning =
  /** Send no `thinking` (the model's default). */
  | { kind: "default" }
  /** `thinking: {type: "disabled"}`. */
  | { kind: "disabled" }
  /** `thinking: {type: "adaptive"}` and, when set, `output_config.effort`. */
  | { kind: "adaptive"; effort?: AnthropicEffort }
  /** `thinking: {type: "enabled", budget_tokens}` (manual, older models). */
  | { kind: "budget"; budgetTokens: number };

/** What the OpenAI adapter sends. */
export interface OpenAiReasoning {
  /** `reasoning.effort`; absent: the model's default. */
  effort?: ReasoningEffort;
  /** Whether the model returns reasoning items to carry between tool calls. */
  reasoningItems: boolean;
}

/** The reasoning fields of every request of a run, decided once at start. */
export type ReasoningPlan =
  | { provider: "anthropic"; anthropic: AnthropicReasoning }
  | { provider: "openai"; openai: OpenAiReasoning };

/** What the operator asked for. */
export interface ReasoningSettings {
  effort?: ReasoningEffort;
  thinkingBudgetTokens?: number;
  /** Most tokens of one reply (a thinking budget must stay below it). */
  maxOutputTokens: number;
  /** OpenAI only: the API in use. */
  openaiApi?: "responses" | "chat_completions";
}

/** A plan, or the sentence saying why the combination is refused. */
export type ReasoningDecision = { ok: true; plan: ReasoningPlan } | { ok: false; problem: string };

const ANTHROPIC_BUDGET_FOR: Record<string, number> = { low: 2_048, medium: 8_192, high: 12_288 };

interface AnthropicFamily {
  name: string;
  match: RegExp;
  kind: "always_on" | "adaptive" | "adaptive_off_by_default" | "budget";
  efforts: readonly AnthropicEffort[];
}

const ALL_ANTHROPIC: readonly AnthropicEffort[] = ["low", "medium", "high", "xhigh", "max"];

const ANTHROPIC_FAMILIES: readonly AnthropicFamily[] = [
  {
    name: "Claude Opus 5.5 / Fable / Mythos",
    match: /^claude-(opus-5-5|fable-|mythos-)/,
    kind: "always_on",
    efforts: ALL_ANTHROPIC,
  },
  {
    name: "Claude Opus 4.7/4.8",
    match: /^claude-opus-4-[78]/,
    kind: "adaptive_off_by_default",
    efforts: ALL_ANTHROPIC,
  },
  {
    name: "Claude Sonnet 5/5.5, Opus 5, Haiku 5.5",
    match: /^claude-(sonnet-5|opus-5|haiku-5)/,
    kind: "adaptive",
    efforts: ALL_ANTHROPIC,
  },
  {
    name: "Claude 4.6",
    match: /^claude-(opus|sonnet)-4-6/,
    kind: "adaptive",
    efforts: ["low", "medium", "high", "max"],
  },
  {
    name: "Claude 4.5",
    match: /^claude-(opus|sonnet|haiku)-4-5/,
    kind: "budget",
    efforts: ["low", "medium", "high"],
  },
];

interface OpenAiFamily {
  name: string;
  match: RegExp;
  efforts: readonly ReasoningEffort[];
  noChatTools?: boolean;
}

const OPENAI_FAMILIES: readonly OpenAiFamily[] = [
  {
    name: "GPT-6 Astra",
    match: /^gpt-6-astra/,
    efforts: ["low", "medium", "high", "xhigh", "max"],
    noChatTools: true,
  },
  {
    name: "GPT-6.2 Sol/Astra",
    match: /^gpt-6\.2-/,
    efforts: ["low", "medium", "high", "xhigh", "max"],
  },
  {
    name: "GPT-6 Sol/Luna, GPT-6.1, GPT-5.6",
    match: /^gpt-(6-(sol|luna)|6\.1-|5\.6-)/,
    efforts: ["none", "low", "medium", "high", "xhigh", "max"],
  },
  {
    name: "GPT-5.1–5.5",
    match: /^gpt-5\.[1-5]/,
    efforts: ["none", "low", "medium", "high", "xhigh"],
  },
  { name: "GPT-5", match: /^gpt-5(-|$)/, efforts: ["minimal", "low", "medium", "high"] },
  { name: "o-series", match: /^o\d/, efforts: ["low", "medium", "high"] },
  { name: "GPT-4.1/4o (no reasoning)", match: /^(gpt-4|chatgpt-4)/, efforts: [] },
];

/** Decides the reasoning fields for a provider and model; see the module documentation. */
export function planReasoning(
  provider: LlmProvider,
  model: string,
  settings: ReasoningSettings,
): ReasoningDecision {
  const id = normalizeModelId(model);
  return provider === "anthropic"
    ? planAnthropic(model, id, settings)
    : planOpenAi(model, id, settings);
}

function refuse(problem: string): ReasoningDecision {
  return { ok: false, problem };
}

function planAnthropic(model: string, id: string, s: ReasoningSettings): ReasoningDecision {
  const family = ANTHROPIC_FAMILIES.find((f) => f.match.test(id));
  const effort = s.effort;
  const budget = s.thinkingBudgetTokens;
  const anthropic = (a: AnthropicReasoning): ReasoningDecision => ({
    ok: true,
    plan: { provider: "anthropic", anthropic: a },
  });
  const checkBudget = (b: number): string | null =>
    b < 1024 || b >= s.maxOutputTokens
      ? `LLM_THINKING_BUDGET_TOKENS must be at least 1024 and below the reply limit of ` +
        `${s.maxOutputTokens} tokens (got ${b})`
      : null;

  if (!family) {
    // Unknown (newer, or a gateway's name): pass the operator's choice through.
    if (budget !== undefined) {
      const p = checkBudget(budget);
      return p ? refuse(p) : anthropic({ kind: "budget", budgetTokens: budget });
    }
    if (effort === undefined) return anthropic({ kind: "default" });
    if (effort === "none") return anthropic({ kind: "disabled" });
    if (effort === "minimal") return refuse(minimalProblem(model));
    return anthropic({ kind: "adaptive", effort });
  }

  if (family.kind === "budget") {
    if (effort !== undefined && effort !== "none" && !family.efforts.includes(effort as never)) {
      return refuse(
        `${model} (${family.name}) takes a thinking budget, not effort "${effort}": set ` +
          `LLM_REASONING_EFFORT to none, low, medium or high, or set LLM_THINKING_BUDGET_TOKENS`,
      );
    }
    if (effort === "none") return anthropic({ kind: "default" });
    const chosen = budget ?? (effort ? ANTHROPIC_BUDGET_FOR[effort] : undefined);
    if (chosen === undefined) return anthropic({ kind: "default" });
    const p = checkBudget(chosen);
    return p ? refuse(p) : anthropic({ kind: "budget", budgetTokens: chosen });
  }

  if (budget !== undefined) {
    return refuse(
      `${model} (${family.name}) uses adaptive thinking and takes no thinking budget: unset ` +
        "LLM_THINKING_BUDGET_TOKENS and choose the depth with LLM_REASONING_EFFORT " +
        `(${family.efforts.join(", ")})`,
    );
  }
  if (effort === undefined) return anthropic({ kind: "default" });
  if (effort === "none") {
    if (family.kind === "always_on") {
      return refuse(
        `${model} (${family.name}) always thinks and refuses thinking "disabled": set ` +
          `LLM_REASONING_EFFORT to one of ${family.efforts.join(", ")}, or leave it unset`,
      );
    }
    return anthropic(
      family.kind === "adaptive_off_by_default" ? { kind: "default" } : {
        kind: "disabled",
      },
    );
  }
  if (effort === "minimal") return refuse(minimalProblem(model));
  if (!family.efforts.includes(effort)) {
    return refuse(
      `${model} (${family.name}) does not take effort "${effort}": use one of ` +
        `${
          ["none", ...family.efforts].filter((e) => e !== "none" || family.kind !== "always_on")
            .join(", ")
        }`,
    );
  }
  return anthropic({ kind: "adaptive", effort });
}

function minimalProblem(model: string): string {
  return `Claude models have no effort "minimal" (${model}): use none, low, medium, high, ` +
    "xhigh or max";
}

function planOpenAi(model: string, id: string, s: ReasoningSettings): ReasoningDecision {
  const family = OPENAI_FAMILIES.find((f) => f.match.test(id));
  if (s.thinkingBudgetTokens !== undefined) {
    return refuse(
      "LLM_THINKING_BUDGET_TOKENS is for Claude models with manual thinking; OpenAI models " +
        "take only LLM_REASONING_EFFORT",
    );
  }
  if (family?.noChatTools && s.openaiApi === "chat_completions") {
    return refuse(
      `${model} (${family.name}) has no function calling on Chat Completions: set ` +
        "OPENAI_API=responses (the default)",
    );
  }
  const effort = s.effort;
  const reasoningItems = family ? family.efforts.length > 0 : true;
  if (family && effort !== undefined && !family.efforts.includes(effort)) {
    return refuse(
      family.efforts.length === 0
        ? `${model} (${family.name}) does not reason: unset LLM_REASONING_EFFORT`
        : `${model} (${family.name}) refuses reasoning effort "${effort}": use one of ` +
          `${family.efforts.join(", ")}, or leave LLM_REASONING_EFFORT unset`,
    );
  }
  return {
    ok: true,
    plan: {
      provider: "openai",
      openai: { ...(effort !== undefined ? { effort } : {}), reasoningItems },
    },
  };
}
