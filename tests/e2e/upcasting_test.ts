import assert from "node:assert/strict";
import { z } from "zod";
import { openSqliteStore } from "../../adapters/eventstore/sqlite/mod.ts";
import {
  defaultRegistry,
  type EventRegistry,
  EventSchemaError,
  upcastAndValidate,
} from "../../domain/events.ts";
import { verifyLog } from "../../domain/verify_log.ts";

/** A later build where RunRequested gained a required `priority`, lifted from version 1. */
const v2: EventRegistry = {
  schemas: {
    ...defaultRegistry.schemas,
    RunRequested: (defaultRegistry.schemas.RunRequested as z.ZodObject).extend({
      priority: z.enum(["normal", "high"]),
    }),
  },
  currentVersion: { ...defaultRegistry.currentVersion, RunRequested: 2 },
  upcasters: {
    ...defaultRegistry.upcasters,
    RunRequested: { 1: (data) => ({ ...(data as object), priority: "normal" }) },
  },
};

const requested = {
  type: "RunRequested" as const,
  data: {
    runId: "r1",
    issueKey: "MWC-1",
    deliveryId: "d1",
    source: "jira" as const,
    requestedBy: null,
    requestedAt: "2026-11-23T10:00:00.000Z",
  },
  metadata: { actor: "jira:automation" },
};

Deno.test("upcasting: old events are lifted on read; what is stored (and hashed) never changes", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/runner.db`;
  const old = openSqliteStore(path);
  await old.append("issue-MWC-1", "no_stream", [requested]);
  await old.close();

  const store = openSqliteStore(path, { registry: v2 });
  try {
    const [e] = await store.readStream("issue-MWC-1");
    assert.equal(e.schemaVersion, 2);
    assert.equal((e.data as { priority?: string }).priority, "normal");
    const [raw] = await store.readAllRaw(0, 10);
    assert.equal(raw.schemaVersion, 1, "stored as written");
    assert.equal((raw.data as { priority?: string }).priority, undefined);
    const audit = await verifyLog(store);
    assert.equal(audit.broken, null, "the chain is over what was stored");
    // New events are written at the new version.
    await store.append("issue-MWC-2", "no_stream", [
      {
        ...requested,
        data: { ...requested.data, runId: "r2", issueKey: "MWC-2", priority: "high" },
      } as unknown as typeof requested,
    ]);
    const [fresh] = await store.readAllRaw(1, 10);
    assert.equal(fresh.schemaVersion, 2);
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("upcasting: a version newer than the build, or a missing upcaster, is a clear error", () => {
  assert.throws(
    () => upcastAndValidate("RunRequested", 3, requested.data),
    (e) => e instanceof EventSchemaError && /newer than this build's 1/.test(e.message),
  );
  const gap: EventRegistry = { ...v2, currentVersion: { ...v2.currentVersion, RunRequested: 3 } };
  assert.throws(
    () => upcastAndValidate("RunRequested", 1, requested.data, gap),
    (e) => e instanceof EventSchemaError && /no upcaster from schema version 2/.test(e.message),
  );
  assert.throws(
    () => upcastAndValidate("NoSuchEvent", 1, {}),
    (e) => e instanceof EventSchemaError && /unknown event type/.test(e.message),
  );
});
