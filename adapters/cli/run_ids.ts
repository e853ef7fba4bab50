/**
 * Run ids as people type them: the full id, or a unique prefix of it (the
 * demo and the dashboard print `418224fc…`).
 *
 * @module
 */
import type { Store } from "../eventstore/open.ts";

/** The full run id `text` names, or an error saying why it names none or several. */
export async function resolveRunId(
  store: Store,
  text: string,
): Promise<{ ok: true; runId: string } | { ok: false; reason: string }> {
  const prefix = text.replace(/…$/, "").trim();
  if (prefix.length < 4) {
    return { ok: false, reason: `"${text}" is too short: give at least 4 characters of a run id` };
  }
  const found = new Set<string>();
  // The read model first (indexed by id); it may lag, so the log is the fallback.
  const docs = await store.query("runs", {
    where: [{ field: "runId", gte: prefix }, { field: "runId", lte: `${prefix}\uffff` }],
    limit: 2,
  }).catch(() => []) as { runId?: string }[];
  for (const d of docs) if (d.runId?.startsWith(prefix)) found.add(d.runId);
  if (found.size === 0) {
    for (let position = 0;;) {
      const page = await store.readAll(position, 5_000);
      if (page.length === 0) break;
      for (const e of page) {
        if (e.type === "RunRequested" && e.data.runId.startsWith(prefix)) found.add(e.data.runId);
      }
      position = page[page.length - 1].position;
    }
  }
  if (found.size === 0) return { ok: false, reason: `no run id starts with "${prefix}"` };
  if (found.size > 1) {
    return {
      ok: false,
      reason: `"${prefix}" names several runs (${
        [...found].slice(0, 5).join(", ")
      }): give more of it`,
    };
  }
  return { ok: true, runId: [...found][0] };
}
