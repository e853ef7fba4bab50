import assert from "node:assert/strict";
import { openSqliteStore, type SqliteStore } from "../../adapters/eventstore/sqlite/mod.ts";
import { type CommandContext, handleCommand } from "../../domain/command_handler.ts";
import type { RunCommand } from "../../domain/run/commands.ts";
import { ALL_PROJECTIONS, type QueueDoc, type RunDoc } from "../../projections/mod.ts";
import { Projector } from "../../projections/projector.ts";
import { checkReadModels } from "../../projections/replay_check.ts";

const ctx: CommandContext = { actor: "test" };
const T0 = Date.parse("2026-11-23T10:00:00.000Z");
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

async function tempStore(): Promise<{ store: SqliteStore; path: string; dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: "projector-" });
  const path = `${dir}/runner.db`;
  return { store: openSqliteStore(path), path, dir };
}

async function ok(store: SqliteStore, key: string, command: RunCommand) {
  const result = await handleCommand(store, key, command, ctx);
  assert.ok(result.ok, `command ${command.type} on ${key} refused: ${JSON.stringify(result)}`);
  return result;
}

/** A varied history: queued, claimed, finished, retried, coalesced and cancelled runs. */
async function writeHistory(store: SqliteStore, issues: number, offset = 0) {
  for (let i = 1; i <= issues; i++) {
    const key = `MWC-${i + offset}`;
    const request = (runId: string, d: string, s: number): RunCommand => ({
      type: "RequestRun",
      issueKey: key,
      runId,
      deliveryId: d,
      source: "jira",
      requestedBy: { accountId: "acc-leigh" },
      now: at(s),
    });
    await ok(store, key, request(`${key}-r1`, `${key}-d1`, 0));
    if (i % 5 === 0) continue; // left queued
    await ok(store, key, {
      type: "ClaimRun",
      runId: `${key}-r1`,
      workerId: "w1",
      leaseId: `${key}-L1`,
      leaseMs: 60_000,
      now: at(1),
    });
    await ok(store, key, request(`${key}-r2`, `${key}-d2`, 2));
    await ok(store, key, request(`${key}-r3`, `${key}-d3`, 3)); // coalesced into r2
    if (i % 4 === 0) {
      await ok(store, key, {
        type: "ScheduleRetry",
        runId: `${key}-r1`,
        leaseId: `${key}-L1`,
        now: at(4),
        step: "push",
        reason: "503",
        notBefore: at(30),
      });
      continue;
    }
    if (i % 3 === 0) {
      await ok(store, key, {
        type: "CancelRun",
        reason: "no longer needed",
        cancelledBy: null,
        now: at(5),
      });
      continue;
    }
    await ok(store, key, {
      type: "CompleteRun",
      runId: `${key}-r1`,
      leaseId: `${key}-L1`,
      now: at(6),
      outcome: "pr_opened",
      summary: "done",
    });
  }
}

Deno.test("projector: incremental projection equals a rebuild and a replay", async () => {
  const { store, dir } = await tempStore();
  try {
    const projector = new Projector(store, store, [...ALL_PROJECTIONS], { batchSize: 7 });
    // Incremental: project in several rounds as the history grows.
    await writeHistory(store, 20);
    await projector.catchUp();
    await writeHistory(store, 20, 20);
    const head = await projector.catchUp();
    assert.equal(head, await store.headPosition());

    const snapshot = async () => {
      const out: Record<string, unknown[]> = {};
      for (const p of ALL_PROJECTIONS) {
        out[p.name] = await store.query(p.name, {
          orderBy: { field: "issueKey", direction: "asc" },
        });
      }
      return out;
    };
    const incremental = await snapshot();
    assert.equal(incremental.issues.length, 40);
    assert.equal(incremental.runs.length, 40 + 32); // r2 exists wherever r1 was claimed

    await new Projector(store, store, [...ALL_PROJECTIONS], { batchSize: 1000 }).rebuild();
    assert.deepEqual(await snapshot(), incremental);
    for (const check of await checkReadModels(store, store, ALL_PROJECTIONS)) {
      assert.deepEqual(check.mismatches, [], `${check.projection} differs from a replay`);
    }
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("projector: the queue lists what a worker may claim, and when", async () => {
  const { store, dir } = await tempStore();
  try {
    await writeHistory(store, 20);
    await new Projector(store, store, [...ALL_PROJECTIONS]).catchUp();
    const queue = (await store.query("queue", {
      orderBy: { field: "issueKey", direction: "asc" },
    })) as QueueDoc[];
    const byKey = new Map(queue.map((d) => [d.issueKey, d]));
    // MWC-5: never claimed → its first run is queued from its request time.
    assert.equal(byKey.get("MWC-5")?.runId, "MWC-5-r1");
    assert.equal(byKey.get("MWC-5")?.reason, "queued");
    // MWC-4: retry scheduled → the active run is due at notBefore.
    assert.equal(byKey.get("MWC-4")?.reason, "retry");
    assert.equal(byKey.get("MWC-4")?.availableAt, at(30));
    // MWC-1: first run succeeded → the coalesced second run is next.
    assert.equal(byKey.get("MWC-1")?.runId, "MWC-1-r2");
    const due = await store.query("queue", { where: [{ field: "availableAt", lte: at(10) }] });
    assert.ok(due.every((d) => (d as QueueDoc).availableAt <= at(10)));
    assert.ok(!due.some((d) => (d as QueueDoc).issueKey === "MWC-4"));

    const run = (await store.get("runs", "MWC-1-r2")) as RunDoc;
    assert.equal(run.coalescedRequests, 1);
    assert.equal(run.status, "queued");
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("projector: two projectors on one database never double-apply", async () => {
  const { store, path, dir } = await tempStore();
  const other = openSqliteStore(path);
  try {
    await writeHistory(store, 15);
    const a = new Projector(store, store, [...ALL_PROJECTIONS], { batchSize: 5 });
    const b = new Projector(other, other, [...ALL_PROJECTIONS], { batchSize: 5 });
    await Promise.all([a.catchUp(), b.catchUp(), a.catchUp()]);
    await writeHistory(store, 5, 100);
    await Promise.all([b.catchUp(), a.catchUp()]);
    for (const check of await checkReadModels(store, store, ALL_PROJECTIONS)) {
      assert.deepEqual(check.mismatches, [], `${check.projection} differs from a replay`);
      assert.equal(check.checkpoint, await store.headPosition());
    }
    const coalesced = (await store.get("runs", "MWC-1-r2")) as RunDoc;
    assert.equal(coalesced.coalescedRequests, 1, "a double-applied event would count 2");
  } finally {
    await other.close();
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("projector: a projection whose version changed is rebuilt on start", async () => {
  const { store, dir } = await tempStore();
  try {
    await writeHistory(store, 3);
    const runs = ALL_PROJECTIONS.find((p) => p.name === "runs")!;
    await new Projector(store, store, [runs]).catchUp();
    // Corrupt a document as an old, buggy fold might have left it.
    const head = await store.headPosition();
    await store.commit(
      "runs",
      { position: head, version: 1 },
      { position: head, version: 1 },
      new Map([["MWC-1-r1", { bogus: true }]]),
    );
    const bumped = { ...runs, version: 2 };
    await new Projector(store, store, [bumped]).catchUp();
    const doc = (await store.get("runs", "MWC-1-r1")) as RunDoc;
    assert.equal(doc.status, "succeeded");
    assert.equal((await store.checkpoint("runs"))?.version, 2);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
