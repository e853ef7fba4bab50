/**
 * The contract every event-store engine passes: the `EventStore`,
 * `ReadModelStore` and `ArtifactStore` ports, concurrency, subscriptions, the
 * hash-chain audit and the command handler on top. Engine-agnostic: only the
 * harness an engine's test file supplies knows its SQL.
 *
 * @module
 */
import { storedCoalesced as coalesced, storedRequest as requested } from "../support/events.ts";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import {
  CURRENT_SCHEMA_VERSION,
  EventSchemaError,
  issueStream,
  type RecordedEvent,
} from "../../domain/events.ts";
import { eventHash, GENESIS_HASH } from "../../domain/hash_chain.ts";
import type {
  AppendResult,
  ArtifactStore,
  EventStore,
  NewEvent,
} from "../../domain/ports/event_store.ts";
import type { ReadModelStore } from "../../domain/ports/read_models.ts";
import { handleCommand, requestOutcome } from "../../domain/command_handler.ts";
import { verifyLog } from "../../domain/verify_log.ts";

/** A store serving all three ports over one database, as every engine does. */
export type ContractStore = EventStore & ReadModelStore & ArtifactStore;

/** Direct edits of the stored log, as someone with access to the database could make. */
export interface Tamper {
  /** Replaces the stored data of the event at `position` (hash left as it was). */
  editData(position: number, data: unknown): Promise<void>;
  /** Removes the event at `position`. */
  deleteEvent(position: number): Promise<void>;
  /** Exchanges the positions of two stored events (their rows keep their hashes). */
  swapPositions(a: number, b: number): Promise<void>;
  /**
   * Replaces the event's data and recomputes ITS hash from its predecessor's,
   * without re-chaining the events after it.
   */
  rewriteWithValidHash(position: number, data: unknown): Promise<void>;
}

/** What an engine's test file provides: a fresh, empty database per test. */
export interface StoreHarness {
  /** The open store (replaced by {@link reopen}). */
  store: ContractStore;
  /** Closes the store, opens the same database again, makes it `store` and returns it. */
  reopen(): Promise<ContractStore>;
  tamper: Tamper;
  /** Closes the store and removes the database. */
  cleanup(): Promise<void>;
}

const NOW = "2025-06-01T12:00:00.000Z";

function okResult(result: AppendResult): Extract<AppendResult, { ok: true }> {
  if (!result.ok) assert.fail(`expected a successful append, got ${JSON.stringify(result)}`);
  return result;
}

async function readEverything(store: EventStore, pageSize = 1000): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  for (;;) {
    const page = await store.readAll(all.length ? all[all.length - 1].position : 0, pageSize);
    if (page.length === 0) return all;
    all.push(...page);
  }
}

/** Appends `count` events spread over `streams` issue streams (MWC-1…), one append each. */
async function fillLog(store: EventStore, count: number, streams = 3): Promise<void> {
  for (let i = 0; i < count; i++) {
    const n = (i % streams) + 1;
    const event = i < streams ? requested(n, `d-${i}`) : coalesced(`d-${i}`);
    okResult(await store.append(issueStream(`MWC-${n}`), "any", [event]));
  }
}

function assertContiguous(events: readonly RecordedEvent[], from = 1): void {
  events.forEach((e, i) => assert.equal(e.position, from + i, "positions must be gap-free"));
}

/**
 * Registers the contract's tests for one engine. `open` gives a harness over a
 * fresh, empty database; each test cleans it up.
 */
