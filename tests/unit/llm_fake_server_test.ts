import assert from "node:assert/strict";
import { createLlmClient } from "../../adapters/llm/mod.ts";
import { LlmError } from "../../domain/ports/llm.ts";
import { startFakeLlm } from "../../adapters/standins/llm_server.ts";

const post = (url: string, body: unknown, headers: Record<string, string>) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

Deno.test("fake anthropic: message and error shapes, request-id, auth, recording", async () => {
  await using fake = startFakeLlm({
    provider: "anthropic",
    script: [{ text: "hi", toolCalls: [{ name: "list_files", input: {} }] }],
  });
  const url = `${fake.baseURL}/v1/messages`;
  const body = { model: "m", max_tokens: 10, messages: [{ role: "user", content: "x" }] };

  const denied = await post(url, body, { "x-api-key": "nope" });
  assert.equal(denied.status, 401);
  assert.match(denied.headers.get("request-id")!, /^req_/);
  const deniedBody = await denied.json();
  assert.deepEqual(deniedBody.error, {
    type: "authentication_error",
    message: "invalid x-api-key",
  });
  assert.equal(deniedBody.type, "error");
  assert.equal(deniedBody.request_id, denied.headers.get("request-id"));

  const ok = await post(url, body, { "x-api-key": fake.apiKey });
  assert.equal(ok.status, 200);
  const msg = await ok.json();
  assert.deepEqual(
    [
      msg.type,
      msg.role,
      msg.model,
      msg.stop_reason,
      msg.content.map((b: { type: string }) => b.type),
    ],
    ["message", "assistant", "m", "tool_use", ["text", "tool_use"]],
  );
  assert.match(msg.content[1].id, /^toolu_/);
  assert.equal(typeof msg.usage.input_tokens, "number");

  const exhausted = await post(url, body, { "x-api-key": fake.apiKey });
  assert.equal(exhausted.status, 400);
  assert.equal(exhausted.headers.get("x-should-retry"), "false");
  assert.match((await exhausted.json()).error.message, /script exhausted after 1 turns/);

  assert.deepEqual(fake.requests.map((r) => [r.status, r.authorized]), [
    [401, false],
    [200, true],
    [400, true],
  ]);
  assert.equal(fake.requests[1].headers["x-api-key"], "[present]");
  assert.deepEqual(fake.requests[1].body, body);
});

