/**
 * Scale-out for real: several OS processes (each a `deno run` of this file in
 * writer mode) start against one fresh PostgreSQL database at the same time,
 * race its migrations, and append concurrently, while this process follows
 * the log through a subscription. Then one writer is SIGKILLed mid-stream.
 *
 * Writer mode: `deno run -A tests/e2e/postgres_processes_test.ts <url> <id> <appends|0>`
 * prints `{"migrations": …}` once, then one JSON line per acknowledged append:
 * `{"stream": …, "positions": [p, p+1, p+2]}` (0 appends: until killed).
 *
 * @module
 */
import { storedCoalesced as coalesced } from "../support/events.ts";
import assert from "node:assert/strict";
import { openPostgresStore } from "../../adapters/eventstore/postgres/mod.ts";
import { issueStream, type RecordedEvent } from "../../domain/events.ts";
import { verifyLog } from "../../domain/verify_log.ts";
import { startPostgres, warnSkipped } from "../support/postgres_cluster.ts";

const LOOPS_PER_WRITER = 4;

/** Writer mode: append batches of three from a few loops, one line per acknowledgement. */
async function writer(url: string, id: string, appends: number): Promise<void> {
  const store = await openPostgresStore(url);
  const encoder = new TextEncoder();
  const print = (value: unknown) =>
    Deno.stdout.writeSync(encoder.encode(JSON.stringify(value) + "\n"));
  print({ migrations: store.migrations });
  const perLoop = appends === 0 ? Infinity : appends / LOOPS_PER_WRITER;
  await Promise.all(Array.from({ length: LOOPS_PER_WRITER }, async (_, loop) => {
    const stream = issueStream(`P${id}-${loop + 1}`);
    for (let k = 0; k < perLoop; k++) {
      const result = await store.append(
        stream,
        k * 3,
        [0, 1, 2].map((i) => coalesced(`${id}-${loop}-${k}-${i}`)),
      );
      if (!result.ok) throw new Error(`conflict on ${stream}: only this loop writes it`);
      print({ stream, positions: result.events.map((e) => e.position) });
    }
  }));
  await store.close();
}

if (import.meta.main) {
  const [url, id, appends] = Deno.args;
  await writer(url, id, Number(appends));
  Deno.exit(0);
}

interface Ack {
  stream: string;
  positions: number[];
}

/** A writer process and what it acknowledged so far. */
function spawnWriter(url: string, id: string, appends: number) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, url, id, String(appends)],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const acks: Ack[] = [];
  let migrations: { applied: number[] } | null = null;
  let changed = () => {};
  const stderr = new Response(child.stderr).text();
  let ended = false;
  const stdout = (async () => {
    let buffer = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      let newline;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = JSON.parse(buffer.slice(0, newline));
        buffer = buffer.slice(newline + 1);
        if ("migrations" in line) migrations = line.migrations;
        else acks.push(line);
      }
      changed();
    }
  })().finally(() => {
    ended = true;
    changed();
  });
  return {
    child,
    acks,
    migrations: () => migrations,
    /** Resolves once `n` appends are acknowledged (or the output ends). */
    async acknowledged(n: number): Promise<void> {
      while (acks.length < n && !ended) {
        await new Promise<void>((resolve) => changed = resolve);
      }
    },
    async done(): Promise<{ status: Deno.CommandStatus; stderr: string }> {
      await stdout;
      return { status: await child.status, stderr: await stderr };
    },
  };
}

const server = await startPostgres();

