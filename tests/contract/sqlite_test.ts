/**
 * The event-store contract against SQLite files in temp dirs (with group
 * commit and with one transaction per append), plus what only SQLite has:
 * migrations, PRAGMAs, group-commit batching, and surviving a SIGKILL.
 *
 * @module
 */
import { storedCoalesced as coalesced } from "../support/events.ts";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import {
  MigrationError,
  openSqliteStore,
  sqlitePathFromUrl,
  type SqliteStore,
  type SqliteStoreOptions,
} from "../../adapters/eventstore/sqlite/mod.ts";
import { loadMigrations } from "../../adapters/eventstore/sqlite/migrations.ts";
import { issueStream } from "../../domain/events.ts";
import { verifyLog } from "../../domain/verify_log.ts";
import { rewriteWithValidHash } from "../support/sqlite_tamper.ts";
import {
  type ContractStore,
  eventStoreContract,
  type StoreHarness,
} from "./event_store_contract.ts";

/** Runs `fn` on a second connection to the file, with the append-only guards lifted. */
function tamperWith(path: string, fn: (db: DatabaseSync) => void): void {
  const db = new DatabaseSync(path);
  try {
    db.exec("BEGIN IMMEDIATE");
    const triggers = db.prepare(
      "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'events'",
    ).all() as { name: string; sql: string }[];
    for (const t of triggers) db.exec(`DROP TRIGGER "${t.name}"`);
    fn(db);
    for (const t of triggers) db.exec(t.sql);
    db.exec("COMMIT");
  } finally {
    db.close();
  }
}

async function openHarness(options: SqliteStoreOptions = {}): Promise<StoreHarness> {
  const dir = await Deno.makeTempDir({ prefix: "ai-runner-sqlite-" });
  const path = join(dir, "data", "runner.db");
  let store: SqliteStore = openSqliteStore(path, options);
  const harness: StoreHarness = {
    store,
    async reopen(): Promise<ContractStore> {
      await store.close();
      store = openSqliteStore(path, options);
      harness.store = store;
      return store;
    },
    tamper: {
      editData: (position, data) => {
        tamperWith(path, (db) => {
          db.prepare("UPDATE events SET data = ? WHERE position = ?").run(
            JSON.stringify(data),
            position,
          );
        });
        return Promise.resolve();
      },
      deleteEvent: (position) => {
        tamperWith(path, (db) => db.prepare("DELETE FROM events WHERE position = ?").run(position));
        return Promise.resolve();
      },
      swapPositions: (a, b) => {
        tamperWith(path, (db) => {
          const move = db.prepare("UPDATE events SET position = ? WHERE position = ?");
          move.run(-1, a);
          move.run(a, b);
          move.run(b, -1);
        });
        return Promise.resolve();
      },
      rewriteWithValidHash: (position, data) => {
        tamperWith(path, (db) => rewriteWithValidHash(db, position, data));
        return Promise.resolve();
      },
    },
    async cleanup() {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
  return harness;
}

eventStoreContract("sqlite", () => openHarness());
eventStoreContract("sqlite, one transaction per append", () => openHarness({ groupCommit: false }));

// ---- SQLite only ------------------------------------------------------------------

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ai-runner-sqlite-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const LATEST = loadMigrations().at(-1)!.version;

Deno.test("[sqlite] migrations: a fresh database gets them all, a second open none", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "nested", "deeper", "runner.db");
    const files = loadMigrations();
    const first = openSqliteStore(path);
    assert.deepEqual(first.migrations, {
      applied: files.map((m) => m.version),
      current: LATEST,
      latest: LATEST,
    });
    await first.ping();
    await first.close();

    const second = openSqliteStore(path);
    assert.deepEqual(second.migrations, { applied: [], current: LATEST, latest: LATEST });
    await second.close();

    const db = new DatabaseSync(path);
    const rows = db.prepare("SELECT version, name, checksum, applied_at FROM schema_migrations")
      .all() as { version: number; name: string; checksum: string; applied_at: string }[];
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all().map((r) => (r as { name: string }).name);
    db.close();
    assert.deepEqual(
      rows.map((r) => [r.version, r.name, r.checksum]),
      files.map((m) => [m.version, m.name, m.checksum]),
    );
    const file = Deno.readTextFileSync(
      new URL("../../migrations/sqlite/001_initial.sql", import.meta.url),
    );
    assert.equal(rows[0].checksum, createHash("sha256").update(file).digest("hex"));
    for (
      const t of [
        "artifacts",
        "events",
        "projection_checkpoints",
        "projection_docs",
        "schema_migrations",
      ]
    ) {
      assert.ok(tables.includes(t), `table ${t} exists`);
    }
  });
});

Deno.test("[sqlite] migrations: a database newer than this build is refused", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "runner.db");
    await openSqliteStore(path).close();
    const db = new DatabaseSync(path);
    db.prepare("INSERT INTO schema_migrations VALUES (7, 'future', 'x', '2030-01-01T00:00:00Z')")
      .run();
    db.close();
    assert.throws(() => openSqliteStore(path), (e: unknown) => {
      assert.ok(e instanceof MigrationError);
      assert.equal(
        e.message,
        `database schema version 7 is newer than this AI Runner supports (${LATEST}): ` +
          "upgrade AI Runner or point DATABASE_URL at another database",
      );
      return true;
    });
  });
});

