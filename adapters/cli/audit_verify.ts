/**
 * The read-model part of `audit --verify`: every projection's stored documents
 * against a fresh replay of the log, reported one line per projection with the
 * first differing document and the fields that differ.
 *
 * @module
 */
import { canonicalJson } from "../../domain/hash_chain.ts";
import type { EventStore } from "../../domain/ports/event_store.ts";
import type { ReadModelStore } from "../../domain/ports/read_models.ts";
import type { AnyProjection } from "../../projections/projection.ts";
import { checkReadModels, type ReadModelMismatch } from "../../projections/replay_check.ts";

/** What the read-model check printed and what failed. */
export interface ReadModelReport {
  lines: string[];
  failures: string[];
}

/** Top-level fields whose values differ between two documents. */
export function differingFields(stored: unknown, replayed: unknown): string[] {
  if (
    typeof stored !== "object" || stored === null || typeof replayed !== "object" ||
    replayed === null
  ) {
    return [];
  }
  const a = stored as Record<string, unknown>;
  const b = replayed as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.filter((k) => canonicalJson(a[k]) !== canonicalJson(b[k]));
}

function describeMismatch(m: ReadModelMismatch): string {
  if (m.id === "(document count)") {
    return `the store holds ${m.stored} documents, a replay gives ${m.replayed}`;
  }
  if (m.stored === null) return `document ${m.id} is missing`;
  const fields = differingFields(m.stored, m.replayed);
  return `document ${m.id} differs` + (fields.length ? ` in ${fields.join(", ")}` : "");
}

/** Compares every projection with a replay; never throws for a damaged log. */
export async function checkReadModelsReport(
  store: EventStore & ReadModelStore,
  projections: readonly AnyProjection[],
  head: number,
): Promise<ReadModelReport> {
  const lines: string[] = [];
  const failures: string[] = [];
  let checks;
  try {
    checks = await checkReadModels(store, store, projections);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    lines.push(`FAIL read models: the log could not be replayed: ${message}`);
    failures.push("read models could not be replayed");
    return { lines, failures };
  }
  for (const check of checks) {
    const behind = head > check.checkpoint
      ? ` (${head - check.checkpoint} events behind the head)`
      : "";
    if (check.mismatches.length === 0) {
      lines.push(
        `ok   read model ${check.projection}: ${check.documents} document(s) equal a replay of ` +
          `positions 1–${check.checkpoint}${behind}`,
      );
      continue;
    }
    const first = check.mismatches[0];
    failures.push(`read model ${check.projection}: ${first.id}`);
    lines.push(
      `FAIL read model ${check.projection}: ${check.mismatches.length} document(s) differ from a ` +
        `replay of positions 1–${check.checkpoint}; first: ${describeMismatch(first)}`,
    );
  }
  return { lines, failures };
}
