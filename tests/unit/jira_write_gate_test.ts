import assert from "node:assert/strict";
import { PerIssueWriteGate } from "../../adapters/jira/write_gate.ts";

function virtualClock() {
  const state = { now: 1_000_000, sleeps: [] as number[] };
  return {
    state,
    now: () => state.now,
    sleep: (ms: number) => {
      state.sleeps.push(ms);
      state.now += ms;
      return Promise.resolve();
    },
  };
}

Deno.test("writes to one issue are spaced from the end of the previous write", async () => {
  const clock = virtualClock();
  const gate = new PerIssueWriteGate(500, clock.now, clock.sleep);
  await gate.run("MWC-1", () => Promise.resolve("comment"));
  clock.state.now += 200; // time passes between the writes
  await gate.run("MWC-1", () => Promise.resolve("transition"));
  await gate.run("MWC-1", () => Promise.resolve("assign"));
  assert.deepEqual(clock.state.sleeps, [300, 500]);
});

Deno.test("writes to different issues do not wait for each other", async () => {
  const clock = virtualClock();
  const gate = new PerIssueWriteGate(500, clock.now, clock.sleep);
  await gate.run("MWC-1", () => Promise.resolve());
  await gate.run("MWC-2", () => Promise.resolve());
  assert.deepEqual(clock.state.sleeps, []);
});

Deno.test("concurrent writes to one issue run one at a time, in order", async () => {
  const clock = virtualClock();
  const gate = new PerIssueWriteGate(500, clock.now, clock.sleep);
  const events: string[] = [];
  const write = (name: string) => async () => {
    events.push(`start ${name}`);
    await Promise.resolve();
    events.push(`end ${name}`);
    return name;
  };
  const results = await Promise.all([
    gate.run("MWC-1", write("a")),
    gate.run("MWC-1", write("b")),
  ]);
  assert.deepEqual(results, ["a", "b"]);
  assert.deepEqual(events, ["start a", "end a", "start b", "end b"]);
  assert.deepEqual(clock.state.sleeps, [500]);
});

Deno.test("a failed write still counts for spacing and does not block the next", async () => {
  const clock = virtualClock();
  const gate = new PerIssueWriteGate(500, clock.now, clock.sleep);
  await assert.rejects(gate.run("MWC-1", () => Promise.reject(new Error("boom"))), /boom/);
  assert.equal(await gate.run("MWC-1", () => Promise.resolve("ok")), "ok");
  assert.deepEqual(clock.state.sleeps, [500]);
});
