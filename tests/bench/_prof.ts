import { DatabaseSync } from "node:sqlite";
import { upcastAndValidate, validateMetadata } from "../../domain/events.ts";
const path = Deno.args[0];
const db = new DatabaseSync(path);
const sql = "SELECT position, stream, version, type, schema_version, data, metadata, recorded_at, hash FROM events WHERE position > ? ORDER BY position LIMIT ?";
const a = db.prepare(sql); (a as any).setReturnArrays(true);
const o = db.prepare(sql);
function run(name: string, fn: (after: number) => number) {
  const t0 = performance.now(); let after = 0, n = 0;
  for (;;) { const k = fn(after); if (!k) break; n += k; after += k; }
  console.log(name, Math.round(n / ((performance.now() - t0) / 1000)));
}
for (let i = 0; i < 2; i++) {
run("arrays", (after) => a.all(after, 1000).length);
run("objects", (after) => o.all(after, 1000).length);
run("arrays+parse", (after) => { const rows = a.all(after, 1000) as any[]; for (const r of rows) { JSON.parse(r[5]); JSON.parse(r[6]); } return rows.length; });
run("arrays+parse+upcast", (after) => { const rows = a.all(after, 1000) as any[]; for (const r of rows) { upcastAndValidate(r[3], r[4], JSON.parse(r[5])); JSON.parse(r[6]); } return rows.length; });
run("arrays+parse+upcast+meta", (after) => { const rows = a.all(after, 1000) as any[]; for (const r of rows) { upcastAndValidate(r[3], r[4], JSON.parse(r[5])); validateMetadata(r[3], JSON.parse(r[6])); } return rows.length; });
}
import { Connection } from "../../adapters/eventstore/sqlite/connection.ts";
import * as log from "../../adapters/eventstore/sqlite/read.ts";
import { defaultRegistry } from "../../domain/events.ts";
const conn = new Connection(path);
for (let i = 0; i < 3; i++) {
run("log.readAll", (after) => log.readAll(conn, defaultRegistry, after, 1000).length);
run("log.readAllRaw", (after) => log.readAllRaw(conn, after, 1000).length);
}