Deno.test("[sqlite] migrations: an applied migration whose file changed is refused", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "runner.db");
    await openSqliteStore(path).close();
    const db = new DatabaseSync(path);
    db.prepare("UPDATE schema_migrations SET checksum = 'abc' WHERE version = 1").run();
    db.close();
    assert.throws(
      () => openSqliteStore(path),
      /migration 1 \(initial\) was changed after it was applied/,
    );
  });
});

Deno.test("[sqlite] migrations: upgrades in order; a failing one rolls back", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "runner.db");
    await openSqliteStore(path).close();
    const migrations = join(dir, "migrations");
    await Deno.mkdir(migrations);
    for (const m of loadMigrations()) {
      await Deno.writeTextFile(
        join(migrations, `${String(m.version).padStart(3, "0")}_${m.name}.sql`),
        m.sql,
      );
    }
    const dirUrl = new URL(`file://${migrations}/`);
    const next = LATEST + 1;
    const prefix = String(next).padStart(3, "0");
    const broken = join(migrations, `${prefix}_broken.sql`);
    await Deno.writeTextFile(broken, "CREATE TABLE half_done (a); THIS IS NOT SQL;");
    assert.throws(
      () => openSqliteStore(path, { migrationsDir: dirUrl }),
      /migration \d+ \(broken\) failed/,
    );
    const db = new DatabaseSync(path);
    const half = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'half_done'")
      .get() as { n: number };
    db.close();
    assert.equal(half.n, 0, "the failed migration left nothing behind");

    await Deno.remove(broken);
    await Deno.writeTextFile(
      join(migrations, `${prefix}_notes.sql`),
      "CREATE TABLE notes (id TEXT PRIMARY KEY);",
    );
    const upgraded = openSqliteStore(path, { migrationsDir: dirUrl });
    assert.deepEqual(upgraded.migrations, { applied: [next], current: next, latest: next });
    await upgraded.ping();
    await upgraded.close();
    // This build's own files are now behind the database.
    assert.throws(() => openSqliteStore(path), /is newer than this AI Runner supports/);
  });
});

Deno.test("[sqlite] PRAGMAs: WAL, synchronous FULL, busy timeout, foreign keys", async () => {
  await withDir(async (dir) => {
    const store = openSqliteStore(join(dir, "runner.db"));
    assert.deepEqual(store.pragmas(), {
      journalMode: "wal",
      synchronous: 2,
      busyTimeoutMs: 5000,
      foreignKeys: true,
    });
    await store.close();
    const tuned = openSqliteStore(join(dir, "runner.db"), { busyTimeoutMs: 1234 });
    assert.equal(tuned.pragmas().busyTimeoutMs, 1234);
    await tuned.close();
  });
});

Deno.test("[sqlite] ping fails once another process migrated the database further", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "runner.db");
    const store = openSqliteStore(path);
    await store.ping();
    const db = new DatabaseSync(path);
    db.prepare("INSERT INTO schema_migrations VALUES (99, 'future', 'x', '2030-01-01T00:00:00Z')")
      .run();
    db.close();
    await assert.rejects(store.ping(), /newer than this AI Runner supports/);
    await store.close();
  });
});

/** A clock that moves one millisecond per reading: distinct recordedAt = distinct transactions. */
function tickingClock(): () => Date {
  let t = Date.parse("2025-06-01T00:00:00.000Z");
  return () => new Date(t++);
}

async function transactionsFor(dir: string, name: string, options: SqliteStoreOptions) {
  const store = openSqliteStore(join(dir, `${name}.db`), { ...options, clock: tickingClock() });
  try {
    const results = await Promise.all(
      Array.from(
        { length: 100 },
        (_, i) => store.append(issueStream(`MWC-${i + 1}`), "no_stream", [coalesced(`d-${i}`)]),
      ),
    );
    assert.ok(results.every((r) => r.ok));
    const events = await store.readAll(0, 1000);
    assert.equal(events.length, 100);
    return new Set(events.map((e) => e.recordedAt)).size;
  } finally {
    await store.close();
  }
}

Deno.test("[sqlite] group commit writes concurrent appends in few transactions", async () => {
  await withDir(async (dir) => {
    assert.equal(await transactionsFor(dir, "grouped", {}), 1);
    assert.equal(await transactionsFor(dir, "capped", { maxBatch: 10 }), 10);
    assert.equal(await transactionsFor(dir, "baseline", { groupCommit: false }), 100);
  });
});

