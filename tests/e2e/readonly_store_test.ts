/**
 * Read-only opening of the store on both engines: a missing SQLite file is
 * refused without creating it (or its folder); an empty PostgreSQL database
 * is refused without a single DDL statement (no table appears); an existing
 * store is read, and its sessions refuse writes.
 *
 * @module
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import postgres from "postgres";
import { openStore, StoreMissingError } from "../../adapters/eventstore/open.ts";
import { startPostgres, warnSkipped } from "../support/postgres_cluster.ts";

const server = await startPostgres();
if (!server) warnSkipped("read-only store on PostgreSQL");

const requested = {
  type: "RunRequested",
  data: {
    runId: "r1",
    issueKey: "OPS-1",
    deliveryId: "d1",
    source: "jira",
    requestedBy: null,
    requestedAt: "2026-11-23T10:00:00.000Z",
  },
  metadata: { actor: "test" },
};

Deno.test("read-only SQLite: a missing file is refused and nothing is created", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ro-sqlite-" });
  try {
    const url = `sqlite:${join(dir, "typo", "runner.db")}`;
    await assert.rejects(openStore(url, "read-only"), StoreMissingError);
    await assert.rejects(openStore(url, "existing"), /no database at .*typo\/runner\.db/);
    assert.equal(existsSync(join(dir, "typo")), false);
    // A file that is not an AI Runner database is refused too, and left as it was.
    const other = join(dir, "other.db");
    await Deno.writeFile(other, new Uint8Array());
    await assert.rejects(openStore(`sqlite:${other}`, "read-only"), StoreMissingError);
    assert.equal((await Deno.stat(other)).size, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "read-only PostgreSQL: an empty database is refused with no DDL; an existing one is read",
  ignore: !server,
  async fn() {
    const url = await server!.createDatabase();
    const tables = async () => {
      const sql = postgres(url, { max: 1, onnotice: () => {} });
      try {
        return (await sql`SELECT tablename FROM pg_tables WHERE schemaname = 'public'`)
          .map((r) => r.tablename as string);
      } finally {
        await sql.end({ timeout: 5 });
      }
    };
    await assert.rejects(openStore(url, "read-only"), /holds no AI Runner schema/);
    assert.deepEqual(await tables(), [], "a read-only open created tables");
    // Create and fill it the normal way, then read it read-only.
    const writer = await openStore(url);
    await writer.append("issue-OPS-1", "no_stream", [requested as never]);
    await writer.close();
    const reader = await openStore(url, "read-only");
    try {
      assert.equal((await reader.readStream("issue-OPS-1")).length, 1);
      await assert.rejects(
        reader.append("issue-OPS-1", 1, [
          { ...requested, data: { ...requested.data, runId: "r2", deliveryId: "d2" } } as never,
        ]),
        /read-only transaction/,
      );
    } finally {
      await reader.close();
    }
    await server!.dropDatabase(url);
  },
});

Deno.test({
  name: "read-only PostgreSQL: the test server goes away",
  ignore: !server,
  async fn() {
    await server!.stop();
  },
});
