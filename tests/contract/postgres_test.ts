/**
 * The event-store contract against PostgreSQL (with group commit and with one
 * transaction per append), plus what only the scale-out engine has: several
 * store instances (connections, as several processes would have) on one
 * database, migrations raced at start, LISTEN/NOTIFY across instances, and a
 * database restart in the middle of the work.
 *
 * Needs PostgreSQL: `TEST_DATABASE_URL`, or `initdb`/`pg_ctl` on this machine
 * for a throwaway cluster (see `tests/support/postgres_cluster.ts`); without
 * either, every test here is reported as ignored, with a loud warning.
 *
 * @module
 */
import { storedCoalesced as coalesced, storedRequest as requested } from "../support/events.ts";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import postgres from "postgres";
import {
  isConnectionError,
  isPostgresUrl,
  MigrationError,
  openPostgresStore,
  type PostgresStore,
  type PostgresStoreOptions,
  redactUrl,
} from "../../adapters/eventstore/postgres/mod.ts";
import { APPEND_LOCK, LOCK_NAMESPACE } from "../../adapters/eventstore/postgres/locks.ts";
import { loadMigrations } from "../../adapters/eventstore/postgres/migrations.ts";
import { handleCommand, requestOutcome } from "../../domain/command_handler.ts";
import { issueStream, type RecordedEvent } from "../../domain/events.ts";
import { eventHash, GENESIS_HASH } from "../../domain/hash_chain.ts";
import { verifyLog } from "../../domain/verify_log.ts";
import { ALL_PROJECTIONS } from "../../projections/mod.ts";
import { Projector } from "../../projections/projector.ts";
import { type PostgresServer, startPostgres, warnSkipped } from "../support/postgres_cluster.ts";
import {
  type ContractStore,
  eventStoreContract,
  type StoreHarness,
} from "./event_store_contract.ts";

const server = await startPostgres();

