/**
 * A run's stored LLM transcript (the `ChangesGenerated.transcript` artifact: one
 * tool loop per validation round) as text for people: each request and
 * response with its usage, each message, every tool call and its result, long
 * texts cut to a bound.
 *
 * @module
 */
import type { TranscriptEntry } from "../domain/agent/transcript.ts";
import type { ChatMessage } from "../domain/ports/llm.ts";
import { formatCount, printable } from "./issue_story.ts";

/** Options of {@link formatTranscript}. */
export interface TranscriptFormatOptions {
  /** Longest text shown of a prompt or message, in characters; default 2,000 (0: no bound). */
  maxChars?: number;
  /** Longest tool input or result shown, in characters; default 800 (0: no bound). */
  maxToolChars?: number;
  /** How to see everything, said when texts are cut; default `--full shows everything`. */
  fullHint?: string;
}

/** The tool loops of a stored transcript (an array of loops, or one loop's entries). */
export function parseTranscript(value: unknown): TranscriptEntry[][] {
  if (!Array.isArray(value)) throw new Error("the transcript is not a JSON array");
  if (value.length === 0) return [];
  const loops = Array.isArray(value[0]) ? value : [value];
  return loops.map((loop, i) => {
    if (!Array.isArray(loop)) {
      throw new Error(`tool loop ${i + 1} of the transcript is not an array`);
    }
    return loop.filter((e): e is TranscriptEntry =>
      typeof e === "object" && e !== null && typeof (e as { kind?: unknown }).kind === "string"
    );
  });
}

/** `text` cut to `max` characters with a note of how much was left out. */
export function bound(text: string, max: number): string {
  if (max <= 0 || text.length <= max) return text;
  return `${text.slice(0, max)}… [${formatCount(text.length - max)} more characters]`;
}

function quoted(text: string, max: number): string[] {
  return printable(bound(text, max)).split("\n").map((l) => `   | ${l}`);
}

function seconds(t: number): string {
  return `+${(t / 1000).toFixed(3)} s`;
}

type Bounds = { maxChars: number; maxToolChars: number };

function messageLines(m: ChatMessage, t: number, o: Bounds): string[] {
  const head = `── [${seconds(t)}]`;
  if (m.role === "user") return [`${head} user`, ...quoted(m.text, o.maxChars)];
  if (m.role === "assistant") {
    const lines = [`${head} assistant`];
    if (m.text.trim()) lines.push(...quoted(m.text, o.maxChars));
    for (const call of m.toolCalls) {
      const input = call.inputError
        ? `(unreadable input: ${call.inputError})`
        : JSON.stringify(call.input);
      lines.push(`   → ${call.name} ${printable(bound(input, o.maxToolChars))}  (call ${call.id})`);
    }
    return lines;
  }
  const lines = [`${head} tool results`];
  for (const r of m.results) {
    lines.push(`   ← ${r.toolCallId} ${r.isError ? "ERROR" : "ok"}:`);
    lines.push(...quoted(r.content, o.maxToolChars));
  }
  return lines;
}

