import assert from "node:assert/strict";
import type Anthropic from "@anthropic-ai/sdk";
import type OpenAI from "openai";
import { fromAnthropicMessage, toAnthropicMessages } from "../../adapters/llm/anthropic.ts";
import { classifyStatus, llmErrorOf, retryAfterMs } from "../../adapters/llm/errors.ts";
import { createLlmClient } from "../../adapters/llm/mod.ts";
import {
  fromOpenAiCompletion,
  parseArguments,
  toOpenAiMessages,
} from "../../adapters/llm/openai.ts";
import { type ChatMessage, isLlmError, LlmError } from "../../domain/ports/llm.ts";
import { startFakeLlm } from "../../adapters/standins/llm_server.ts";

const conversation: ChatMessage[] = [
  { role: "user", text: "Fix the typo." },
  {
    role: "assistant",
    text: "Reading both.",
    toolCalls: [
      { id: "t1", name: "read_file", input: { path: "a.md" } },
      { id: "t2", name: "read_file", input: {}, inputError: "bad JSON", rawArguments: "{oops" },
    ],
  },
  {
    role: "tool",
    results: [
      { toolCallId: "t1", content: "1\thello", isError: false },
      { toolCallId: "t2", content: "Invalid tool input: bad JSON", isError: true },
    ],
  },
  { role: "assistant", text: "", toolCalls: [] },
  { role: "user", text: "Call finish." },
];

Deno.test("classifyStatus: 429/5xx/529/no answer transient; 4xx and spend limits permanent", () => {
  const table: [number | undefined, string | null, string][] = [
    [undefined, null, "transient"],
    [408, null, "transient"],
    [409, null, "transient"],
    [429, null, "transient"],
    [500, null, "transient"],
    [503, null, "transient"],
    [529, null, "transient"],
    [400, null, "permanent"],
    [401, null, "permanent"],
    [403, null, "permanent"],
    [404, null, "permanent"],
    [413, null, "permanent"],
    [429, "enforced_spend_limit_reached", "permanent"],
    [429, "insufficient_quota", "permanent"],
    [429, "rate_limit_exceeded", "transient"],
  ];
  for (const [status, code, kind] of table) {
    assert.equal(classifyStatus(status, code), kind, `${status} ${code}`);
  }
});

Deno.test("retryAfterMs: retry-after-ms, seconds, HTTP date, garbage", () => {
  const h = (init: Record<string, string>) => new Headers(init);
  assert.equal(retryAfterMs(h({ "retry-after-ms": "250" })), 250);
  assert.equal(retryAfterMs(h({ "retry-after": "3" })), 3000);
  assert.equal(retryAfterMs(h({ "retry-after": "0.5" })), 500);
  const now = Date.parse("2026-01-01T00:00:00Z");
  assert.equal(retryAfterMs(h({ "retry-after": "Thu, 01 Jan 2026 00:00:10 GMT" }), now), 10_000);
  assert.equal(retryAfterMs(h({ "retry-after": "soon" })), undefined);
  assert.equal(retryAfterMs(h({})), undefined);
});

Deno.test("llmErrorOf: the message never carries the API key, is bounded, keeps the facts", () => {
  const key = "sk-test-KEY-0123456789";
  const error = llmErrorOf({
    provider: "openai",
    status: 401,
    code: "invalid_api_key",
    apiMessage: `Incorrect API key provided: ${key}. ${"x".repeat(2000)}`,
    requestId: "req_1",
    headers: new Headers({ "retry-after": "2" }),
  }, [key]);
  assert.ok(isLlmError(error));
  assert.equal(error.kind, "permanent");
  assert.ok(!error.message.includes(key));
  assert.match(
    error.message,
    /^openai API answered HTTP 401 invalid_api_key: Incorrect API key provided: \[REDACTED\]/,
  );
  assert.ok(error.message.length <= 501);
  assert.deepEqual(
    { ...error.toJSON(), message: "" },
    {
      kind: "permanent",
      message: "",
      provider: "openai",
      status: 401,
      code: "invalid_api_key",
      requestId: "req_1",
      retryAfterMs: 2000,
    },
  );
  const aborted = llmErrorOf({ provider: "anthropic", aborted: true }, []);
  assert.equal(aborted.aborted, true);
  assert.equal(llmErrorOf({ provider: "anthropic", connection: "failed" }, []).kind, "transient");
});

