/**
 * `audit --verify` on a history recorded by the real worker, then tampered
 * with behind the store's back on a second SQLite connection (the append-only
 * triggers dropped and restored around the edit): an edited, a deleted, a
 * reordered and a re-hashed-but-not-chained row, a row that no longer matches
 * its schema, and a read-model document edited behind the projector's back.
 *
 * @module
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { verifyCommand } from "../../adapters/cli/audit.ts";
import { openSqliteStore, sqlitePathFromUrl } from "../../adapters/eventstore/sqlite/mod.ts";
import { FAKE_REVIEWER } from "../../adapters/standins/jira_server.ts";
import { PILOT_REPO } from "../../adapters/standins/world.ts";
import { startLoop } from "../support/loop.ts";
import { rewriteWithValidHash } from "../support/sqlite_tamper.ts";

const TICKET = {
  key: "MWC-1",
  summary: "Fix the typos in the docs",
  description: 'The install guide misspells a word: replace "recieve" with "receive".',
};

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

interface Row {
  position: number;
  type: string;
  data: string;
}

function row(path: string, type: string, nth = 0): Row {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const rows = db.prepare(
      "SELECT position, type, data FROM events WHERE type = ? ORDER BY position",
    ).all(type) as unknown as Row[];
    assert.ok(rows[nth], `no ${type} #${nth} in the log`);
    return rows[nth];
  } finally {
    db.close();
  }
}

async function verify(path: string): Promise<{ ok: boolean; out: string[] }> {
  const store = openSqliteStore(path);
  try {
    const out: string[] = [];
    const ok = await verifyCommand(store, (line) => out.push(line));
    return { ok, out };
  } finally {
    await store.close();
  }
}

function line(out: string[], prefix: RegExp): string {
  const found = out.find((l) => prefix.test(l));
  assert.ok(found, `no line matching ${prefix} in:\n${out.join("\n")}`);
  return found;
}

Deno.test("audit --verify: an intact log passes; each kind of tampering is caught and named", async (t) => {
  const template = await Deno.makeTempDir({ prefix: "ai-runner-verify-" });
  const templateDb = join(template, "runner.db");
  {
    // A real history: two iterations, a review and the merge.
    await using loop = await startLoop({ issues: [TICKET] });
    await loop.assign("MWC-1");
    assert.deepEqual(await loop.drain(), ["succeeded"]);
    loop.world.jira.state.addComment("MWC-1", {
      author: FAKE_REVIEWER.accountId,
      body: 'Please also replace "dashbord" with "dashboard".',
    });
    await loop.assign("MWC-1");
    assert.deepEqual(await loop.drain(), ["succeeded"]);
    const review = loop.world.github.addReview(PILOT_REPO, 1, { user: "leigh", state: "APPROVED" });
    assert.equal((await loop.deliver(review)).status, 200);
    const merge = loop.world.github.mergePullRequest(PILOT_REPO, 1, { mergedBy: "leigh" });
    assert.equal((await loop.deliver(merge)).status, 200);
    await loop.projector.catchUp();
    await loop.store.close();
    await Deno.copyFile(sqlitePathFromUrl(loop.config.databaseUrl), templateDb);
  }
  let n = 0;
  const copy = async (): Promise<string> => {
    const path = join(template, `case-${++n}.db`);
    await Deno.copyFile(templateDb, path);
    return path;
  };

  try {
    await t.step("intact: every check passes and says what it covered", async () => {
      const { ok, out } = await verify(await copy());
      assert.equal(ok, true, out.join("\n"));
      const head = Number(/log head at position (\d+)$/.exec(out[0])?.[1]);
      assert.ok(head >= 25, out[0]);
      assert.match(line(out, /hash chain/), new RegExp(`^ok {3}hash chain: all ${head} events`));
      assert.match(line(out, /schemas/), new RegExp(`^ok {3}schemas: ${head} events`));
      for (const name of ["runs", "issues", "queue", "accountability"]) {
        assert.match(
          line(out, new RegExp(`read model ${name}:`)),
          new RegExp(
            `^ok {3}read model ${name}: \\d+ document\\(s\\) equal a replay of positions 1–${head}`,
          ),
        );
      }
      assert.equal(out.at(-1), "verified: the log is intact and every read model equals a replay");
    });

    await t.step("an edited row breaks the chain at that row", async () => {
      const path = await copy();
      const target = row(path, "ChangesGenerated");
      const data = JSON.parse(target.data);
      data.usage.inputTokens = 1;
      tamperWith(path, (db) => {
        db.prepare("UPDATE events SET data = ? WHERE position = ?")
          .run(JSON.stringify(data), target.position);
      });
      const { ok, out } = await verify(path);
      assert.equal(ok, false);
      assert.match(
        line(out, /hash chain/),
        new RegExp(`^FAIL hash chain: broken at position ${target.position}: hash does not match`),
      );
      assert.match(
        out.at(-1)!,
        new RegExp(`^FAILED: hash chain broken at position ${target.position}`),
      );
    });

    await t.step("a deleted row is named by the gap it leaves", async () => {
      const path = await copy();
      const target = row(path, "ValidationCompleted");
      tamperWith(path, (db) => {
        db.prepare("DELETE FROM events WHERE position = ?").run(target.position);
      });
      const { ok, out } = await verify(path);
      assert.equal(ok, false);
      const chain = line(out, /hash chain/);
      assert.match(
        chain,
        new RegExp(`^FAIL hash chain: broken at position ${target.position + 1}`),
      );
      assert.match(
        chain,
        new RegExp(`expected position ${target.position}, found ${target.position + 1}`),
      );
    });

    await t.step("reordered rows break the chain at the first moved row", async () => {
      const path = await copy();
      const a = row(path, "ChangesCommitted").position;
      const b = row(path, "JiraCommented").position;
      tamperWith(path, (db) => {
        const move = db.prepare("UPDATE events SET position = ? WHERE position = ?");
        move.run(-1, a);
        move.run(a, b);
        move.run(b, -1);
      });
      const { ok, out } = await verify(path);
      assert.equal(ok, false);
      assert.match(
        line(out, /hash chain/),
        new RegExp(`^FAIL hash chain: broken at position ${a}:`),
      );
    });

    await t.step("a row re-hashed to look valid on its own breaks the next link", async () => {
      const path = await copy();
      const target = row(path, "RunRequested");
      const data = { ...JSON.parse(target.data), requestedBy: { displayName: "Someone Else" } };
      tamperWith(path, (db) => rewriteWithValidHash(db, target.position, data));
      const { ok, out } = await verify(path);
      assert.equal(ok, false);
      assert.match(
        line(out, /hash chain/),
        new RegExp(
          `^FAIL hash chain: broken at position ${target.position + 1}: hash does not match`,
        ),
      );
      assert.match(line(out, /hash chain/), new RegExp(`positions 1–${target.position} link`));
    });

    await t.step(
      "a last row re-hashed into a shape its schema refuses fails the schema check",
      async () => {
        const path = await copy();
        const db = new DatabaseSync(path, { readOnly: true });
        const last = db.prepare("SELECT max(position) AS p FROM events").get() as { p: number };
        db.close();
        tamperWith(path, (db) => rewriteWithValidHash(db, last.p, { runId: "" }));
        const { ok, out } = await verify(path);
        assert.equal(ok, false);
        assert.match(line(out, /hash chain/), /^ok/);
        assert.match(
          line(out, /schemas/),
          new RegExp(
            `^FAIL schemas: 1 event\\(s\\) do not match their schema; first at position ${last.p}`,
          ),
        );
        // The damaged log is not replayed into the read models, and verify still ends with a verdict.
        assert.match(out.at(-1)!, new RegExp(`^FAILED: schema error at position ${last.p}`));
      },
    );

    await t.step("a read-model document edited behind the projector's back", async () => {
      const path = await copy();
      const db = new DatabaseSync(path);
      const doc = db.prepare(
        "SELECT id FROM projection_docs WHERE projection = 'runs' AND json_extract(doc, '$.status') = 'succeeded' LIMIT 1",
      ).get() as { id: string };
      db.prepare(
        "UPDATE projection_docs SET doc = json_set(doc, '$.status', 'failed') WHERE projection = 'runs' AND id = ?",
      ).run(doc.id);
      db.close();
      const { ok, out } = await verify(path);
      assert.equal(ok, false);
      assert.match(line(out, /hash chain/), /^ok/);
      assert.match(
        line(out, /read model runs:/),
        new RegExp(
          `^FAIL read model runs: 1 document\\(s\\) differ .*first: document ${doc.id} differs in status$`,
        ),
      );
      assert.match(line(out, /read model issues:/), /^ok/);
      assert.match(out.at(-1)!, new RegExp(`^FAILED: read model runs: ${doc.id}`));
    });
  } finally {
    await Deno.remove(template, { recursive: true });
  }
});
