/**
 * Benchmark of the PostgreSQL event store against the SQLite one, in the same
 * run: appends/s with 1, 8 and 64 concurrent writers (each its own stream, one
 * event per append, group commit on), on a durable server (`fsync` and
 * synchronous commit on, like SQLite's `synchronous=FULL`); the same 64
 * writers spread over 4 store instances (as 4 processes would be); `readAll`
 * throughput; and why positions are not a plain sequence: a tailing reader
 * over a `bigserial` table written without the lock, counting the ids it met
 * late (below one it had already seen).
 *
 * Skips (with a clear line) when no PostgreSQL is available. About 30–60 s.
 *
 * `deno run -A tests/bench/postgres_bench.ts`
 *
 * @module
 */
import { join } from "node:path";
import postgres from "postgres";
import { openPostgresStore, type PostgresStore } from "../../adapters/eventstore/postgres/mod.ts";
import { openSqliteStore } from "../../adapters/eventstore/sqlite/mod.ts";
import { issueStream } from "../../domain/events.ts";
import type { EventStore, NewEvent } from "../../domain/ports/event_store.ts";
import { startPostgres } from "../support/postgres_cluster.ts";

/** A `RunRequested` as the Jira webhook would append it. */
function runRequested(issue: number, n: number): NewEvent {
  const deliveryId = `jira-${issue}-${n}-8f14e45fceea167a5a36dedd4bea2543`;
  const runId = crypto.randomUUID();
  return {
    type: "RunRequested",
    data: {
      runId,
      issueKey: `MWC-${issue}`,
      deliveryId,
      source: "jira",
      requestedBy: {
        accountId: "712020:5b10ac8d-82e0-5b22-cc7d-4ef5a1b2c3d4",
        displayName: "Leigh Reviewer",
      },
      requestedAt: new Date().toISOString(),
    },
    metadata: { actor: "jira:712020:5b10ac8d", correlationId: runId, deliveryId },
  };
}

/**
 * `writers` concurrent loops spread round-robin over `stores`, each appending
 * one event at a time to its own stream, `perWriter` times. Returns appends/s.
 */
async function appendRate(
  stores: readonly EventStore[],
  writers: number,
  perWriter: number,
): Promise<number> {
  const started = performance.now();
  await Promise.all(Array.from({ length: writers }, async (_, w) => {
    const store = stores[w % stores.length];
    const stream = issueStream(`MWC-${w + 1}`);
    for (let n = 0; n < perWriter; n++) {
      const result = await store.append(stream, n, [runRequested(w + 1, n)]);
      if (!result.ok) throw new Error(`unexpected conflict on ${stream}`);
    }
  }));
  return (writers * perWriter) / ((performance.now() - started) / 1000);
}

async function scan(store: EventStore): Promise<{ count: number; rate: number }> {
  const started = performance.now();
  let after = 0;
  let count = 0;
  for (;;) {
    const page = await store.readAll(after, 1000);
    if (page.length === 0) break;
    count += page.length;
    after = page[page.length - 1].position;
  }
  return { count, rate: count / ((performance.now() - started) / 1000) };
}

/**
 * Writers insert into a `bigserial` table without any lock while a reader
 * tails it by `id > last`: returns how many ids the reader met below one it
 * had already seen (each one a consumer of a sequence-numbered log would
 * have skipped), and how many it checked.
 */
async function sequenceWithoutLock(url: string): Promise<{ late: number; rows: number }> {
  const sql = postgres(url, { max: 17, onnotice: () => {} });
  try {
    await sql`CREATE TABLE seq_demo (id bigserial PRIMARY KEY, payload text NOT NULL)`;
    const writers = 16;
    const perWriter = 150;
    let writing = true;
    const writes = Promise.all(Array.from({ length: writers }, async () => {
      for (let i = 0; i < perWriter; i++) {
        await sql.begin(async (tx) => {
          await tx`INSERT INTO seq_demo (payload) VALUES ('x')`;
          await tx`SELECT pg_sleep(0.0005)`; // some work between numbering and commit
        });
      }
    })).finally(() => writing = false);
    let last = 0;
    let late = 0;
    const seen = new Set<number>();
    while (writing) {
      const rows = await sql<{ id: string }[]>`SELECT id FROM seq_demo WHERE id > ${last - 200}`;
      for (const r of rows) {
        const id = Number(r.id);
        if (seen.has(id)) continue;
        seen.add(id);
        if (id < last) late++;
        last = Math.max(last, id);
      }
    }
    await writes;
    return { late, rows: seen.size };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

/** Runs the PostgreSQL-against-SQLite benchmark, reporting one line per figure. */
export async function benchPostgres(report: (line: string) => void): Promise<void> {
  report("event store: PostgreSQL against SQLite (group commit, durable commits)");
  const server = await startPostgres({ durable: true });
  if (!server) {
    report(
      "  SKIPPED: no PostgreSQL (set TEST_DATABASE_URL, or install initdb/pg_ctl)",
    );
    return;
  }
  const dir = await Deno.makeTempDir({ prefix: "ai-runner-bench-" });
  try {
    const [version] = await (async () => {
      const sql = postgres(server.url, { max: 1, onnotice: () => {} });
      try {
        return await sql<{ v: string }[]>`SELECT current_setting('server_version') AS v`;
      } finally {
        await sql.end({ timeout: 5 });
      }
    })();
    report(`  PostgreSQL ${version.v} (${server.kind}), SQLite WAL synchronous=FULL`);
    const configs = [[1, 600], [8, 150], [64, 40]] as const;
    for (const [writers, perWriter] of configs) {
      let pgRate = 0;
      let sqliteRate = 0;
      // Interleaved, best of two each: fsync latency on shared disks drifts a lot.
      for (let round = 0; round < 2; round++) {
        const pgStore = await openPostgresStore(await server.createDatabase());
        try {
          pgRate = Math.max(pgRate, await appendRate([pgStore], writers, perWriter));
        } finally {
          await pgStore.close();
        }
        const sqliteStore = openSqliteStore(join(dir, `w${writers}-${round}.db`));
        try {
          sqliteRate = Math.max(sqliteRate, await appendRate([sqliteStore], writers, perWriter));
        } finally {
          await sqliteStore.close();
        }
      }
      report(
        `  appends/s, ${String(writers).padStart(2)} writer(s): PostgreSQL ${fmt(pgRate)}, ` +
          `SQLite ${fmt(sqliteRate)}, PostgreSQL/SQLite ${(pgRate / sqliteRate).toFixed(2)}x`,
      );
    }

    const url = await server.createDatabase();
    const stores: PostgresStore[] = [];
    try {
      for (let i = 0; i < 4; i++) stores.push(await openPostgresStore(url));
      const spread = await appendRate(stores, 64, 40);
      report(`  appends/s, 64 writers over 4 store instances (one database): ${fmt(spread)}`);
      const read = await scan(stores[0]);
      report(`  readAll (upcast + validated), pages of 1000: ${fmt(read.rate)} events/s`);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }

    const ordering = await sequenceWithoutLock(await server.createDatabase());
    report(
      `  a bigserial log without the append lock: a tailing reader met ${ordering.late} of ` +
        `${ordering.rows} ids late (below one already seen); with the lock: 0 by construction`,
    );
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  await benchPostgres(console.log);
}