Deno.test("[sqlite] a failed batch fails every caller in it and writes nothing", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "runner.db");
    const store = openSqliteStore(path, { busyTimeoutMs: 0 });
    const append = (n: number) =>
      store.append(issueStream(`MWC-${n}`), "no_stream", [coalesced(`d-${n}`)]);

    // Another process holds the write lock past the busy timeout.
    const other = new DatabaseSync(path);
    other.exec("BEGIN IMMEDIATE");
    const busy = await Promise.allSettled([1, 2, 3].map(append));
    other.exec("ROLLBACK");
    assert.deepEqual(busy.map((o) => o.status), ["rejected", "rejected", "rejected"]);
    assert.match(String((busy[0] as PromiseRejectedResult).reason), /locked|busy/i);

    // The third insert of a batch fails: the first two are rolled back too.
    other.exec(`CREATE TRIGGER boom BEFORE INSERT ON events WHEN NEW.stream = 'issue-MWC-3'
      BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`);
    const failed = await Promise.allSettled([1, 2, 3, 4].map(append));
    assert.ok(
      failed.every((o) => o.status === "rejected" && /disk on fire/.test(String(o.reason))),
    );
    assert.equal(await store.headPosition(), 0);

    other.exec("DROP TRIGGER boom");
    other.close();
    const retried = await Promise.all([1, 2, 3, 4].map(append));
    assert.ok(retried.every((r) => r.ok));
    assert.equal(await store.headPosition(), 4);
    assert.equal((await verifyLog(store)).broken, null);
    await store.close();
  });
});

Deno.test("[sqlite] two stores on one file: one chain, and polling finds the other's appends", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "runner.db");
    const a = openSqliteStore(path);
    const b = openSqliteStore(path);
    const abort = new AbortController();
    const seen: number[] = [];
    const watching = (async () => {
      for await (
        const batch of a.subscribe({ fromPosition: 0, pollIntervalMs: 10, signal: abort.signal })
      ) {
        seen.push(...batch.map((e) => e.position));
        if (seen.length === 60) break;
      }
    })();
    await Promise.all(
      [a, b].flatMap((store, s) =>
        Array.from(
          { length: 30 },
          (_, i) => store.append(issueStream(`MWC-${i + 1}`), "any", [coalesced(`d-${s}-${i}`)]),
        )
      ),
    );
    await watching;
    abort.abort();
    assert.deepEqual(seen, Array.from({ length: 60 }, (_, i) => i + 1));
    assert.deepEqual(await verifyLog(a), {
      checked: 60,
      head: 60,
      broken: null,
      schemaErrors: null,
    });
    await a.close();
    await b.close();
  });
});

Deno.test("[sqlite] DATABASE_URL: sqlitePathFromUrl", () => {
  assert.equal(sqlitePathFromUrl("sqlite:data/runner.db"), "data/runner.db");
  assert.equal(sqlitePathFromUrl("sqlite:///abs/path.db"), "/abs/path.db");
  assert.equal(sqlitePathFromUrl("sqlite:///abs/with%20space.db"), "/abs/with space.db");
  assert.equal(sqlitePathFromUrl("sqlite:/abs/path.db"), "/abs/path.db");
  assert.equal(sqlitePathFromUrl("sqlite::memory:"), ":memory:");
  for (const bad of ["postgres://u@h/db", "sqlite:", "sqlite://host/db", "data/runner.db"]) {
    assert.throws(() => sqlitePathFromUrl(bad), TypeError, bad);
  }
});

Deno.test("[sqlite] a store in memory works", async () => {
  const store = openSqliteStore(":memory:");
  assert.ok((await store.append("issue-MWC-1", "no_stream", [coalesced("d")])).ok);
  assert.equal(await store.headPosition(), 1);
  await store.close();
  await assert.rejects(store.headPosition(), /closed/);
});

// ---- crash safety ---------------------------------------------------------------------

/** Reads a child's stdout line by line until `enough` returns true; returns all lines. */
async function readLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<string> {
  let buffer = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let newline;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      onLine(buffer.slice(0, newline));
      buffer = buffer.slice(newline + 1);
    }
  }
  return buffer; // an unfinished last line: not acknowledged
}

Deno.test("[sqlite] SIGKILL mid-stream: no half batch, no lost acknowledged append", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "runner.db");
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("./sqlite_crash_child.ts", import.meta.url).pathname, path],
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const acknowledged: { stream: string; positions: number[] }[] = [];
    let killed = false;
    const stderr = new Response(child.stderr).text();
    await readLines(child.stdout, (line) => {
      acknowledged.push(JSON.parse(line));
      if (acknowledged.length >= 300 && !killed) {
        killed = true;
        child.kill("SIGKILL");
      }
    });
    const status = await child.status;
    const errors = await stderr;
    assert.ok(killed, `the child stopped before it was killed: ${errors}`);
    assert.equal(status.signal, "SIGKILL");

    const store = openSqliteStore(path);
    try {
      const events = [];
      for (let after = 0;;) {
        const page = await store.readAll(after, 1000);
        if (page.length === 0) break;
        events.push(...page);
        after = page[page.length - 1].position;
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
      for (const ack of acknowledged) {
        for (const p of ack.positions) {
          assert.equal(stored.get(p), ack.stream, `acknowledged position ${p}`);
        }
      }
      assert.ok(events.length >= acknowledged.length * 3);
      const audit = await verifyLog(store);
      assert.equal(audit.broken, null);
      assert.equal(audit.schemaErrors, null);
      assert.equal(audit.checked, events.length);
    } finally {
      await store.close();
    }
  });
});
