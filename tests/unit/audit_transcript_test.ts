import assert from "node:assert/strict";
import { bound, formatTranscript, parseTranscript } from "../../projections/transcript_view.ts";
import type { TranscriptEntry } from "../../domain/agent/transcript.ts";

const BUDGETS = { maxTurns: 30, maxTokens: 200_000, wallTimeMs: 600_000 };

function loop(resultText: string): TranscriptEntry[] {
  return [
    {
      kind: "start",
      t: 0,
      startedAt: "2025-06-02T09:00:00.000Z",
      provider: "openai",
      model: "gpt-4o",
      system: "You are AI Runner.",
      tools: [
        { name: "read_file", description: "Reads", inputSchema: {} },
        { name: "finish", description: "Ends", inputSchema: {} },
      ],
      budgets: BUDGETS,
    },
    { kind: "message", t: 0, message: { role: "user", text: "<ticket>Fix it</ticket>" } },
    { kind: "request", t: 1, turn: 1, messageCount: 1, maxTokens: 8192 },
    {
      kind: "response",
      t: 250,
      turn: 1,
      stopReason: "tool_use",
      usage: { inputTokens: 1200, outputTokens: 80 },
      durationMs: 249,
    },
    {
      kind: "message",
      t: 250,
      message: {
        role: "assistant",
        text: "Reading the guide.",
        toolCalls: [{ id: "c1", name: "read_file", input: { path: "docs/guide.md" } }],
      },
    },
    {
      kind: "tool",
      t: 260,
      turn: 1,
      toolCallId: "c1",
      name: "read_file",
      isError: false,
      durationMs: 10,
    },
    {
      kind: "message",
      t: 260,
      message: {
        role: "tool",
        results: [{ toolCallId: "c1", content: resultText, isError: false }],
      },
    },
    {
      kind: "error",
      t: 300,
      turn: 2,
      error: { kind: "transient", message: "overloaded", status: 529 },
    },
    {
      kind: "end",
      t: 1_500,
      outcome: "finished",
      summary: "Fixed the guide.",
      turns: 2,
      usage: { inputTokens: 2500, outputTokens: 150 },
    },
  ];
}

Deno.test("formatTranscript: requests, responses with usage, tool calls and results, the end", () => {
  const lines = formatTranscript([loop("# Guide\nText")]);
  const text = lines.join("\n");
  assert.equal(lines[0], "1 tool loop(s) · 2 turn(s) · 2,500 in + 150 out tokens");
  assert.match(text, /started 2025-06-02T09:00:00\.000Z · openai gpt-4o/);
  assert.match(text, /budgets: 30 turns, 200,000 tokens, 600 s wall time/);
  assert.match(text, /tools: read_file, finish/);
  assert.match(text, /── system prompt \(18 characters\)\n {3}\| You are AI Runner\./);
  assert.match(text, /── \[\+0\.000 s\] user\n {3}\| <ticket>Fix it<\/ticket>/);
  assert.match(
    text,
    /── \[\+0\.001 s\] request, turn 1: 1 message\(s\), up to 8,192 output tokens/,
  );
  assert.match(text, /response, turn 1: tool_use; 1,200 in \+ 80 out tokens; 249 ms/);
  assert.match(
    text,
    /assistant\n {3}\| Reading the guide\.\n {3}→ read_file \{"path":"docs\/guide\.md"\} {2}\(call c1\)/,
  );
  assert.match(text, /tool read_file \(call c1\): ok, 10 ms/);
  assert.match(text, /tool results\n {3}← c1 ok:\n {3}\| # Guide\n {3}\| Text/);
  assert.match(text, /LLM ERROR on turn 2: transient 529: overloaded/);
  assert.match(
    text,
    /end: finished after 2 turn\(s\); 2,500 in \+ 150 out tokens\n {3}summary:\n {3}\| Fixed the guide\./,
  );
});

Deno.test("formatTranscript: long texts are cut to a bound unless asked for everything", () => {
  const big = "x".repeat(5_000);
  const cut = formatTranscript([loop(big), loop("short")], { maxToolChars: 100 }).join("\n");
  assert.match(cut, /x{100}… \[4,900 more characters\]/);
  assert.doesNotMatch(cut, /x{101}/);
  assert.match(cut, /━━ tool loop 2 of 2 \(repair round\)/);
  assert.match(cut, /^2 tool loop\(s\) · 4 turn\(s\)/);
  const full = formatTranscript([loop(big)], { maxChars: 0, maxToolChars: 0 }).join("\n");
  assert.ok(full.includes(big));
  assert.doesNotMatch(full, /are cut/);
  assert.equal(bound("abc", 0), "abc");
  assert.equal(bound("abcdef", 3), "abc… [3 more characters]");
});

Deno.test("formatTranscript: control characters in model or tool text are made visible", () => {
  const text = formatTranscript([loop("evil \u001b]0;title\u0007 text")]).join("\n");
  assert.ok(!text.includes("\u001b") && !text.includes("\u0007"));
  assert.match(text, /evil \\x1b\]0;title\\x07 text/);
});

Deno.test("parseTranscript: a list of loops or one loop; anything else is refused", () => {
  assert.equal(parseTranscript([loop("a"), loop("b")]).length, 2);
  assert.equal(parseTranscript(loop("a")).length, 1);
  assert.deepEqual(parseTranscript([]), []);
  assert.throws(() => parseTranscript({ kind: "start" }), /not a JSON array/);
  assert.throws(() => parseTranscript([[], "x"]), /tool loop 2/);
});
