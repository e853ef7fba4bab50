/**
 * `audit --export [--from N]`: every event as one JSON object per line, with
 * the stable top-level fields, exactly as stored: the export alone is enough
 * to re-check the hash chain. Run in-process and through the real CLI (stdout
 * holds only JSON lines; progress and the closing count go to stderr).
 *
 * @module
 */
import assert from "node:assert/strict";
import { exportCommand } from "../../adapters/cli/audit.ts";
import { eventHash, GENESIS_HASH } from "../../domain/hash_chain.ts";
import type { RawEvent } from "../../domain/ports/event_store.ts";
import { PILOT_REPO } from "../../adapters/standins/world.ts";
import { type Loop, startLoop } from "../support/loop.ts";

const TICKET = {
  key: "MWC-1",
  summary: "Fix the typos in the docs",
  description: 'The install guide misspells a word: replace "recieve" with "receive".',
};

const FIELDS = [
  "type",
  "stream",
  "version",
  "position",
  "schemaVersion",
  "data",
  "metadata",
  "recordedAt",
  "hash",
];

/** A sink collecting what is written to it. */
function collector(): { stream: WritableStream<Uint8Array>; text: () => string } {
  const chunks: Uint8Array[] = [];
  return {
    stream: new WritableStream({ write: (c) => void chunks.push(c) }),
    text: () => new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c]))),
  };
}

async function exported(loop: Loop, from: number): Promise<{ count: number; lines: RawEvent[] }> {
  const sink = collector();
  const count = await exportCommand(loop.store, from, sink.stream);
  const text = sink.text();
  assert.ok(text === "" || text.endsWith("\n"), "every line ends with a newline");
  const lines = text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as RawEvent);
  return { count, lines };
}

async function history(): Promise<Loop> {
  const loop = await startLoop({ issues: [TICKET, { ...TICKET, key: "MWC-2" }] });
  await loop.assign("MWC-1");
  await loop.assign("MWC-2");
  assert.deepEqual(await loop.drain(), ["succeeded", "succeeded"]);
  const merge = loop.world.github.mergePullRequest(PILOT_REPO, 1, { mergedBy: "leigh" });
  assert.equal((await loop.deliver(merge)).status, 200);
  return loop;
}

Deno.test("audit --export: every event, its stable fields at the top level, round-trips exactly", async () => {
  await using loop = await history();
  const head = await loop.store.headPosition();
  const stored = await loop.store.readAllRaw(0, 10_000);
  assert.equal(stored.length, head);

  const { count, lines } = await exported(loop, 0);
  assert.equal(count, head);
  assert.equal(lines.length, head);
  for (const line of lines) assert.deepEqual(Object.keys(line).sort(), [...FIELDS].sort());
  assert.deepEqual(lines, stored, "the export is the log exactly as stored");
  assert.deepEqual(new Set(lines.map((l) => l.stream)), new Set(["issue-MWC-1", "issue-MWC-2"]));
  assert.ok(lines.some((l) => l.type === "PrMerged"));
  // Metadata travels: who did it and which run it belongs to.
  const claimed = lines.find((l) => l.type === "RunClaimed")!;
  assert.match((claimed.metadata as { actor: string }).actor, /^worker:/);
  assert.equal(
    (claimed.metadata as { correlationId?: string }).correlationId,
    (claimed.data as { runId: string }).runId,
  );

  // An auditor can re-check the whole chain from the export alone.
  let previous = GENESIS_HASH;
  for (const line of lines) {
    assert.equal(eventHash(previous, line), line.hash, `link at position ${line.position}`);
    previous = line.hash;
  }
});

Deno.test("audit --export --from N: starts at position N", async () => {
  await using loop = await history();
  const head = await loop.store.headPosition();
  const all = (await exported(loop, 0)).lines;

  const from5 = await exported(loop, 5);
  assert.equal(from5.count, head - 4);
  assert.deepEqual(from5.lines.map((l) => l.position), all.slice(4).map((l) => l.position));
  assert.deepEqual(from5.lines, all.slice(4));

  assert.deepEqual((await exported(loop, 1)).lines, all, "--from 1 is everything");
  assert.deepEqual((await exported(loop, head)).lines, [all.at(-1)]);
  assert.deepEqual(await exported(loop, head + 1), { count: 0, lines: [] });
  await assert.rejects(
    exportCommand(loop.store, -1, collector().stream),
    /--from takes a position/,
  );
});

Deno.test("audit --export through the CLI: JSON lines on stdout, the count on stderr", async () => {
  await using loop = await history();
  const head = await loop.store.headPosition();
  const main = new URL("../../main.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main, "audit", "--export", "--from", "3"],
    env: { DATABASE_URL: loop.config.databaseUrl, DATA_DIR: loop.world.dataDir },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  const lines = stdout.trimEnd().split("\n").map((l) => JSON.parse(l) as RawEvent);
  assert.deepEqual(lines, await loop.store.readAllRaw(2, 10_000));
  assert.match(stderr, new RegExp(`export: ${head - 2} events \\(positions 3–${head}\\)`));
});
