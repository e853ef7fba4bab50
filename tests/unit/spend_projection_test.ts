/**
 * The `spend` read model on a real SQLite store: what each repository's runs
 * spent per UTC day, the input of the daily cap decision.
 */
import assert from "node:assert/strict";
import { openStore } from "../../adapters/eventstore/open.ts";
import type { NewEvent } from "../../domain/ports/event_store.ts";
import { dailyBudgetDecision, utcDay } from "../../domain/pricing.ts";
import { Projector } from "../../projections/projector.ts";
import { repoSpendOnDay, spendProjection } from "../../projections/spend.ts";

const meta = { metadata: { actor: "worker:w1" } };

function prepared(runId: string, repoId: string): NewEvent {
  return {
    type: "WorkspacePrepared",
    data: {
      runId,
      repoId,
      github: `acme/${repoId}`,
      branch: "ai/DOCS-1",
      baseBranch: "main",
      startSha: "a".repeat(40),
      continued: false,
    },
    ...meta,
  } as NewEvent;
}

function generated(runId: string, model: string, costUsd?: number): NewEvent {
  return {
    type: "ChangesGenerated",
    data: {
      runId,
      summary: "s",
      filesChanged: [],
      turns: 3,
      usage: { inputTokens: 1_000_000, outputTokens: 0, cacheReadTokens: 500_000 },
      provider: "anthropic",
      model,
      ...(costUsd !== undefined ? { costUsd } : {}),
    },
    ...meta,
  } as NewEvent;
}

Deno.test("spend: cost per repository and UTC day, recorded cost first, estimate otherwise", async () => {
  const dir = await Deno.makeTempDir({ prefix: "spend-" });
  const store = await openStore(`sqlite:${dir}/runner.db`);
  try {
    await store.append("issue-DOCS-1", "any", [prepared("r1", "docs"), generated("r1", "x", 1.5)]);
    // Estimated: 500k uncached × $2 + 500k cache reads × $0.20 on Sonnet 5.5 = $1.10.
    await store.append("issue-DOCS-2", "any", [
      prepared("r2", "docs"),
      generated("r2", "claude-sonnet-5-5"),
    ]);
    await store.append("issue-API-1", "any", [prepared("r3", "api"), generated("r3", "x", 9)]);
    await new Projector(store, store, [spendProjection]).catchUp();

    const [event] = await store.readStream("issue-DOCS-1", 2);
    const day = utcDay(event.recordedAt);
    const docs = await repoSpendOnDay(store, "docs", day);
    assert.ok(Math.abs(docs - 2.6) < 1e-9, String(docs));
    assert.equal(await repoSpendOnDay(store, "api", day), 9);
    assert.equal(await repoSpendOnDay(store, "docs", "2000-01-01"), 0);

    // The worker's question: may a new docs run start under a $2.50 cap?
    const decision = dailyBudgetDecision({
      repoId: "docs",
      spentTodayUsd: docs,
      capUsd: 2.5,
      now: Date.parse(event.recordedAt),
    });
    assert.equal(decision.run, false);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});