if (!server) {
  warnSkipped("the multi-process PostgreSQL tests (tests/e2e/postgres_processes_test.ts)");
  Deno.test({
    name: "[postgres e2e] several processes (no PostgreSQL: SKIPPED)",
    ignore: true,
    fn() {},
  });
} else {
  const pg = server;

  Deno.test("[postgres e2e] 3 processes start at once, migrate once, append in one order", async () => {
    const url = await pg.createDatabase();
    const perWriter = 60; // appends of 3 events
    const writers = ["a", "b", "c"].map((id) => spawnWriter(url, id, perWriter));
    const total = writers.length * perWriter * 3;

    // Follow the log from here while they write (the schema appears when one of them migrates).
    const store = await openPostgresStore(url);
    const abort = new AbortController();
    const guard = setTimeout(() => abort.abort(), 120_000);
    const seen: RecordedEvent[] = [];
    try {
      for await (
        const batch of store.subscribe({
          fromPosition: 0,
          pollIntervalMs: 1_000,
          signal: abort.signal,
        })
      ) {
        for (const e of batch) {
          assert.equal(e.position, (seen.at(-1)?.position ?? 0) + 1, "in order, no gaps");
          seen.push(e);
        }
        if (seen.length >= total) break;
      }
      const results = await Promise.all(writers.map((w) => w.done()));
      for (const r of results) assert.ok(r.status.success, r.stderr);
      assert.ok(!abort.signal.aborted, `the subscription saw ${seen.length} of ${total}`);
      assert.equal(seen.length, total);

      // Exactly one process applied the migrations (counting this one, which may have won).
      const appliedBy = [...writers.map((w) => w.migrations()), store.migrations]
        .filter((m) => m && m.applied.length > 0);
      assert.equal(appliedBy.length, 1, JSON.stringify(appliedBy));

      // Every acknowledged append is there, whole and contiguous, in its stream.
      const byPosition = new Map(seen.map((e) => [e.position, e]));
      for (const w of writers) {
        assert.equal(w.acks.length, perWriter);
        for (const ack of w.acks) {
          assert.deepEqual(ack.positions, [0, 1, 2].map((i) => ack.positions[0] + i));
          for (const p of ack.positions) assert.equal(byPosition.get(p)?.stream, ack.stream);
        }
      }
      assert.deepEqual(await verifyLog(store), {
        checked: total,
        head: total,
        broken: null,
        schemaErrors: null,
      });
    } finally {
      clearTimeout(guard);
      await store.close();
    }
  });

  Deno.test("[postgres e2e] SIGKILL of one writer: no half batch, others carry on", async () => {
    const url = await pg.createDatabase();
    await (await openPostgresStore(url)).close();
    const victim = spawnWriter(url, "v", 0);
    const survivors = ["s", "t"].map((id) => spawnWriter(url, id, 80));
    await victim.acknowledged(50);
    victim.child.kill("SIGKILL");
    const killed = await victim.done();
    assert.equal(killed.status.signal, "SIGKILL");
    const results = await Promise.all(survivors.map((w) => w.done()));
    for (const r of results) assert.ok(r.status.success, r.stderr);

    const store = await openPostgresStore(url);
    try {
      const events: RecordedEvent[] = [];
      for (;;) {
        const page = await store.readAll(events.at(-1)?.position ?? 0, 1000);
        if (page.length === 0) break;
        events.push(...page);
      }
      events.forEach((e, i) => assert.equal(e.position, i + 1, "positions contiguous"));
      const byStream = new Map<string, number[]>();
      for (const e of events) {
        byStream.set(e.stream, [...(byStream.get(e.stream) ?? []), e.version]);
      }
      for (const [stream, versions] of byStream) {
        assert.equal(versions.length % 3, 0, `${stream} holds only whole batches of 3`);
        assert.deepEqual(versions, versions.map((_, i) => i + 1), `${stream} versions contiguous`);
      }
      const stored = new Map(events.map((e) => [e.position, e.stream]));
      for (const w of [victim, ...survivors]) {
        for (const ack of w.acks) {
          for (const p of ack.positions) {
            assert.equal(stored.get(p), ack.stream, `acknowledged ${p}`);
          }
        }
      }
      for (const w of survivors) assert.equal(w.acks.length, 80);
      assert.equal((await verifyLog(store)).broken, null);
    } finally {
      await store.close();
    }
  });

  // Last: the server goes away with the file's tests (the unload handler covers filtered runs).
  Deno.test("[postgres e2e] stopping the test server drops it", async () => {
    const url = await pg.createDatabase();
    await pg.stop();
    const error = await openPostgresStore(url).then((s) => s.close(), (e: unknown) => e);
    assert.ok(error instanceof Error, "the database is gone after stop()");
  });
}
