import { openSqliteStore } from "../../adapters/eventstore/sqlite/mod.ts";
const dir = await Deno.makeTempDir();
const store = openSqliteStore(dir + "/x/r.db");
console.log(store.migrations, store.pragmas());
const ev = (i: number) => ({ type: "RunRequested" as const, data: { runId: "run-" + i, issueKey: "MWC-" + (i + 1), deliveryId: "d-" + i, source: "jira" as const, requestedBy: { accountId: "abc", displayName: "Leigh" }, requestedAt: new Date().toISOString() }, metadata: { actor: "jira:abc", correlationId: "run-" + i, deliveryId: "d-" + i } });
const r = await store.append("issue-MWC-1", "no_stream", [ev(0)]);
console.log(r);
console.log(await store.append("issue-MWC-1", "no_stream", [ev(1)]));
let t0 = performance.now();
const N = 200_000;
for (let b = 0; b < N / 1000; b++) {
  await Promise.all(Array.from({ length: 100 }, (_, j) => store.append(`issue-MWC-${j + 2}`, "any", Array.from({ length: 10 }, (_, k) => ev(b * 1000 + j * 10 + k)))));
}
console.log("fill s", (performance.now() - t0) / 1000);
for (let rep = 0; rep < 3; rep++) {
  t0 = performance.now();
  let after = 0, n = 0;
  for (;;) { const b = await store.readAll(after, 1000); if (!b.length) break; n += b.length; after = b[b.length - 1].position; }
  console.log("readAll/s", n / ((performance.now() - t0) / 1000));
  t0 = performance.now(); after = 0; n = 0;
  for (;;) { const b = await store.readAllRaw(after, 1000); if (!b.length) break; n += b.length; after = b[b.length - 1].position; }
  console.log("readAllRaw/s", n / ((performance.now() - t0) / 1000));
}
await store.close();
