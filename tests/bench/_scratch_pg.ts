import postgres from "postgres";
import { openPostgresStore } from "../../adapters/eventstore/postgres/mod.ts";
import { startPostgres } from "../support/postgres_cluster.ts";
const pg = (await startPostgres({ durable: true }))!;
const url = await pg.createDatabase();
(await openPostgresStore(url)).close();
const sql = postgres(url, { max: 2, onnotice: () => {} });
const INSERT_EVENTS = `
  INSERT INTO events (position, stream, version, type, schema_version, data, metadata, recorded_at, hash)
  SELECT p, s, v, t, sv, d, m, $8, h
  FROM unnest($1::int8[], $2::text[], $3::int4[], $4::text[], $5::int4[], $6::text[], $7::text[], $9::text[])
    AS u(p, s, v, t, sv, d, m, h)`;
const SELECT_STREAM_HEADS = `
  SELECT s.stream, h.version, h.position
  FROM unnest($1::text[]) AS s(stream)
  CROSS JOIN LATERAL (
    SELECT version, position FROM events e
    WHERE e.stream = s.stream ORDER BY version DESC LIMIT 1
  ) AS h`;
const ph = { a: 0, b: 0, c: 0 };
for (let r = 0; r < 3; r++) {
  const N = 300;
  let t0 = performance.now();
  for (let i = 1; i <= N; i++) {
    const p = r * N + i;
    const a = performance.now();
    const c = await sql.reserve();
    const b = performance.now();
    await Promise.all([
      c.unsafe("BEGIN"),
      c.unsafe("SELECT pg_advisory_xact_lock($1, $2)", [1, 1]),
      c.unsafe("SELECT position, hash FROM events ORDER BY position DESC LIMIT 1"),
      c.unsafe(SELECT_STREAM_HEADS, [["issue-1"]]),
    ]);
    const cc = performance.now();
    await Promise.all([
      c.unsafe(INSERT_EVENTS, [[p], ["issue-1"], [p], ["T"], [1], ["{}"], ["{}"], "now", ["h"]]),
      c.unsafe("SELECT pg_notify($1, $2)", ["ch", String(p)]),
      c.unsafe("COMMIT"),
    ]);
    const d = performance.now();
    c.release();
    ph.a += b - a;
    ph.b += cc - b;
    ph.c += d - cc;
  }
  console.log(
    "per tx ms",
    (performance.now() - t0) / N,
    "reserve",
    ph.a / N,
    "first",
    ph.b / N,
    "second",
    ph.c / N,
  );
  ph.a = ph.b = ph.c = 0;
}
await sql.end();
await pg.stop();