/** Runs `fn` in a transaction on a separate connection, with the append-only guards lifted. */
async function tamperWith(url: string, fn: (sql: postgres.TransactionSql) => Promise<unknown>) {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.begin(async (tx) => {
      await tx`ALTER TABLE events DISABLE TRIGGER USER`;
      await fn(tx);
      await tx`ALTER TABLE events ENABLE TRIGGER USER`;
    });
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Runs `fn` with a plain connection to the database. */
async function withSql<T>(url: string, fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return await fn(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function openHarness(
  pg: PostgresServer,
  options: PostgresStoreOptions = {},
): Promise<StoreHarness> {
  const url = await pg.createDatabase();
  let store: PostgresStore = await openPostgresStore(url, options);
  const harness: StoreHarness = {
    store,
    async reopen(): Promise<ContractStore> {
      await store.close();
      store = await openPostgresStore(url, options);
      harness.store = store;
      return store;
    },
    tamper: {
      editData: (position, data) =>
        tamperWith(
          url,
          (sql) =>
            sql`UPDATE events SET data = ${JSON.stringify(data)} WHERE position = ${position}`,
        ),
      deleteEvent: (position) =>
        tamperWith(url, (sql) => sql`DELETE FROM events WHERE position = ${position}`),
      swapPositions: (a, b) =>
        tamperWith(url, async (sql) => {
          const parked = 9_000_000_000_000;
          await sql`UPDATE events SET position = ${parked} WHERE position = ${a}`;
          await sql`UPDATE events SET position = ${a} WHERE position = ${b}`;
          await sql`UPDATE events SET position = ${b} WHERE position = ${parked}`;
        }),
      rewriteWithValidHash: (position, data) =>
        tamperWith(url, async (sql) => {
          const [prev] = await sql<{ hash: string }[]>`
            SELECT hash FROM events WHERE position = ${position - 1}`;
          const [row] = await sql<
            {
              stream: string;
              version: number;
              type: string;
              schema_version: number;
              metadata: string;
              recorded_at: string;
            }[]
          >`SELECT stream, version, type, schema_version, metadata, recorded_at
            FROM events WHERE position = ${position}`;
          const hash = eventHash(prev?.hash ?? GENESIS_HASH, {
            position,
            stream: row.stream,
            version: row.version,
            type: row.type,
            schemaVersion: row.schema_version,
            data,
            metadata: JSON.parse(row.metadata),
            recordedAt: row.recorded_at,
          });
          await sql`UPDATE events SET data = ${JSON.stringify(data)}, hash = ${hash}
            WHERE position = ${position}`;
        }),
    },
    async cleanup() {
      await store.close();
      await pg.dropDatabase(url);
    },
  };
  return harness;
}

async function readEverything(store: ContractStore): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  for (;;) {
    const page = await store.readAll(all.length ? all[all.length - 1].position : 0, 1000);
    if (page.length === 0) return all;
    all.push(...page);
  }
}

/** Opens `n` stores on one database, as `n` processes would. */
async function openMany(url: string, n: number, options: PostgresStoreOptions = {}) {
  return await Promise.all(Array.from({ length: n }, () => openPostgresStore(url, options)));
}

async function closeAll(stores: PostgresStore[]): Promise<void> {
  await Promise.all(stores.map((s) => s.close()));
}

if (!server) {
  warnSkipped("the PostgreSQL event-store contract (tests/contract/postgres_test.ts)");
  Deno.test({
    name: "[postgres] contract and engine tests (no PostgreSQL: SKIPPED)",
    ignore: true,
    fn() {},
  });
} else {
  const pg = server;
  const LATEST = loadMigrations().at(-1)!.version;

  /** A test on a fresh database of its own. */
  const test = (name: string, fn: (url: string) => Promise<void>) =>
    Deno.test(`[postgres] ${name}`, async () => {
      const url = await pg.createDatabase();
      try {
        await fn(url);
      } finally {
        await pg.dropDatabase(url);
      }
    });

  eventStoreContract("postgres", () => openHarness(pg));
  eventStoreContract(
    "postgres, one transaction per append",
    () => openHarness(pg, { groupCommit: false }),
  );

  // ---- several stores (processes) on one database -----------------------------------

  test("4 stores appending at once: one gap-free order, never seen out of order", async (url) => {
    const writers = await openMany(url, 4);
    const reader = await openPostgresStore(url);
    try {
      const perStore = 8;
      const perLoop = 25;
      const total = writers.length * perStore * perLoop;
      let writing = true;
      const writes = Promise.all(
        writers.flatMap((store, s) =>
          Array.from({ length: perStore }, async (_, w) => {
            const stream = issueStream(`MWC-${s * perStore + w + 1}`);
            for (let k = 0; k < perLoop; k++) {
              const r = await store.append(stream, k, [coalesced(`d-${s}-${w}-${k}`)]);
              assert.ok(r.ok, `append ${s}/${w}/${k} conflicted: only this loop writes ${stream}`);
            }
          })
        ),
      ).finally(() => writing = false);

      // The consumer reads throughout: it must never meet a position below one it has seen.
      const seen: number[] = [];
      let last = 0;
      while (writing || last < total) {
        const page = await reader.readAll(last, 13);
        for (const e of page) {
          assert.ok(e.position > last, `after position ${last} the reader met ${e.position}`);
          assert.equal(e.position, last + 1, `a gap after ${last}: met ${e.position}`);
          last = e.position;
          seen.push(e.position);
        }
        if (page.length === 0) await new Promise((r) => setTimeout(r, 0));
      }
      await writes;
      assert.deepEqual(seen, Array.from({ length: total }, (_, i) => i + 1));
      assert.equal(await reader.headPosition(), total);
      // One linear hash chain across every writer.
      assert.deepEqual(await verifyLog(reader), {
        checked: total,
        head: total,
        broken: null,
        schemaErrors: null,
      });
      // Each stream's versions are 1..perLoop in position order.
      const versions = new Map<string, number[]>();
      for (const e of await readEverything(reader)) {
        versions.set(e.stream, [...(versions.get(e.stream) ?? []), e.version]);
      }
      assert.equal(versions.size, writers.length * perStore);
      for (const [stream, v] of versions) {
        assert.deepEqual(v, Array.from({ length: perLoop }, (_, i) => i + 1), stream);
      }
    } finally {
      await closeAll([...writers, reader]);
    }
  });

  test("racing one stream from 4 stores: exactly one wins each version", async (url) => {
    const stores = await openMany(url, 4);
    try {
      const s = issueStream("MWC-1");
      const results = await Promise.all(
        stores.flatMap((store, i) =>
          Array.from({ length: 5 }, (_, k) => store.append(s, 0, [coalesced(`r-${i}-${k}`)]))
        ),
      );
      assert.equal(results.filter((r) => r.ok).length, 1);
      for (const r of results) {
        if (!r.ok) assert.equal(r.conflict.actual, 1);
      }
      assert.equal(await stores[0].headPosition(), 1, "conflicts consume no positions");
    } finally {
      await closeAll(stores);
    }
  });

  test("the same delivery from two stores at once: one RunRequested, one duplicate", async (url) => {
    const [a, b] = await openMany(url, 2);
    try {
      for (let n = 1; n <= 10; n++) {
        const key = `MWC-${n}`;
        const request = (store: PostgresStore, runId: string) =>
          handleCommand(store, key, {
            type: "RequestRun",
            issueKey: key,
            runId,
            deliveryId: `delivery-${n}`,
            source: "jira",
            requestedBy: null,
            now: "2025-06-01T12:00:00.000Z",
          }, { actor: "jira:automation", deliveryId: `delivery-${n}` });
        const [ra, rb] = await Promise.all([request(a, `run-a-${n}`), request(b, `run-b-${n}`)]);
        assert.ok(ra.ok && rb.ok, JSON.stringify([ra, rb]));
        const outcomes = [requestOutcome(ra, `delivery-${n}`), requestOutcome(rb, `delivery-${n}`)];
        const statuses = outcomes.map((o) => o.status).sort();
        assert.deepEqual(statuses, ["duplicate", "queued"], key);
        assert.equal(outcomes[0].runId, outcomes[1].runId, "both learn the same run");
        const events = await a.readStream(issueStream(key));
        assert.deepEqual(events.map((e) => e.type), ["RunRequested"], key);
      }
    } finally {
      await closeAll([a, b]);
    }
  });

  test("LISTEN/NOTIFY wakes a subscriber of another store", async (url) => {
    const [subscriber, writer] = await openMany(url, 2);
    const abort = new AbortController();
    // Polling is effectively off: only a NOTIFY can deliver the other store's appends.
    const guard = setTimeout(() => abort.abort(), 30_000);
    try {
      const got: number[] = [];
      const consuming = (async () => {
        for await (
          const batch of subscriber.subscribe({
            fromPosition: 0,
            pollIntervalMs: 3_600_000,
            signal: abort.signal,
          })
        ) {
          got.push(...batch.map((e) => e.position));
          if (got.length >= 3) break;
        }
      })();
      await until(() => subscriber.listening || abort.signal.aborted);
      assert.ok(subscriber.listening, "the subscriber LISTENs");
      for (let v = 0; v < 3; v++) {
        assert.ok((await writer.append(issueStream("MWC-1"), v, [coalesced(`d-${v}`)])).ok);
      }
      await consuming;
      assert.ok(!abort.signal.aborted, "the subscriber was not woken by the NOTIFY");
      assert.deepEqual(got, [1, 2, 3]);
    } finally {
      clearTimeout(guard);
      await closeAll([subscriber, writer]);
    }
  });

  test("without LISTEN, polling finds another store's appends", async (url) => {
    const subscriber = await openPostgresStore(url, { listen: false });
    const writer = await openPostgresStore(url);
    const abort = new AbortController();
    const guard = setTimeout(() => abort.abort(), 30_000);
    try {
      const got: number[] = [];
      const consuming = (async () => {
        for await (
          const batch of subscriber.subscribe({
            fromPosition: 0,
            pollIntervalMs: 10,
            signal: abort.signal,
          })
        ) {
          got.push(...batch.map((e) => e.position));
          if (got.length >= 5) break;
        }
      })();
      await Promise.all(
        Array.from(
          { length: 5 },
          (_, i) => writer.append(issueStream(`MWC-${i + 1}`), "no_stream", [coalesced(`d-${i}`)]),
        ),
      );
      await consuming;
      assert.ok(!abort.signal.aborted, "polling did not deliver");
      assert.equal(subscriber.listening, false, "listen: false never LISTENs");
      assert.deepEqual(got, [1, 2, 3, 4, 5]);
    } finally {
      clearTimeout(guard);
      await closeAll([subscriber, writer]);
    }
  });

  test("database restart: appends fail during the outage, then work; the subscription resumes", async (url) => {
    const [subscriber, writer] = await openMany(url, 2);
    const abort = new AbortController();
    const guard = setTimeout(() => abort.abort(), 60_000);
    const s = issueStream("MWC-1");
    try {
      const got: number[] = [];
      let wake = () => {};
      const consuming = (async () => {
        for await (
          const batch of subscriber.subscribe({
            fromPosition: 0,
            // Polling effectively off: after the restart only the renewed LISTEN delivers.
            pollIntervalMs: 3_600_000,
            signal: abort.signal,
          })
        ) {
          got.push(...batch.map((e) => e.position));
          wake();
          if (got.length >= 6) break;
        }
      })();
      const received = (n: number) =>
        until(() => got.length >= n || abort.signal.aborted, (w) => wake = w);
      await until(() => subscriber.listening || abort.signal.aborted);
      for (let v = 0; v < 3; v++) {
        assert.ok((await writer.append(s, v, [coalesced(`before-${v}`)])).ok);
      }
      await received(3);
      assert.deepEqual(got, [1, 2, 3]);

      await pg.restart(async () => {
        const outcome = await notHanging(writer.append(s, 3, [coalesced("during")]));
        const read = await notHanging(writer.headPosition());
        if (pg.kind === "throwaway") {
          assert.ok(outcome instanceof Error, `an append during the outage: ${outcome}`);
          assert.ok(isConnectionError(outcome), `a connection error: ${outcome}`);
          assert.ok(read instanceof Error && isConnectionError(read), `a read: ${read}`);
        }
      });

      // Back: the pools reconnect by themselves.
      const version = (await writer.readStream(s)).length;
      for (let v = version; v < version + 3; v++) {
        assert.ok((await writer.append(s, v, [coalesced(`after-${v}`)])).ok);
      }
      const head = await writer.headPosition();
      await received(head);
      await consuming;
      assert.ok(!abort.signal.aborted, "the subscription did not resume after the restart");
      assert.deepEqual(got, Array.from({ length: head }, (_, i) => i + 1));
      assert.ok(subscriber.listening, "LISTEN is in place again");
      assert.equal((await verifyLog(writer)).broken, null);
      if (pg.kind === "throwaway") assert.equal(head, 6, "nothing was written during the outage");
    } finally {
      clearTimeout(guard);
      abort.abort();
      await closeAll([subscriber, writer]);
    }
  });

  test("a connection killed mid-append fails that batch; the store keeps working", async (url) => {
    // A small pool: a dead connection handed back to it would break what follows.
    const store = await openPostgresStore(url, { maxConnections: 2 });
    const admin = postgres(url, { max: 1, onnotice: () => {} });
    try {
      assert.ok((await store.append(issueStream("MWC-1"), "no_stream", [coalesced("d-0")])).ok);
      // Hold the append lock, so the next batch waits inside its transaction.
      await admin`SELECT pg_advisory_lock(${LOCK_NAMESPACE}, ${APPEND_LOCK})`;
      const blocked = Promise.allSettled(
        [2, 3, 4].map((n) =>
          store.append(issueStream(`MWC-${n}`), "no_stream", [coalesced(`d-${n}`)])
        ),
      );
      let waiting: { pid: number }[] = [];
      while (waiting.length === 0) {
        await new Promise((r) => setTimeout(r, 10));
        waiting = await admin<{ pid: number }[]>`
          SELECT pid FROM pg_stat_activity
          WHERE datname = current_database() AND application_name = 'ai-runner'
            AND wait_event_type = 'Lock'`;
      }
      await admin`SELECT pg_terminate_backend(${waiting[0].pid})`;
      const outcomes = await blocked;
      await admin`SELECT pg_advisory_unlock(${LOCK_NAMESPACE}, ${APPEND_LOCK})`;
      for (const o of outcomes) {
        assert.equal(o.status, "rejected");
        assert.ok(isConnectionError((o as PromiseRejectedResult).reason), String(o));
      }

      const after = await Promise.all(
        Array.from(
          { length: 40 },
          (_, i) => store.append(issueStream(`MWC-${i + 10}`), "no_stream", [coalesced(`e-${i}`)]),
        ),
      );
      assert.ok(after.every((r) => r.ok));
      const reads = await Promise.all(Array.from({ length: 10 }, () => store.headPosition()));
      assert.deepEqual(reads, Array(10).fill(41), "the killed batch wrote nothing");
      assert.equal((await verifyLog(store)).broken, null);
    } finally {
      await admin.end({ timeout: 5 });
      await store.close();
    }
  });

  test("a stuck holder of the append lock makes appends fail, not hang", async (url) => {
    const store = await openPostgresStore(url, { lockTimeoutMs: 200 });
    const admin = postgres(url, { max: 1, onnotice: () => {} });
    try {
      await admin`SELECT pg_advisory_lock(${LOCK_NAMESPACE}, ${APPEND_LOCK})`;
      const stuck = await notHanging(
        store.append(issueStream("MWC-1"), "no_stream", [coalesced("d-1")]),
      );
      assert.equal((stuck as { code?: string }).code, "55P03", `lock_not_available: ${stuck}`);
      await admin`SELECT pg_advisory_unlock(${LOCK_NAMESPACE}, ${APPEND_LOCK})`;
      const later = await store.append(issueStream("MWC-1"), "no_stream", [coalesced("d-2")]);
      assert.ok(later.ok);
      assert.equal(later.lastPosition, 1, "the failed append wrote nothing");
    } finally {
      await admin.end({ timeout: 5 });
      await store.close();
    }
  });

  // ---- migrations ----------------------------------------------------------------------

  test("migrations: 3 stores starting at once apply them exactly once", async (url) => {
    const stores = await openMany(url, 3);
    try {
      const applied = stores.map((s) => s.migrations.applied);
      const files = loadMigrations();
      assert.equal(applied.filter((a) => a.length > 0).length, 1, JSON.stringify(applied));
      assert.deepEqual(applied.find((a) => a.length > 0), files.map((m) => m.version));
      for (const s of stores) assert.equal(s.migrations.current, LATEST);
      const again = await openPostgresStore(url);
      assert.deepEqual(again.migrations, { applied: [], current: LATEST, latest: LATEST });
      await again.close();

      const rows = await withSql(
        url,
        (sql) =>
          sql<{ version: number; name: string; checksum: string }[]>`
          SELECT version, name, checksum FROM schema_migrations ORDER BY version`,
      );
      assert.deepEqual(
        rows.map((r) => [r.version, r.name, r.checksum]),
        files.map((m) => [m.version, m.name, m.checksum]),
      );
      const file = Deno.readTextFileSync(
        new URL("../../migrations/postgres/001_initial.sql", import.meta.url),
      );
      assert.equal(rows[0].checksum, createHash("sha256").update(file).digest("hex"));
      const tables = await withSql(url, (sql) =>
        sql<{ tablename: string }[]>`
          SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1`);
      assert.deepEqual(tables.map((t) => t.tablename), [
        "artifacts",
        "events",
        "projection_checkpoints",
        "projection_docs",
        "schema_migrations",
      ]);
    } finally {
      await closeAll(stores);
    }
  });

  test("migrations: a database newer than this build is refused", async (url) => {
    await (await openPostgresStore(url)).close();
    await withSql(
      url,
      (sql) => sql`INSERT INTO schema_migrations VALUES (7, 'future', 'x', '2030-01-01T00:00:00Z')`,
    );
    await assert.rejects(openPostgresStore(url), (e: unknown) => {
      assert.ok(e instanceof MigrationError);
      assert.equal(
        e.message,
        `database schema version 7 is newer than this AI Runner supports (${LATEST}): ` +
          "upgrade AI Runner or point DATABASE_URL at another database",
      );
      return true;
    });
  });

  test("migrations: an applied migration whose file changed is refused", async (url) => {
    await (await openPostgresStore(url)).close();
    await withSql(
      url,
      (sql) => sql`UPDATE schema_migrations SET checksum = 'abc' WHERE version = 1`,
    );
    await assert.rejects(
      openPostgresStore(url),
      /migration 1 \(initial\) was changed after it was applied/,
    );
  });

  test("migrations: upgrades in order; a failing one leaves nothing behind", async (url) => {
    await (await openPostgresStore(url)).close();
    const dir = await Deno.makeTempDir({ prefix: "ai-runner-pg-migrations-" });
    try {
      for (const m of loadMigrations()) {
        await Deno.writeTextFile(
          `${dir}/${String(m.version).padStart(3, "0")}_${m.name}.sql`,
          m.sql,
        );
      }
      const migrationsDir = new URL(`file://${dir}/`);
      const next = LATEST + 1;
      const prefix = String(next).padStart(3, "0");
      const broken = `${dir}/${prefix}_broken.sql`;
      await Deno.writeTextFile(broken, "CREATE TABLE half_done (a int); THIS IS NOT SQL;");
      await assert.rejects(
        openPostgresStore(url, { migrationsDir }),
        /migration \d+ \(broken\) failed/,
      );
      const [half] = await withSql(
        url,
        (sql) => sql<{ found: boolean }[]>`SELECT to_regclass('half_done') IS NOT NULL AS found`,
      );
      assert.equal(half.found, false, "the failed migration left nothing behind");

      await Deno.remove(broken);
      await Deno.writeTextFile(`${dir}/${prefix}_notes.sql`, "CREATE TABLE notes (id text);");
      const upgraded = await openPostgresStore(url, { migrationsDir });
      assert.deepEqual(upgraded.migrations, { applied: [next], current: next, latest: next });
      await upgraded.ping();
      await upgraded.close();
      // This build's own files are now behind the database.
      await assert.rejects(openPostgresStore(url), /is newer than this AI Runner supports/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  test("ping fails once another process migrated the database further", async (url) => {
    const store = await openPostgresStore(url);
    try {
      await store.ping();
      await withSql(
        url,
        (sql) =>
          sql`INSERT INTO schema_migrations VALUES (99, 'future', 'x', '2030-01-01T00:00:00Z')`,
      );
      await assert.rejects(store.ping(), /newer than this AI Runner supports/);
    } finally {
      await store.close();
    }
  });

  // ---- group commit -------------------------------------------------------------------

  test("group commit writes concurrent appends in few transactions", async (url) => {
    // A clock that moves one millisecond per reading: one reading per transaction.
    const transactionsFor = async (options: PostgresStoreOptions) => {
      let t = Date.parse("2025-06-01T00:00:00.000Z");
      const store = await openPostgresStore(url, { ...options, clock: () => new Date(t++) });
      try {
        const from = await store.headPosition();
        const results = await Promise.all(
          Array.from(
            { length: 100 },
            (_, i) =>
              store.append(issueStream(`MWC-${from + i + 1}`), "no_stream", [coalesced(`d-${i}`)]),
          ),
        );
        assert.ok(results.every((r) => r.ok));
        const events = await store.readAll(from, 1000);
        assert.equal(events.length, 100);
        return new Set(events.map((e) => e.recordedAt)).size;
      } finally {
        await store.close();
      }
    };
    assert.equal(await transactionsFor({}), 1);
    assert.equal(await transactionsFor({ maxBatch: 10 }), 10);
    assert.equal(await transactionsFor({ groupCommit: false }), 100);
  });

  test("a failed batch fails every caller in it and writes nothing", async (url) => {
    const store = await openPostgresStore(url);
    try {
      const append = (n: number) =>
        store.append(issueStream(`MWC-${n}`), "no_stream", [coalesced(`d-${n}`)]);
      await withSql(url, (sql) =>
        sql.unsafe(`
          CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN RAISE EXCEPTION 'disk on fire'; END $$;
          CREATE TRIGGER boom BEFORE INSERT ON events FOR EACH ROW
            WHEN (NEW.stream = 'issue-MWC-3') EXECUTE FUNCTION boom();`));
      const failed = await Promise.allSettled([1, 2, 3, 4].map(append));
      assert.ok(
        failed.every((o) => o.status === "rejected" && /disk on fire/.test(String(o.reason))),
        JSON.stringify(failed.map((o) => o.status)),
      );
      assert.equal(await store.headPosition(), 0);

      await withSql(url, (sql) => sql`DROP TRIGGER boom ON events`);
      const retried = await Promise.all([1, 2, 3, 4].map(append));
      assert.ok(retried.every((r) => r.ok));
      assert.equal(await store.headPosition(), 4);
      assert.equal((await verifyLog(store)).broken, null);
    } finally {
      await store.close();
    }
  });

  test("the log refuses UPDATE, DELETE and TRUNCATE through SQL", async (url) => {
    const store = await openPostgresStore(url);
    try {
      assert.ok((await store.append(issueStream("MWC-1"), "no_stream", [coalesced("d")])).ok);
      for (
        const statement of [
          "UPDATE events SET data = '{}'",
          "DELETE FROM events",
          "TRUNCATE events",
        ]
      ) {
        await assert.rejects(
          withSql(url, (sql) => sql.unsafe(statement)),
          /events are append-only/,
          statement,
        );
      }
      assert.equal(await store.headPosition(), 1);
    } finally {
      await store.close();
    }
  });

  // ---- exact round trips ----------------------------------------------------------------

  test("odd strings round-trip exactly through events and documents", async (url) => {
    const odd = [
      "nul \u0000 inside",
      "lone \ud800 surrogate",
      'quotes " and \\ backslash and \\u0000 escaped',
      "emoji 😀, accents éü, CJK 漢字, RTL שלום",
      "{braces}, [brackets], commas, NULL",
      "tab\tnewline\ncr\r",
    ];
    let store = await openPostgresStore(url);
    try {
      for (const [i, text] of odd.entries()) {
        const r = await store.append(issueStream(`MWC-${i + 1}`), "no_stream", [
          requested(i + 1, `d-${i}`, text),
        ]);
        assert.ok(r.ok);
      }
      const docs = new Map(odd.map((text, i) => [`doc-${i}`, { text, n: i, [text]: -0.5 }]));
      assert.ok(await store.commit("odd", null, { position: 1, version: 1 }, docs));

      await store.close();
      store = await openPostgresStore(url);
      const events = await readEverything(store);
      assert.deepEqual(
        events.map((e) => (e.data as { requestedBy: { displayName: string } }).requestedBy),
        odd.map((text) => ({ accountId: "5b10ac8d82e05b22cc7d4ef5", displayName: text })),
      );
      assert.deepEqual(await verifyLog(store), {
        checked: odd.length,
        head: odd.length,
        broken: null,
        schemaErrors: null,
      });
      for (const [id, doc] of docs) assert.deepEqual(await store.get("odd", id), doc, id);
      assert.deepEqual(await store.load("odd", [...docs.keys()]), docs);
      assert.deepEqual(
        (await store.query("odd", { where: [{ field: "n", gte: 4 }] })).map((d) =>
          (d as { text: string }).text
        ),
        odd.slice(4),
      );
      assert.equal(await store.count("odd", [{ field: "text", eq: odd[2] }]), 1);
    } finally {
      await store.close();
    }
  });

  test("query ordering across value types matches the SQLite engine's", async (url) => {
    const store = await openPostgresStore(url);
    try {
      const values: [string, unknown][] = [
        ["a", "beta"],
        ["b", 10],
        ["c", null],
        ["d", "Alpha"],
        ["e", 2.5],
        ["f", true],
        ["g", undefined],
        ["h", "alpha"],
        ["i", -3],
        ["j", false],
      ];
      const docs = new Map(values.map(([id, v]) => [id, v === undefined ? {} : { v }]));
      assert.ok(await store.commit("mixed", null, { position: 1, version: 1 }, docs));
      const order = async (direction: "asc" | "desc") =>
        (await store.query("mixed", { orderBy: { field: "v", direction } })).map((d) =>
          (d as { v?: unknown }).v
        );
      // null/missing (by id), numbers with booleans as 1/0, then strings bytewise.
      assert.deepEqual(await order("asc"), [
        null,
        undefined,
        -3,
        false,
        true,
        2.5,
        10,
        "Alpha",
        "alpha",
        "beta",
      ]);
      assert.deepEqual(await order("desc"), [
        "beta",
        "alpha",
        "Alpha",
        10,
        2.5,
        true,
        false,
        -3,
        null,
        undefined,
      ]);
      assert.deepEqual(
        (await store.query("mixed", { where: [{ field: "v", lte: "B" }] })).length,
        1,
        "only 'Alpha' sorts at or below 'B' bytewise",
      );
      assert.equal(await store.count("mixed", [{ field: "v", eq: 2.5 }]), 1);
      assert.equal(await store.count("mixed", [{ field: "v", eq: true }]), 1);
      assert.equal(await store.count("mixed", [{ field: "v", gte: 0 }]), 2, "2.5 and 10");
    } finally {
      await store.close();
    }
  });

  // ---- projections from several processes -------------------------------------------------

  test("two projectors on two stores at once build the same documents as one", async (url) => {
    const [a, b] = await openMany(url, 2);
    try {
      for (let n = 1; n <= 30; n++) {
        for (let k = 0; k < 3; k++) {
          const r = await handleCommand(a, `MWC-${n}`, {
            type: "RequestRun",
            issueKey: `MWC-${n}`,
            runId: `run-${n}-${k}`,
            deliveryId: `delivery-${n}-${k}`,
            source: "jira",
            requestedBy: null,
            now: "2025-06-01T12:00:00.000Z",
          }, { actor: "jira:automation" });
          assert.ok(r.ok);
        }
      }
      const head = await a.headPosition();
      const projectors = [a, b].map((store) =>
        new Projector(store, store, [...ALL_PROJECTIONS], { batchSize: 7 })
      );
      const reached = await Promise.all(projectors.map((p) => p.catchUp()));
      assert.deepEqual(reached, [head, head]);

      // The documents a single in-memory fold of the whole log gives.
      const events = await readEverything(a);
      for (const projection of ALL_PROJECTIONS) {
        const expected = new Map<string, unknown>();
        for (const e of events) {
          for (const id of projection.keys(e)) {
            const next = projection.evolve(expected.get(id) ?? null, e, id);
            if (next === null) expected.delete(id);
            else expected.set(id, next);
          }
        }
        assert.deepEqual(await a.checkpoint(projection.name), {
          position: head,
          version: projection.version,
        });
        const stored = await b.load(projection.name, [...expected.keys()]);
        assert.deepEqual(stored, new Map(JSON.parse(JSON.stringify([...expected]))));
        assert.equal(await b.count(projection.name), expected.size, projection.name);
      }
    } finally {
      await closeAll([a, b]);
    }
  });

  // ---- the support code ----------------------------------------------------------------

  Deno.test("[postgres] URL helpers and connection errors", () => {
    assert.ok(isPostgresUrl("postgres://u@h/db"));
    assert.ok(isPostgresUrl("postgresql://u:p@h:5433/db?sslmode=require"));
    assert.ok(!isPostgresUrl("sqlite:data/runner.db"));
    assert.ok(!isPostgresUrl("http://h/db"));
    assert.equal(redactUrl("postgres://u:secret@h/db"), "postgres://u:***@h/db");
    assert.ok(isConnectionError({ code: "ECONNREFUSED" }));
    assert.ok(isConnectionError({ code: "57P01" }));
    assert.ok(isConnectionError({ code: "08006" }));
    assert.ok(!isConnectionError({ code: "23505" }));
    assert.ok(!isConnectionError(new TypeError("x")));
  });

  Deno.test("[postgres] an unreachable database fails to open, quickly and clearly", async () => {
    const port = (() => {
      const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const p = (l.addr as Deno.NetAddr).port;
      l.close();
      return p;
    })();
    const error = await openPostgresStore(`postgres://nobody@127.0.0.1:${port}/none`).then(
      (s) => s.close().then(() => null),
      (e: unknown) => e,
    );
    assert.ok(error instanceof Error && isConnectionError(error), String(error));
  });

  // Last: the server goes away with the file's tests (the unload handler covers filtered runs).
  Deno.test("[postgres] stopping the test server drops it", async () => {
    const url = await pg.createDatabase();
    await pg.stop();
    const error = await withSql(url, (sql) => sql`SELECT 1`).then(() => null, (e: unknown) => e);
    assert.ok(error instanceof Error, "the database is gone after stop()");
  });
}

/** Resolves once `done()` holds, checking on each wake-up (or every 10 ms). */
async function until(done: () => boolean, onWake?: (wake: () => void) => void): Promise<void> {
  while (!done()) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 10);
      onWake?.(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** The outcome of a promise (its value or its error), failing the test if it hangs. */
async function notHanging<T>(promise: Promise<T>): Promise<T | unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("hung: no outcome within 60 s")), 60_000);
  });
  try {
    return await Promise.race([promise.then((v) => v, (e: unknown) => e), hung]);
  } finally {
    clearTimeout(timer);
  }
}