Deno.test("parseArguments: objects parse; malformed, non-object and non-string never throw", () => {
  assert.deepEqual(parseArguments('{"path":"a"}'), {
    input: { path: "a" },
    rawArguments: '{"path":"a"}',
  });
  assert.deepEqual(parseArguments(""), { input: {}, rawArguments: "" });
  const broken = parseArguments('{"path": "a"');
  assert.deepEqual(broken.input, {});
  assert.match(broken.inputError!, /not valid JSON/);
  assert.match(parseArguments("[1]").inputError!, /not an object/);
  assert.match(parseArguments("null").inputError!, /not an object/);
  assert.match(parseArguments(42).inputError!, /not a JSON string/);
  const long = parseArguments(`{"content": "${"z".repeat(5000)}`);
  assert.ok(long.inputError!.length < 600, "the echo of a long malformed string is bounded");
});

Deno.test("toAnthropicMessages: tool_use blocks, one user message of tool_result blocks, no empty content", () => {
  assert.deepEqual(toAnthropicMessages(conversation), [
    { role: "user", content: "Fix the typo." },
    {
      role: "assistant",
      content: [
        { type: "text", text: "Reading both." },
        { type: "tool_use", id: "t1", name: "read_file", input: { path: "a.md" } },
        { type: "tool_use", id: "t2", name: "read_file", input: {} },
      ],
    },
    {
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "t1", content: "1\thello" },
        {
          type: "tool_result",
          tool_use_id: "t2",
          content: "Invalid tool input: bad JSON",
          is_error: true,
        },
      ],
    },
    { role: "assistant", content: [{ type: "text", text: "(no reply)" }] },
    { role: "user", content: "Call finish." },
  ]);
});

Deno.test("toOpenAiMessages: system first, JSON-string arguments (valid even when the model's were not), role tool", () => {
  assert.deepEqual(toOpenAiMessages("SYS", conversation), [
    { role: "system", content: "SYS" },
    { role: "user", content: "Fix the typo." },
    {
      role: "assistant",
      content: "Reading both.",
      tool_calls: [
        {
          id: "t1",
          type: "function",
          function: { name: "read_file", arguments: '{"path":"a.md"}' },
        },
        { id: "t2", type: "function", function: { name: "read_file", arguments: "{}" } },
      ],
    },
    { role: "tool", tool_call_id: "t1", content: "1\thello" },
    { role: "tool", tool_call_id: "t2", content: "ERROR: Invalid tool input: bad JSON" },
    { role: "assistant", content: "(no reply)" },
    { role: "user", content: "Call finish." },
  ]);
  assert.equal(toOpenAiMessages("", [])[0], undefined, "no empty system message");
});

Deno.test("fromAnthropicMessage: stop reasons, cached input counted, non-object input flagged", () => {
  const base = {
    id: "msg_1",
    type: "message",
    role: "assistant",
    model: "m",
    stop_sequence: null,
    usage: {
      input_tokens: 10,
      output_tokens: 5,
      cache_creation_input_tokens: 3,
      cache_read_input_tokens: 2,
    },
  };
  const msg = (content: unknown[], stop_reason: string | null) =>
    ({ ...base, content, stop_reason }) as unknown as Anthropic.Message;
  const done = fromAnthropicMessage(
    msg([{ type: "text", text: "a" }, { type: "text", text: "b" }], "end_turn"),
  );
  assert.deepEqual(done, {
    text: "a\nb",
    toolCalls: [],
    stopReason: "end_turn",
    usage: { inputTokens: 15, outputTokens: 5, cacheWriteTokens: 3, cacheReadTokens: 2 },
  });
  const weird = fromAnthropicMessage(
    msg([{ type: "tool_use", id: "x", name: "n", input: "str" }], "tool_use"),
  );
  assert.match(weird.toolCalls[0].inputError!, /not a JSON object/);
  const reasons: [string | null, string][] = [
    ["max_tokens", "max_tokens"],
    ["model_context_window_exceeded", "max_tokens"],
    ["refusal", "refusal"],
    ["pause_turn", "other"],
    ["stop_sequence", "end_turn"],
    [null, "other"],
  ];
  for (const [reason, expected] of reasons) {
    assert.equal(fromAnthropicMessage(msg([], reason)).stopReason, expected, String(reason));
  }
});