Deno.test("fake anthropic: an unanswered tool_use is a 400, as on the real API", async () => {
  await using fake = startFakeLlm({ provider: "anthropic", script: [{ text: "unused" }] });
  const llm = createLlmClient({
    provider: "anthropic",
    model: "m",
    anthropicApiKey: fake.apiKey,
    baseURL: fake.baseURL,
  });
  const error = await llm.complete({
    system: "",
    messages: [
      { role: "user", text: "go" },
      { role: "assistant", text: "", toolCalls: [{ id: "toolu_1", name: "x", input: {} }] },
      { role: "user", text: "no results here" },
    ],
    tools: [],
    maxTokens: 10,
  }).then(() => assert.fail("expected a 400"), (e) => e);
  assert.ok(error instanceof LlmError);
  assert.equal(error.kind, "permanent");
  assert.equal(error.status, 400);
  assert.match(error.message, /tool_use` ids were found without `tool_result` blocks.*toolu_1/);
  assert.equal(fake.turnsUsed, 0);
});

Deno.test("fake openai: completion and error shapes, bearer auth, 404 for unknown paths", async () => {
  await using fake = startFakeLlm({
    provider: "openai",
    script: [{
      toolCalls: [{ name: "search", input: { pattern: "x" } }],
      usage: { inputTokens: 5, outputTokens: 2 },
    }],
  });
  const url = `${fake.baseURL}/chat/completions`;
  const body = { model: "m", messages: [{ role: "user", content: "x" }] };

  const denied = await post(url, body, { authorization: "Bearer nope" });
  assert.equal(denied.status, 401);
  assert.deepEqual((await denied.json()).error.code, "invalid_api_key");
  const missing = await post(`${fake.baseURL}/completions`, body, {
    authorization: `Bearer ${fake.apiKey}`,
  });
  assert.equal(missing.status, 404);
  await missing.body?.cancel();

  const ok = await post(url, body, { authorization: `Bearer ${fake.apiKey}` });
  const completion = await ok.json();
  assert.equal(completion.object, "chat.completion");
  assert.equal(completion.choices[0].finish_reason, "tool_calls");
  assert.deepEqual(completion.choices[0].message.tool_calls[0].function, {
    name: "search",
    arguments: '{"pattern":"x"}',
  });
  assert.deepEqual(completion.usage, { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 });
  assert.match(ok.headers.get("x-request-id")!, /^req_/);
});

Deno.test("fake openai: unanswered tool calls, non-object past arguments, empty assistant are 400s", async () => {
  await using fake = startFakeLlm({ provider: "openai", script: [] });
  const url = `${fake.baseURL}/chat/completions`;
  const auth = { authorization: `Bearer ${fake.apiKey}` };
  const call = (args: string) => ({
    id: "call_1",
    type: "function",
    function: { name: "x", arguments: args },
  });
  const unanswered = await post(url, {
    model: "m",
    messages: [{ role: "user", content: "x" }, { role: "assistant", tool_calls: [call("{}")] }, {
      role: "user",
      content: "y",
    }],
  }, auth);
  assert.equal(unanswered.status, 400);
  assert.match((await unanswered.json()).error.message, /did not have response messages: call_1/);
  const malformed = await post(url, {
    model: "m",
    messages: [
      { role: "user", content: "x" },
      { role: "assistant", tool_calls: [call('{"a": ')] },
      { role: "tool", tool_call_id: "call_1", content: "r" },
    ],
  }, auth);
  assert.equal(malformed.status, 400);
  assert.match((await malformed.json()).error.message, /must be a valid JSON object string/);
  const empty = await post(url, {
    model: "m",
    messages: [{ role: "user", content: "x" }, { role: "assistant", content: null }, {
      role: "user",
      content: "y",
    }],
  }, auth);
  assert.equal(empty.status, 400);
  assert.match((await empty.json()).error.message, /needs content unless it has tool_calls/);
});

Deno.test("fake: a scripted function that throws is a 500 and is recorded", async () => {
  await using fake = startFakeLlm({
    provider: "openai",
    script: [() => {
      throw new Error("scripted model confused");
    }],
  });
  const res = await post(`${fake.baseURL}/chat/completions`, {
    model: "m",
    messages: [{ role: "user", content: "x" }],
  }, { authorization: `Bearer ${fake.apiKey}` });
  assert.equal(res.status, 500);
  assert.equal(res.headers.get("x-should-retry"), "false");
  await res.body?.cancel();
  assert.deepEqual(fake.scriptErrors, ["scripted model confused"]);
});

Deno.test("fake anthropic: more than 4 breakpoints and altered thinking are 400s; cache is accounted", async () => {
  await using fake = startFakeLlm({
    provider: "anthropic",
    script: [
      { reasoning: "step one", toolCalls: [{ id: "toolu_1", name: "list_files", input: {} }] },
      { text: "ok" },
      { text: "ok" },
    ],
  });
  const url = `${fake.baseURL}/v1/messages`;
  const auth = { "x-api-key": fake.apiKey, "anthropic-version": "2023-06-01" };
  const mark = { type: "ephemeral" };
  const big = "x".repeat(8_000);
  const five = await post(url, {
    model: "m",
    max_tokens: 10,
    system: [1, 2, 3, 4, 5].map((i) => ({ type: "text", text: `${i}`, cache_control: mark })),
    messages: [{ role: "user", content: "x" }],
  }, auth);
  assert.equal(five.status, 400);
  assert.match(
    (await five.json()).error.message,
    /maximum of 4 blocks with cache_control.*Found 5/,
  );

  const first = { role: "user", content: [{ type: "text", text: big, cache_control: mark }] };
  const turn1 = await post(url, {
    model: "m",
    max_tokens: 2000,
    thinking: { type: "adaptive" },
    messages: [first],
  }, auth);
  const reply = await turn1.json();
  assert.equal(reply.content[0].type, "thinking");
  assert.ok(reply.usage.cache_creation_input_tokens > 1000);
  assert.equal(reply.usage.cache_read_input_tokens, 0);

  const result = {
    role: "user",
    content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "a" }],
  };
  const altered = structuredClone(reply.content);
  altered[0].thinking = "something else";
  const tampered = await post(url, {
    model: "m",
    max_tokens: 2000,
    thinking: { type: "adaptive" },
    messages: [first, { role: "assistant", content: altered }, result],
  }, auth);
  assert.equal(tampered.status, 400);
  assert.match((await tampered.json()).error.message, /signature|cannot be modified/);
  const dropped = await post(url, {
    model: "m",
    max_tokens: 2000,
    thinking: { type: "adaptive" },
    messages: [first, { role: "assistant", content: reply.content.slice(1) }, result],
  }, auth);
  assert.equal(dropped.status, 400);
  assert.match((await dropped.json()).error.message, /cannot be modified/);

  const good = await post(url, {
    model: "m",
    max_tokens: 2000,
    thinking: { type: "adaptive" },
    messages: [first, { role: "assistant", content: reply.content }, result],
  }, auth);
  assert.equal(good.status, 200);
  const usage = (await good.json()).usage;
  assert.equal(usage.cache_read_input_tokens, reply.usage.cache_creation_input_tokens);
});

Deno.test("fake openai responses: strict schemas, reasoning items, tool outputs and moved parameters", async () => {
  await using fake = startFakeLlm({
    provider: "openai",
    script: [{ toolCalls: [{ id: "call_a", name: "list_files", input: {} }] }, { text: "ok" }],
  });
  const url = `${fake.baseURL}/responses`;
  const auth = { authorization: `Bearer ${fake.apiKey}` };
  const tool = (parameters: unknown) => ({ type: "function", name: "t", parameters, strict: true });
  const reject = async (body: unknown, pattern: RegExp) => {
    const res = await post(url, body, auth);
    assert.equal(res.status, 400, JSON.stringify(body).slice(0, 100));
    assert.match((await res.json()).error.message, pattern);
  };
  await reject({ model: "m", input: "x", max_tokens: 5 }, /moved to 'max_output_tokens'/);
  await reject({ model: "m", messages: [] }, /moved to 'input'/);
  await reject(
    {
      model: "m",
      input: "x",
      tools: [tool({ type: "object", properties: { a: { type: "string" } }, required: ["a"] })],
    },
    /'additionalProperties' is required to be supplied and to be false/,
  );
  await reject(
    {
      model: "m",
      input: "x",
      tools: [tool({
        type: "object",
        properties: { a: { type: "string" }, b: { type: "integer" } },
        required: ["a"],
        additionalProperties: false,
      })],
    },
    /Missing 'b'/,
  );
  await reject(
    { model: "gpt-6.2-sol", input: "x", reasoning: { effort: "none" } },
    /does not support 'none'/,
  );

  const first = await post(url, {
    model: "m",
    input: "x",
    store: false,
    include: ["reasoning.encrypted_content"],
  }, auth);
  assert.equal(first.status, 200);
  const out = (await first.json()).output;
  assert.deepEqual(out.map((o: { type: string }) => o.type), ["reasoning", "function_call"]);
  const [reasoning, call] = out;
  const answer = { type: "function_call_output", call_id: "call_a", output: "files" };
  const base = { model: "m", store: false };
  await reject({
    ...base,
    input: ["x", call, answer].map((i) => i === "x" ? { role: "user", content: "x" } : i),
  }, /without its required 'reasoning' item: 'rs_/);
  await reject(
    {
      ...base,
      input: [
        { role: "user", content: "x" },
        { ...reasoning, encrypted_content: "forged" },
        call,
        answer,
      ],
    },
    /could not be verified/,
  );
  const { encrypted_content: _, ...bare } = reasoning;
  await reject(
    { ...base, input: [{ role: "user", content: "x" }, bare, call, answer] },
    /Items are not persisted when `store` is set to false/,
  );
  await reject(
    { ...base, input: [{ role: "user", content: "x" }, reasoning, call] },
    /No tool output found for function call call_a/,
  );
  const ok = await post(url, {
    ...base,
    input: [{ role: "user", content: "x" }, reasoning, call, answer],
  }, auth);
  assert.equal(ok.status, 200);
  const body = await ok.json();
  assert.equal(typeof body.usage.input_tokens_details.cached_tokens, "number");
  assert.equal(typeof body.usage.output_tokens_details.reasoning_tokens, "number");
});
