/**
 * Child process of the SQLite crash test: appends batches of exactly three
 * events to one database, from several concurrent writers, until it is killed.
 * After each acknowledged append it prints one JSON line
 * `{"stream": …, "positions": [p, p+1, p+2]}` on stdout.
 *
 * Usage: `deno run -A tests/contract/sqlite_crash_child.ts <database path>`
 *
 * @module
 */
import { openSqliteStore } from "../../adapters/eventstore/sqlite/mod.ts";
import { issueStream } from "../../domain/events.ts";
import type { NewEvent } from "../../domain/ports/event_store.ts";

const path = Deno.args[0];
if (!path) throw new Error("usage: sqlite_crash_child.ts <database path>");
const store = openSqliteStore(path);
const writers = 8;
const encoder = new TextEncoder();

function batch(n: number, k: number): NewEvent[] {
  return [0, 1, 2].map((i) => ({
    type: "RunRequestCoalesced",
    data: {
      runId: `run-${n}`,
      deliveryId: `crash-${n}-${k}-${i}`,
      requestedBy: null,
      requestedAt: new Date().toISOString(),
    },
    metadata: { actor: "cli:crash-test", deliveryId: `crash-${n}-${k}-${i}` },
  }));
}

await Promise.all(Array.from({ length: writers }, async (_, w) => {
  const stream = issueStream(`MWC-${w + 1}`);
  let version = 0;
  for (let k = 0;; k++) {
    const result = await store.append(stream, version, batch(w + 1, k));
    if (!result.ok) throw new Error(`unexpected conflict: ${JSON.stringify(result.conflict)}`);
    version = result.nextVersion;
    const line = JSON.stringify({ stream, positions: result.events.map((e) => e.position) });
    // Synchronous write: once the line is out, the parent may count the append as acknowledged.
    const bytes = encoder.encode(line + "\n");
    for (let off = 0; off < bytes.length;) off += Deno.stdout.writeSync(bytes.subarray(off));
  }
}));