Deno.test("fromOpenAiCompletion: finish reasons, refusal, missing usage and ids", () => {
  const completion = (message: Record<string, unknown>, finish_reason: string, usage?: unknown) =>
    ({
      id: "c",
      object: "chat.completion",
      created: 0,
      model: "m",
      choices: [{
        index: 0,
        message: { role: "assistant", refusal: null, ...message },
        finish_reason,
        logprobs: null,
      }],
      usage,
    }) as unknown as OpenAI.ChatCompletion;
  const withTools = fromOpenAiCompletion(completion({
    content: null,
    tool_calls: [{ type: "function", function: { name: "search", arguments: '{"pattern":"x"}' } }],
  }, "stop"));
  assert.equal(withTools.stopReason, "tool_use", "tool calls win over a 'stop' finish reason");
  assert.deepEqual(withTools.toolCalls[0], {
    id: "call_0",
    name: "search",
    input: { pattern: "x" },
    rawArguments: '{"pattern":"x"}',
  });
  assert.deepEqual(withTools.usage, { inputTokens: 0, outputTokens: 0 });
  const refused = fromOpenAiCompletion(completion({ content: null, refusal: "No." }, "stop"));
  assert.deepEqual([refused.text, refused.stopReason], ["No.", "refusal"]);
  assert.equal(
    fromOpenAiCompletion(completion({ content: "x" }, "length")).stopReason,
    "max_tokens",
  );
  assert.equal(
    fromOpenAiCompletion(completion({ content: "x" }, "content_filter")).stopReason,
    "refusal",
  );
  const counted = fromOpenAiCompletion(
    completion({ content: "x" }, "stop", { prompt_tokens: 7, completion_tokens: 3 }),
  );
  assert.deepEqual(counted.usage, { inputTokens: 7, outputTokens: 3 });
});

Deno.test("createLlmClient: missing key, model or provider is a permanent error naming the setting", () => {
  const attempt = (config: Parameters<typeof createLlmClient>[0]) => {
    try {
      createLlmClient(config);
    } catch (error) {
      assert.ok(error instanceof LlmError);
      assert.equal(error.kind, "permanent");
      return error.message;
    }
    assert.fail("expected an LlmError");
  };
  assert.match(attempt({ provider: "anthropic", model: "m" }), /ANTHROPIC_API_KEY is not set/);
  assert.match(
    attempt({ provider: "openai", model: "m", anthropicApiKey: "k-123456" }),
    /OPENAI_API_KEY is not set/,
  );
  assert.match(attempt({ provider: "openai", model: " ", openaiApiKey: "k" }), /LLM_MODEL/);
  assert.match(
    attempt({ provider: "gemini" as "openai", model: "m", openaiApiKey: "k" }),
    /LLM_PROVIDER must be/,
  );
  const client = createLlmClient({ provider: "openai", model: "gpt-x", openaiApiKey: "k" });
  assert.deepEqual([client.provider, client.model], ["openai", "gpt-x"]);
});

Deno.test("base URL: the SDKs' own ANTHROPIC_BASE_URL / OPENAI_BASE_URL apply when none is given", async () => {
  for (const provider of ["anthropic", "openai"] as const) {
    await using fake = startFakeLlm({ provider, script: [{ text: `hello from ${provider}` }] });
    const variable = provider === "anthropic" ? "ANTHROPIC_BASE_URL" : "OPENAI_BASE_URL";
    const before = Deno.env.get(variable);
    Deno.env.set(variable, fake.baseURL);
    try {
      const llm = createLlmClient({
        provider,
        model: "m",
        anthropicApiKey: fake.apiKey,
        openaiApiKey: fake.apiKey,
        maxRetries: 0,
      });
      const reply = await llm.complete({
        system: "",
        messages: [{ role: "user", text: "hi" }],
        tools: [],
        maxTokens: 10,
      });
      assert.equal(reply.text, `hello from ${provider}`);
      assert.equal(fake.requests.length, 1);
    } finally {
      if (before === undefined) Deno.env.delete(variable);
      else Deno.env.set(variable, before);
    }
  }
});