function entryLines(e: TranscriptEntry, o: Bounds): string[] {
  switch (e.kind) {
    case "start":
      return [
        `   started ${e.startedAt} · ${e.provider} ${e.model}`,
        `   budgets: ${e.budgets.maxTurns} turns, ${formatCount(e.budgets.maxTokens)} tokens, ` +
        `${Math.round(e.budgets.wallTimeMs / 1000)} s wall time`,
        `   tools: ${e.tools.map((t) => t.name).join(", ")}`,
        `── system prompt (${formatCount(e.system.length)} characters)`,
        ...quoted(e.system, o.maxChars),
      ];
    case "message":
      return messageLines(e.message, e.t, o);
    case "request":
      return [
        `── [${seconds(e.t)}] request, turn ${e.turn}: ${e.messageCount} message(s), ` +
        `up to ${formatCount(e.maxTokens)} output tokens`,
      ];
    case "response":
      return [
        `── [${seconds(e.t)}] response, turn ${e.turn}: ${e.stopReason}; ` +
        `${formatCount(e.usage.inputTokens)} in${cacheNote(e.usage)} + ${
          formatCount(e.usage.outputTokens)
        } out tokens; ` +
        (e.costUsd !== undefined ? `$${e.costUsd.toFixed(4)}; ` : "") +
        `${Math.round(e.durationMs)} ms`,
      ];
    case "elided":
      return [
        `── [${seconds(e.t)}] context window: ${e.elisions.length} older tool result(s) elided ` +
        `before turn ${e.turn} (about ${formatCount(e.estimatedTokens)} of ` +
        `${formatCount(e.contextWindow)} tokens)`,
      ];
    case "tool":
      return [
        `── [${seconds(e.t)}] tool ${e.name} (call ${e.toolCallId}): ` +
        `${e.isError ? "error" : "ok"}, ${Math.round(e.durationMs)} ms`,
      ];
    case "error":
      return [
        `── [${seconds(e.t)}] LLM ERROR on turn ${e.turn}: ${e.error.kind}` +
        (e.error.status ? ` ${e.error.status}` : "") +
        `: ${printable(bound(e.error.message, 500))}`,
      ];
    case "end":
      return [
        `── [${seconds(e.t)}] end: ${e.outcome}` + (e.budget ? ` (budget ${e.budget})` : "") +
        ` after ${e.turns} turn(s); ${formatCount(e.usage.inputTokens)} in + ` +
        `${formatCount(e.usage.outputTokens)} out tokens`,
        ...(e.reason ? [`   reason: ${printable(bound(e.reason, o.maxChars))}`] : []),
        ...(e.summary ? [`   summary:`, ...quoted(e.summary, o.maxChars)] : []),
      ];
    default:
      return [];
  }
}

/** `(120 cached, 30 written)` for the cache parts of a usage, or nothing. */
function cacheNote(usage: { cacheReadTokens?: number; cacheWriteTokens?: number }): string {
  const parts = [
    usage.cacheReadTokens ? `${formatCount(usage.cacheReadTokens)} cached` : "",
    usage.cacheWriteTokens ? `${formatCount(usage.cacheWriteTokens)} written to cache` : "",
  ].filter(Boolean);
  return parts.length ? ` (${parts.join(", ")})` : "";
}

/** The transcript's tool loops as lines of text. */
export function formatTranscript(
  loops: readonly TranscriptEntry[][],
  options: TranscriptFormatOptions = {},
): string[] {
  const o = { maxChars: options.maxChars ?? 2_000, maxToolChars: options.maxToolChars ?? 800 };
  const fullHint = options.fullHint ?? "--full shows everything";
  const lines: string[] = [];
  let turns = 0;
  let input = 0;
  let output = 0;
  for (const loop of loops) {
    const end = loop.find((e) => e.kind === "end");
    if (end?.kind === "end") {
      turns += end.turns;
      input += end.usage.inputTokens;
      output += end.usage.outputTokens;
    } else {
      for (const e of loop) {
        if (e.kind !== "response") continue;
        turns++;
        input += e.usage.inputTokens;
        output += e.usage.outputTokens;
      }
    }
  }
  lines.push(
    `${loops.length} tool loop(s) · ${turns} turn(s) · ${formatCount(input)} in + ` +
      `${formatCount(output)} out tokens`,
  );
  if (o.maxChars > 0) {
    lines.push(
      `(texts over ${formatCount(o.maxChars)} characters and tool data over ` +
        `${formatCount(o.maxToolChars)} are cut; ${fullHint})`,
    );
  }
  loops.forEach((loop, i) => {
    lines.push("");
    lines.push(`━━ tool loop ${i + 1} of ${loops.length}` + (i > 0 ? " (repair round)" : ""));
    for (const e of loop) lines.push(...entryLines(e, o));
  });
  return lines;
}