export function eventStoreContract(engine: string, open: () => Promise<StoreHarness>): void {
  const test = (name: string, fn: (h: StoreHarness) => Promise<void>) =>
    Deno.test(`[${engine}] ${name}`, async () => {
      const harness = await open();
      try {
        await fn(harness);
      } finally {
        await harness.cleanup();
      }
    });

  // ---- append and read ----------------------------------------------------

  test("append and read back: positions, versions, metadata, hash chain", async ({ store }) => {
    const a = issueStream("MWC-1");
    const first = okResult(
      await store.append(a, "no_stream", [requested(1, "d-1"), coalesced("d-2")]),
    );
    assert.equal(first.nextVersion, 2);
    assert.equal(first.lastPosition, 2);
    const b = okResult(await store.append(issueStream("MWC-2"), 0, [requested(2, "d-3")]));
    assert.equal(b.lastPosition, 3);
    assert.equal(b.events[0].version, 1);

    const [e1, e2] = first.events;
    assert.deepEqual([e1.position, e1.version, e2.position, e2.version], [1, 1, 2, 2]);
    assert.equal(e1.stream, a);
    assert.equal(e1.schemaVersion, CURRENT_SCHEMA_VERSION.RunRequested);
    assert.ok(!Number.isNaN(Date.parse(e1.recordedAt)), "recordedAt is an ISO time");
    assert.deepEqual(e1.data, requested(1, "d-1").data);
    assert.deepEqual(e1.metadata, requested(1, "d-1").metadata);
    assert.equal(e1.hash, eventHash(GENESIS_HASH, e1));
    assert.equal(e2.hash, eventHash(e1.hash, e2));
    assert.equal(b.events[0].hash, eventHash(e2.hash, b.events[0]));

    assert.deepEqual(await store.readStream(a), first.events);
    assert.deepEqual(await store.readStream(a, 2), [e2]);
    assert.deepEqual(await store.readStream(issueStream("MWC-404")), []);
    assert.deepEqual(await store.readAll(0, 10), [...first.events, ...b.events]);
    const raw = await store.readAllRaw(0, 10);
    assert.deepEqual(
      raw.map((r) => [r.position, r.stream, r.version, r.type, r.hash]),
      [e1, e2, b.events[0]].map((e) => [e.position, e.stream, e.version, e.type, e.hash]),
    );
    assert.deepEqual(raw[0].data, e1.data);
    assert.deepEqual(raw[0].metadata, e1.metadata);
    assert.equal(await store.headPosition(), 3);

    // An empty append checks the expectation and reports the stream's head.
    const none = okResult(await store.append(a, 2, []));
    assert.deepEqual([none.nextVersion, none.lastPosition, none.events], [2, 2, []]);
    await store.ping();
  });

  test("expected version number: must equal the stream's version", async ({ store }) => {
    const s = issueStream("MWC-1");
    okResult(await store.append(s, 0, [requested(1, "d-1")]));
    assert.deepEqual(await store.append(s, 0, [coalesced("d-2")]), {
      ok: false,
      conflict: { kind: "version_conflict", stream: s, expected: 0, actual: 1 },
    });
    assert.deepEqual(await store.append(s, 5, [coalesced("d-2")]), {
      ok: false,
      conflict: { kind: "version_conflict", stream: s, expected: 5, actual: 1 },
    });
    assert.equal(okResult(await store.append(s, 1, [coalesced("d-2")])).nextVersion, 2);
    assert.equal(await store.headPosition(), 2, "conflicts write nothing");
    await assert.rejects(store.append(s, -1, [coalesced("d-3")]), TypeError);
  });

  test("expected no_stream: only for a stream without events", async ({ store }) => {
    const s = issueStream("MWC-1");
    assert.equal(
      okResult(await store.append(s, "no_stream", [requested(1, "d-1")])).nextVersion,
      1,
    );
    assert.deepEqual(await store.append(s, "no_stream", [coalesced("d-2")]), {
      ok: false,
      conflict: { kind: "version_conflict", stream: s, expected: "no_stream", actual: 1 },
    });
    assert.equal((await store.readStream(s)).length, 1);
  });

  test("expected stream_exists: only for a stream with events", async ({ store }) => {
    const s = issueStream("MWC-1");
    assert.deepEqual(await store.append(s, "stream_exists", [requested(1, "d-1")]), {
      ok: false,
      conflict: { kind: "version_conflict", stream: s, expected: "stream_exists", actual: 0 },
    });
    assert.equal(await store.headPosition(), 0);
    okResult(await store.append(s, "no_stream", [requested(1, "d-1")]));
    assert.equal(
      okResult(await store.append(s, "stream_exists", [coalesced("d-2")])).nextVersion,
      2,
    );
  });

  test("expected any: appends whatever the version", async ({ store }) => {
    const s = issueStream("MWC-1");
    assert.equal(okResult(await store.append(s, "any", [requested(1, "d-1")])).nextVersion, 1);
    assert.equal(okResult(await store.append(s, "any", [coalesced("d-2")])).nextVersion, 2);
    assert.deepEqual((await store.readStream(s)).map((e) => e.version), [1, 2]);
  });

  test("a multi-event append is atomic and contiguous", async ({ store }) => {
    const batch = (
      k: number,
    ) => [requested(k, `d-${k}-a`), coalesced(`d-${k}-b`), coalesced(`d-${k}-c`)];
    // Interleave with single appends to other streams: each batch stays contiguous.
    const results = await Promise.all(
      Array.from(
        { length: 10 },
        (_, k) =>
          k % 2
            ? store.append(issueStream(`MWC-${k + 1}`), "no_stream", batch(k + 1))
            : store.append(issueStream(`MWC-${k + 1}`), "no_stream", [requested(k + 1, `d-${k}`)]),
      ),
    );
    for (const r of results.map(okResult)) {
      r.events.forEach((e, i) => {
        assert.equal(e.position, r.events[0].position + i);
        assert.equal(e.version, i + 1);
      });
    }
    const head = await store.headPosition();
    assert.equal(head, 5 * 3 + 5);

    // A conflicting batch writes none of its events.
    const s = issueStream("MWC-2");
    assert.equal((await store.append(s, "no_stream", batch(2))).ok, false);
    // A batch with one bad event writes none of them.
    const bad = batch(2);
    (bad[2].data as { deliveryId: string }).deliveryId = "";
    await assert.rejects(store.append(s, 3, bad), EventSchemaError);
    assert.equal(await store.headPosition(), head);
    assert.equal((await store.readStream(s)).length, 3);
  });

  // ---- concurrency --------------------------------------------------------

  test("50 appenders racing on one stream: one wins each version", async ({ store }) => {
    const s = issueStream("MWC-1");
    const first = await Promise.all(
      Array.from({ length: 50 }, (_, i) => store.append(s, 0, [requested(1, `first-${i}`)])),
    );
    assert.equal(first.filter((r) => r.ok).length, 1, "exactly one wins version 1");
    for (const r of first) {
      if (!r.ok) {
        assert.deepEqual(r.conflict, {
          kind: "version_conflict",
          stream: s,
          expected: 0,
          actual: 1,
        });
      }
    }

    // Every appender keeps retrying from the version its conflict reports.
    const perAppender = 4;
    const wins: number[] = [];
    await Promise.all(Array.from({ length: 50 }, async (_, i) => {
      let expected = 1;
      for (let k = 0; k < perAppender;) {
        const r = await store.append(s, expected, [coalesced(`w-${i}-${k}`)]);
        if (r.ok) {
          wins.push(r.nextVersion);
          expected = r.nextVersion;
          k++;
        } else {
          assert.ok(r.conflict.actual > expected, "a conflict reports a newer version");
          expected = r.conflict.actual;
        }
      }
    }));
    const total = 1 + 50 * perAppender;
    assert.equal(new Set(wins).size, wins.length, "no version is won twice");
    const events = await store.readStream(s);
    assert.deepEqual(events.map((e) => e.version), Array.from({ length: total }, (_, i) => i + 1));
    assertContiguous(events);
    const deliveries = new Set(events.map((e) => (e.data as { deliveryId: string }).deliveryId));
    assert.equal(deliveries.size, total, "every appender's every event is there once");
    assert.equal(await store.headPosition(), total, "conflicts consume no positions");
  });

  test("many streams at once: positions gap-free, each stream in order", async ({ store }) => {
    const streams = 40;
    const perStream = 10;
    await Promise.all(Array.from({ length: streams }, async (_, i) => {
      const s = issueStream(`MWC-${i + 1}`);
      okResult(await store.append(s, "no_stream", [requested(i + 1, `d-${i}`)]));
      for (let v = 1; v < perStream; v++) {
        okResult(await store.append(s, v, [coalesced(`d-${i}-${v}`)]));
      }
    }));
    const all = await store.readAll(0, 10_000);
    assert.equal(all.length, streams * perStream);
    assertContiguous(all);
    assert.equal(await store.headPosition(), streams * perStream);
    const versions = new Map<string, number>();
    for (const e of all) {
      assert.equal(
        e.version,
        (versions.get(e.stream) ?? 0) + 1,
        "a stream's versions rise with position",
      );
      versions.set(e.stream, e.version);
    }
    assert.equal(versions.size, streams);
  });

  test("a reader never meets a position below one it has seen", async ({ store }) => {
    const writers = 8;
    const perWriter = 25;
    const total = writers * perWriter;
    let writing = true;
    const writes = Promise.all(Array.from({ length: writers }, async (_, w) => {
      for (let k = 0; k < perWriter; k++) {
        okResult(
          await store.append(issueStream(`MWC-${w + 1}`), "any", [coalesced(`d-${w}-${k}`)]),
        );
      }
    })).finally(() => writing = false);

    const abort = new AbortController();
    const subscribed: number[] = [];
    const subscription = (async () => {
      for await (
        const batch of store.subscribe({ fromPosition: 0, batchSize: 5, signal: abort.signal })
      ) {
        subscribed.push(...batch.map((e) => e.position));
        if (subscribed.length >= total) break;
      }
    })();

    let last = 0;
    while (writing || last < total) {
      const page = await store.readAll(last, 7);
      for (const e of page) {
        assert.equal(e.position, last + 1, `after position ${last} the reader met ${e.position}`);
        last = e.position;
      }
      // Give the writers a turn of the event loop.
      if (page.length === 0) await new Promise((r) => setTimeout(r, 0));
    }
    await writes;
    await subscription;
    abort.abort();
    assert.equal(last, total);
    assert.deepEqual(subscribed, Array.from({ length: total }, (_, i) => i + 1));
  });

  // ---- paging and subscriptions --------------------------------------------

  test("readAll and readAllRaw page through the log", async ({ store }) => {
    await fillLog(store, 25);
    const sizes: number[] = [];
    const seen: RecordedEvent[] = [];
    for (;;) {
      const page = await store.readAll(seen.length ? seen[seen.length - 1].position : 0, 7);
      sizes.push(page.length);
      if (page.length === 0) break;
      seen.push(...page);
    }
    assert.deepEqual(sizes, [7, 7, 7, 4, 0]);
    assertContiguous(seen);
    assert.deepEqual((await store.readAll(3, 2)).map((e) => e.position), [4, 5]);
    assert.deepEqual(await store.readAll(25, 10), []);
    assert.deepEqual(await store.readAll(0, 0), []);
    assert.deepEqual((await store.readAllRaw(20, 100)).map((e) => e.position), [
      21,
      22,
      23,
      24,
      25,
    ]);
  });

  test("a subscription delivers everything in order and is woken by an append", async ({ store }) => {
    await fillLog(store, 5);
    const abort = new AbortController();
    // Polling is effectively off: only the append's wake-up can deliver the rest.
    const guard = setTimeout(() => abort.abort(), 30_000);
    const positions: number[] = [];
    const sizes: number[] = [];
    try {
      for await (
        const batch of store.subscribe({
          fromPosition: 0,
          batchSize: 2,
          pollIntervalMs: 3_600_000,
          signal: abort.signal,
        })
      ) {
        positions.push(...batch.map((e) => e.position));
        sizes.push(batch.length);
        if (positions.length === 5) {
          // Append once the subscription has caught up and gone to sleep.
          setTimeout(() => fillLog(store, 3).catch(() => abort.abort()), 20);
        }
        if (positions.length === 8) break;
      }
    } finally {
      clearTimeout(guard);
    }
    assert.ok(!abort.signal.aborted, "the subscription was not woken by the append");
    assert.deepEqual(positions, [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.ok(sizes.every((n) => n >= 1 && n <= 2), `batch sizes ${sizes} within batchSize`);

    // From a position: only what came after it.
    const later: number[] = [];
    for await (const batch of store.subscribe({ fromPosition: 6 })) {
      later.push(...batch.map((e) => e.position));
      if (later.length >= 2) break;
    }
    assert.deepEqual(later, [7, 8]);
  });

  test("aborting a waiting subscription ends it cleanly", async ({ store }) => {
    await fillLog(store, 2);
    const abort = new AbortController();
    const got: number[] = [];
    const done = (async () => {
      for await (
        const batch of store.subscribe({
          fromPosition: 0,
          pollIntervalMs: 3_600_000,
          signal: abort.signal,
        })
      ) {
        got.push(...batch.map((e) => e.position));
        if (got.length === 2) setTimeout(() => abort.abort(), 10);
      }
      return "ended";
    })();
    assert.equal(await done, "ended");
    assert.deepEqual(got, [1, 2]);
  });

  // ---- schema validation ----------------------------------------------------

  test("a schema-invalid event is refused clearly and nothing is written", async ({ store }) => {
    const s = issueStream("MWC-1");
    const bad = requested(1, "d-1");
    (bad.data as { issueKey: string }).issueKey = "not a key";
    const error = await store.append(s, "any", [bad]).then(
      () => assert.fail("the append should have been refused"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof EventSchemaError, `got ${error}`);
    assert.match(error.message, /RunRequested/);
    assert.match(error.message, /issueKey/);

    await assert.rejects(
      store.append(s, "any", [{ ...coalesced("d-2"), type: "NoSuchEvent" } as unknown as NewEvent]),
      (e: unknown) => e instanceof EventSchemaError && /unknown event type/.test(e.message),
    );
    const noActor = { ...coalesced("d-3"), metadata: {} } as unknown as NewEvent;
    await assert.rejects(
      store.append(s, "any", [noActor]),
      (e: unknown) => e instanceof EventSchemaError && /metadata/.test(e.message),
    );
    assert.equal(await store.headPosition(), 0);
    assert.deepEqual(await store.readStream(s), []);

    // Issued together with good appends, a bad one poisons none of them.
    const outcomes = await Promise.allSettled([
      store.append(issueStream("MWC-2"), "no_stream", [requested(2, "d-4")]),
      store.append(issueStream("MWC-3"), "no_stream", [bad]),
      store.append(issueStream("MWC-4"), "no_stream", [requested(4, "d-5")]),
      store.append(issueStream("MWC-5"), "no_stream", [requested(5, "d-6"), bad]),
    ]);
    assert.deepEqual(outcomes.map((o) => o.status), [
      "fulfilled",
      "rejected",
      "fulfilled",
      "rejected",
    ]);
    const all = await store.readAll(0, 100);
    assert.deepEqual(all.map((e) => e.stream), [issueStream("MWC-2"), issueStream("MWC-4")]);
    assertContiguous(all);
    const audit = await verifyLog(store);
    assert.equal(audit.broken, null);
  });

  // ---- the audit ------------------------------------------------------------

  test("verifyLog passes an untampered log and reports progress", async ({ store }) => {
    await fillLog(store, 12);
    const progress: [number, number][] = [];
    const result = await verifyLog(store, {
      pageSize: 5,
      onProgress: (checked, head) => progress.push([checked, head]),
    });
    assert.deepEqual(result, { checked: 12, head: 12, broken: null, schemaErrors: null });
    assert.deepEqual(progress, [[5, 12], [10, 12], [12, 12]]);
  });

  test("verifyLog passes an empty log", async ({ store }) => {
    assert.deepEqual(await verifyLog(store), {
      checked: 0,
      head: 0,
      broken: null,
      schemaErrors: null,
    });
  });

  test("verifyLog names an edited event", async ({ store, tamper }) => {
    await fillLog(store, 12);
    const [target] = await store.readAllRaw(5, 1);
    await tamper.editData(6, { ...(target.data as object), deliveryId: "forged" });
    const result = await verifyLog(store, { pageSize: 4 });
    assert.equal(result.broken?.position, 6);
    assert.equal(result.checked, 5);
  });

  test("verifyLog names a deleted event", async ({ store, tamper }) => {
    await fillLog(store, 12);
    await tamper.deleteEvent(6);
    const result = await verifyLog(store, { pageSize: 4 });
    assert.equal(result.broken?.position, 7, "the event found where 6 should be");
    assert.match(result.broken?.reason ?? "", /\b6\b/, "the reason names the missing position");
    assert.equal(result.checked, 5);
  });

  test("verifyLog names swapped events", async ({ store, tamper }) => {
    await fillLog(store, 12);
    await tamper.swapPositions(4, 9);
    const raw = await store.readAllRaw(0, 100);
    assert.deepEqual(raw.map((e) => e.position), Array.from({ length: 12 }, (_, i) => i + 1));
    const result = await verifyLog(store);
    assert.equal(result.broken?.position, 4);
  });

  test("verifyLog finds an event re-hashed to look valid on its own", async ({ store, tamper }) => {
    await fillLog(store, 12);
    const [target] = await store.readAllRaw(5, 1);
    await tamper.rewriteWithValidHash(6, { ...(target.data as object), deliveryId: "forged" });
    const [previous, rewritten] = await store.readAllRaw(4, 2);
    assert.equal((rewritten.data as { deliveryId: string }).deliveryId, "forged");
    assert.equal(rewritten.hash, eventHash(previous.hash, rewritten), "its own link holds");
    const result = await verifyLog(store);
    assert.equal(result.broken?.position, 7, "the next link breaks");
    assert.equal(result.checked, 6);
  });

  test("verifyLog reports events that fail their schema", async ({ store, tamper }) => {
    await fillLog(store, 12);
    await tamper.rewriteWithValidHash(12, { runId: "" });
    const result = await verifyLog(store);
    assert.equal(result.broken, null, "the chain itself holds");
    assert.equal(result.schemaErrors?.position, 12);
    assert.equal(result.schemaErrors?.count, 1);
    assert.match(result.schemaErrors?.message ?? "", /RunRequestCoalesced/);
    // Validated on the way out too.
    await assert.rejects(store.readAll(11, 1), EventSchemaError);
  });

  // ---- read models ------------------------------------------------------------

  test("read-model commits are fenced on the checkpoint", async ({ store }) => {
    const p = "runs";
    assert.equal(await store.checkpoint(p), null);
    assert.equal(
      await store.commit(p, null, { position: 5, version: 1 }, new Map([["a", { n: 1 }]])),
      true,
    );
    assert.deepEqual(await store.checkpoint(p), { position: 5, version: 1 });

    // Stale: another process already moved the checkpoint.
    assert.equal(
      await store.commit(p, null, { position: 6, version: 1 }, new Map([["b", { n: 2 }]])),
      false,
    );
    assert.equal(
      await store.commit(
        p,
        { position: 4, version: 1 },
        { position: 6, version: 1 },
        new Map([["b", { n: 2 }]]),
      ),
      false,
    );
    assert.equal(
      await store.commit(
        p,
        { position: 5, version: 2 },
        { position: 6, version: 2 },
        new Map([["b", { n: 2 }]]),
      ),
      false,
    );
    assert.equal(await store.get(p, "b"), null, "a stale commit writes nothing");
    assert.deepEqual(await store.checkpoint(p), { position: 5, version: 1 });

    const moved = await store.commit(
      p,
      { position: 5, version: 1 },
      { position: 9, version: 1 },
      new Map<string, unknown>([["a", null], ["c", { n: 3, nested: { ok: true } }]]),
    );
    assert.equal(moved, true);
    assert.equal(await store.get(p, "a"), null, "null deletes");
    assert.deepEqual(await store.get(p, "c"), { n: 3, nested: { ok: true } });
    assert.deepEqual(
      await store.load(p, ["a", "c", "zz"]),
      new Map([["c", { n: 3, nested: { ok: true } }]]),
    );
    assert.deepEqual(await store.load(p, []), new Map());

    // Two projectors at once: exactly one advances.
    const race = await Promise.all(
      [1, 2].map((k) =>
        store.commit(
          p,
          { position: 9, version: 1 },
          { position: 10, version: 1 },
          new Map([[`r${k}`, { k }]]),
        )
      ),
    );
    assert.deepEqual(race.filter(Boolean).length, 1);
    assert.equal((await store.load(p, ["r1", "r2"])).size, 1);
  });

  test("read-model queries filter, order, page and count", async ({ store }) => {
    const p = "runs";
    const statuses = ["queued", "claimed", "succeeded"];
    const docs = new Map<string, unknown>();
    for (let i = 0; i < 10; i++) {
      const doc: Record<string, unknown> = {
        status: statuses[i % 3],
        n: i,
        at: `2025-06-0${i % 9 + 1}T00:00:00.000Z`,
        open: i % 2 === 0,
      };
      if (i < 3) doc.maybe = null;
      else if (i < 6) doc.maybe = "set";
      docs.set(`id-${i}`, doc);
    }
    assert.ok(await store.commit(p, null, { position: 1, version: 1 }, docs));
    await store.commit(
      "other",
      null,
      { position: 1, version: 1 },
      new Map([["x", { status: "queued" }]]),
    );
    const ids = (rows: unknown[]) => rows.map((r) => (r as { n: number }).n);

    assert.deepEqual(ids(await store.query(p)), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(ids(await store.query(p, { where: [{ field: "status", eq: "queued" }] })), [
      0,
      3,
      6,
      9,
    ]);
    assert.deepEqual(
      ids(await store.query(p, { where: [{ field: "n", gte: 3 }, { field: "n", lte: 5 }] })),
      [3, 4, 5],
    );
    assert.deepEqual(
      ids(await store.query(p, { where: [{ field: "at", lte: "2025-06-02T00:00:00.000Z" }] })),
      [0, 1, 9],
    );
    // contains: a substring of a string field, ASCII case ignored; other types never match.
    assert.deepEqual(ids(await store.query(p, { where: [{ field: "status", contains: "UE" }] })), [
      0,
      3,
      6,
      9,
    ]);
    assert.deepEqual(ids(await store.query(p, { where: [{ field: "n", contains: "3" }] })), []);
    assert.equal(await store.count(p, [{ field: "at", contains: "06-0" }]), 10);
    // count with max stops there.
    assert.equal(await store.count(p, [{ field: "status", eq: "queued" }], { max: 2 }), 2);
    assert.equal(await store.count(p, [{ field: "status", eq: "queued" }], { max: 100 }), 4);
    assert.deepEqual(ids(await store.query(p, { where: [{ field: "open", eq: false }] })), [
      1,
      3,
      5,
      7,
      9,
    ]);
    assert.deepEqual(ids(await store.query(p, { where: [{ field: "maybe", eq: null }] })), [
      0,
      1,
      2,
      6,
      7,
      8,
      9,
    ]);
    assert.deepEqual(
      ids(await store.query(p, { where: [{ field: "n", eq: "3" }] })),
      [],
      "typed equality",
    );
    assert.deepEqual(
      ids(
        await store.query(p, { orderBy: { field: "n", direction: "desc" }, limit: 3, offset: 2 }),
      ),
      [7, 6, 5],
    );
    // Ties broken by id.
    assert.deepEqual(
      ids(await store.query(p, { orderBy: { field: "status", direction: "asc" }, limit: 4 })),
      [1, 4, 7, 0],
    );
    assert.deepEqual(ids(await store.query(p, { offset: 8 })), [8, 9]);
    assert.equal(await store.count(p), 10);
    assert.equal(await store.count(p, [{ field: "status", eq: "succeeded" }]), 3);
    assert.equal(await store.count("nothing"), 0);

    for (const field of ["a.b", "x') OR 1=1 --", "", "1abc"]) {
      await assert.rejects(
        store.query(p, { where: [{ field, eq: 1 }] }),
        TypeError,
        `field ${field}`,
      );
      await assert.rejects(store.query(p, { orderBy: { field, direction: "asc" } }), TypeError);
    }
  });

  test("read-model reset clears one projection", async ({ store }) => {
    await store.commit(
      "a",
      null,
      { position: 3, version: 1 },
      new Map([["1", { v: 1 }], ["2", { v: 2 }]]),
    );
    await store.commit("b", null, { position: 4, version: 1 }, new Map([["1", { v: 1 }]]));
    await store.reset("a");
    assert.equal(await store.checkpoint("a"), null);
    assert.equal(await store.count("a"), 0);
    assert.deepEqual(await store.checkpoint("b"), { position: 4, version: 1 });
    assert.equal(await store.count("b"), 1);
    // A reset projection starts again from nothing.
    assert.equal(await store.commit("a", null, { position: 1, version: 2 }, new Map()), true);
  });

  // ---- artifacts --------------------------------------------------------------

  test("artifacts are content-addressed and round-trip their bytes", async ({ store }) => {
    const bytes = new TextEncoder().encode("transcript: the model said hello\n\u0000\u00ff");
    const expected = createHash("sha256").update(bytes).digest("hex");
    const first = await store.putArtifact(bytes, "text/plain");
    assert.deepEqual(first, { sha256: expected, size: bytes.byteLength });
    assert.deepEqual(
      await store.putArtifact(bytes.slice(), "text/plain"),
      first,
      "idempotent by content",
    );
    const got = await store.getArtifact(expected);
    assert.ok(got);
    assert.deepEqual(new Uint8Array(got.content), bytes);
    assert.equal(got.mediaType, "text/plain");
    assert.equal(await store.getArtifact("0".repeat(64)), null);

    const binary = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 131 + (i >> 8)) & 0xff);
    const big = await store.putArtifact(binary, "application/octet-stream");
    assert.equal(big.size, 300_000);
    assert.deepEqual(new Uint8Array((await store.getArtifact(big.sha256))!.content), binary);
    const empty = await store.putArtifact(new Uint8Array(0), "text/plain");
    assert.equal(empty.size, 0);
    assert.deepEqual((await store.getArtifact(empty.sha256))?.content.byteLength, 0);
  });

  // ---- durability ---------------------------------------------------------------

  test("reopening keeps events, read models and artifacts", async (h) => {
    await fillLog(h.store, 7);
    const before = await readEverything(h.store);
    await h.store.commit("runs", null, { position: 7, version: 1 }, new Map([["a", { n: 1 }]]));
    const art = await h.store.putArtifact(new TextEncoder().encode("log"), "text/plain");

    const store = await h.reopen();
    assert.deepEqual(await readEverything(store), before);
    assert.deepEqual(await store.checkpoint("runs"), { position: 7, version: 1 });
    assert.deepEqual(await store.get("runs", "a"), { n: 1 });
    assert.equal(new TextDecoder().decode((await store.getArtifact(art.sha256))?.content), "log");
    await store.ping();

    const next = okResult(await store.append(issueStream("MWC-1"), 3, [coalesced("after")]));
    assert.equal(next.lastPosition, 8);
    assert.equal(next.events[0].hash, eventHash(before[6].hash, next.events[0]));
    assert.equal((await verifyLog(store)).broken, null);
  });

  test("close waits for appends in flight", async (h) => {
    const pending = [1, 2, 3].map((n) =>
      h.store.append(issueStream(`MWC-${n}`), "no_stream", [requested(n, `d-${n}`)])
    );
    await h.store.close();
    for (const r of await Promise.all(pending)) okResult(r);
    const store = await h.reopen();
    assert.equal(await store.headPosition(), 3);
  });

  // ---- the command handler on top ----------------------------------------------------

  test("concurrent RequestRun for one issue: one RunRequested, the rest coalesced", async ({ store }) => {
    const requests = 20;
    const results = await Promise.all(Array.from({ length: requests }, (_, i) =>
      handleCommand(
        store,
        "MWC-7",
        {
          type: "RequestRun",
          issueKey: "MWC-7",
          runId: `run-${i}`,
          deliveryId: `delivery-${i}`,
          source: "jira",
          requestedBy: null,
          now: NOW,
        },
        { actor: "jira:automation", deliveryId: `delivery-${i}` },
        requests + 5,
      )));
    const outcomes = results.map((r, i) => {
      if (!r.ok) assert.fail(`request ${i} failed: ${JSON.stringify(r.error)}`);
      return requestOutcome(r, `delivery-${i}`);
    });
    const queued = outcomes.filter((o) => o.status === "queued");
    assert.equal(queued.length, 1);
    assert.equal(outcomes.filter((o) => o.status === "coalesced").length, requests - 1);
    assert.ok(
      outcomes.every((o) => o.runId === queued[0].runId),
      "all coalesced into the queued run",
    );

    const events = await store.readStream(issueStream("MWC-7"));
    assert.equal(events.filter((e) => e.type === "RunRequested").length, 1);
    assert.equal(events.filter((e) => e.type === "RunRequestCoalesced").length, requests - 1);

    // The same delivery again changes nothing.
    const again = await handleCommand(store, "MWC-7", {
      type: "RequestRun",
      issueKey: "MWC-7",
      runId: "run-again",
      deliveryId: "delivery-3",
      source: "jira",
      requestedBy: null,
      now: NOW,
    }, { actor: "jira:automation" });
    assert.ok(again.ok);
    assert.deepEqual(requestOutcome(again, "delivery-3"), {
      status: "duplicate",
      runId: queued[0].runId,
    });
    assert.equal(await store.headPosition(), requests);
  });
}
