import postgres from "postgres";
import { startPostgres } from "../support/postgres_cluster.ts";
const t0 = performance.now();
const s = await startPostgres();
console.log("started", s?.url, performance.now() - t0);
const sql = postgres(s!.url, { onnotice: () => {} });
console.log(await sql`select version()`);
await sql`create table d (j json, b jsonb, t text)`;
for (const v of ['{"a":"x\\u0000y","s":"ok"}', '{"a":"\\ud800","s":"ok"}', '{"n":1.0,"m":1e21,"k":-0,"s":"ok"}']) {
  try { await sql`insert into d (j) values (${v}::text::json)`; console.log("json ok", v, await sql`select j->>'s' as s, j->'a' as a, j->'n' as n, j::text from d order by ctid desc limit 1`); } catch (e) { console.log("json err", v, (e as Error).message); }
  try { await sql`insert into d (b) values (${v}::text::jsonb)`; console.log("jsonb ok", v, (await sql`select b::text from d order by ctid desc limit 1`)); } catch (e) { console.log("jsonb err", v, (e as Error).message); }
}
await sql.end();
const t1 = performance.now();
await s!.restart(async () => {
  const sql2 = postgres(s!.url, { onnotice: () => {}, connect_timeout: 5 });
  const t = performance.now();
  try { await sql2`select 1`; } catch (e) { console.log("down err", (e as Error).message, performance.now() - t); }
  await sql2.end({timeout: 1});
});
console.log("restart", performance.now() - t1);
await s!.stop();
console.log("stopped");
