/**
 * The CLI as an operator meets it, through `main.ts` in a child process:
 * read-only commands never create a database and refuse a missing one with
 * exit 1; `--help` never runs a command; unknown flags are errors; `.env` is
 * read; `cancel` works with only the database and records who and where;
 * `retry` queues a run that names the failed one; `--version`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { openStore } from "../../adapters/eventstore/open.ts";
import { openSqliteStore } from "../../adapters/eventstore/sqlite/mod.ts";
import { COMMANDS } from "../../adapters/cli/commands.ts";
import { resolveRunId } from "../../adapters/cli/run_ids.ts";
import { VERSION } from "../../adapters/config/version.ts";
import type { DomainEvent } from "../../domain/events.ts";
import { pendingCancelComments } from "../../domain/workflow/cancel.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const KEY = "OPS-7";
const T0 = "2026-11-23T10:00:00.000Z";

/** Runs `main.ts` with `args` in `cwd`, with no Jira/GitHub/LLM settings at all. */
async function cli(cwd: string, args: string[], env: Record<string, string> = {}) {
  const base: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME", "USER"]) {
    const v = Deno.env.get(name);
    if (v !== undefined) base[name] = v;
  }
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    cwd,
    env: { ...base, NO_COLOR: "1", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}

const requested = (runId: string): DomainEvent => ({
  type: "RunRequested",
  data: {
    runId,
    issueKey: KEY,
    deliveryId: `d-${runId}`,
    source: "jira",
    requestedBy: null,
    requestedAt: T0,
  },
});

/** A store at `path` holding one issue whose run `runId` is queued (or failed). */
async function seed(path: string, runId: string, failed: boolean): Promise<void> {
  const store = openSqliteStore(path);
  const events: DomainEvent[] = [requested(runId)];
  if (failed) {
    events.push(
      {
        type: "RunClaimed",
        data: { runId, workerId: "w1", leaseId: "L1", leaseExpiresAt: T0, attempt: 1 },
      },
      {
        type: "RunFailed",
        data: { runId, step: "jira_comment", reason: "403", kind: "permanent" },
      },
    );
  }
  await store.append(
    `issue-${KEY}`,
    "no_stream",
    events.map((e) => ({ ...e, metadata: { actor: "test" } })),
  );
  await store.close();
}

Deno.test("cli: read-only commands refuse a missing store with exit 1 and create nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cli-ro-" });
  try {
    const typo = await cli(dir, ["audit", "--verify"], { DATABASE_URL: "sqlite:./typo/runner.db" });
    assert.equal(typo.code, 1, typo.stderr);
    assert.match(typo.stderr, /no database at \.\/typo\/runner\.db/);
    assert.doesNotMatch(typo.stdout, /verified/);
    assert.equal(existsSync(join(dir, "typo")), false, "the folder was created");
    for (
      const args of [["audit", KEY], ["audit", "--export"], ["audit", "--transcript", "abcd1234"], [
        "rebuild",
      ]]
    ) {
      const r = await cli(dir, args);
      assert.equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, /no database at data\/runner\.db/, args.join(" "));
    }
    assert.equal(existsSync(join(dir, "data")), false, "data/ was created");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: audit on an existing store reads it without writing a byte", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cli-ro-" });
  try {
    const db = join(dir, "runner.db");
    await seed(db, "4182240c-aaaa-4bbb-8ccc-000000000001", true);
    const before = await Deno.readFile(db);
    const r = await cli(dir, ["audit", KEY], { DATABASE_URL: `sqlite:${db}` });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(KEY));
    const v = await cli(dir, ["audit", "--verify"], { DATABASE_URL: `sqlite:${db}` });
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.deepEqual(await Deno.readFile(db), before, "a read-only command changed the database");
    // And the read-only store itself refuses writes.
    const ro = await openStore(`sqlite:${db}`, "read-only");
    try {
      await assert.rejects(
        ro.append(`issue-${KEY}`, "any", [{ ...requested("x"), metadata: { actor: "t" } }]),
        /readonly|read-only/i,
      );
    } finally {
      await ro.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: --help of every command prints its usage and runs nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cli-help-" });
  try {
    for (const spec of COMMANDS) {
      const r = await cli(dir, [spec.name, "--help"]);
      assert.equal(r.code, 0, `${spec.name} --help: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`usage: deno task ${spec.name}`), spec.name);
      assert.equal(r.stderr, "", `${spec.name} --help wrote to stderr (did it run?)`);
    }
    assert.equal(existsSync(join(dir, "data")), false, "a --help created data/");
    const top = await cli(dir, ["--version"]);
    assert.equal(top.code, 0);
    assert.equal(top.stdout.trim(), `ai-runner ${VERSION}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: an unknown flag is refused with exit 2, naming it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cli-flags-" });
  try {
    for (const spec of COMMANDS) {
      const r = await cli(dir, [spec.name, "--jsn"]);
      assert.equal(r.code, 2, `${spec.name} --jsn: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /unknown option --jsn/, spec.name);
    }
    const missing = await cli(dir, ["audit", "--transcript"]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--transcript needs a value/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: cancel needs only the database and records who cancelled, from where", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cli-cancel-" });
  try {
    const db = join(dir, "runner.db");
    const runId = "77aa0000-0000-4000-8000-000000000001";
    await seed(db, runId, false);
    // .env in the working directory names the database; no Jira settings anywhere.
    await Deno.writeTextFile(join(dir, ".env"), `# the store\nDATABASE_URL=sqlite:${db}\n`);
    const r = await cli(dir, ["cancel", KEY, "--reason", "duplicate ticket", "--by", "alice"]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const store = openSqliteStore(db);
    try {
      const events = await store.readStream(`issue-${KEY}`);
      const cancel = events.find((e) => e.type === "RunCancelled");
      assert.ok(cancel?.type === "RunCancelled");
      assert.equal(cancel.data.reason, "duplicate ticket");
      assert.match(cancel.metadata.actor, new RegExp(`^cli:alice@${Deno.hostname()}$`));
      assert.match(cancel.data.cancelledBy?.displayName ?? "", /^alice \(cli on /);
      // The Jira comment is owed: a worker posts it.
      assert.deepEqual(pendingCancelComments(events).map((p) => p.runId), [runId]);
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: a quoted value in .env is refused with the line, not taken with its quotes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cli-env-" });
  try {
    await Deno.writeTextFile(join(dir, ".env"), 'LOG_LEVEL=info\nDATABASE_URL="sqlite:x.db"\n');
    const r = await cli(dir, ["audit", "--verify"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\.env:2: DATABASE_URL's value is quoted/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: retry queues a new run naming the failed one; a short id prefix resolves", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cli-retry-" });
  try {
    const db = join(dir, "runner.db");
    const runId = "4182240c-1111-4222-8333-000000000002";
    await seed(db, runId, true);
    const r = await cli(dir, ["retry", KEY, "--run", "4182240c…"], {
      DATABASE_URL: `sqlite:${db}`,
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const again = await cli(dir, ["retry", KEY], { DATABASE_URL: `sqlite:${db}` });
    assert.equal(again.code, 1, "a second retry while the first is queued");
    assert.match(again.stdout, /active or queued/);
    const store = openSqliteStore(db);
    try {
      const events = await store.readStream(`issue-${KEY}`);
      const retried = events.filter((e) => e.type === "RunRequested").at(-1);
      assert.ok(retried?.type === "RunRequested");
      assert.equal(retried.data.retryOf, runId);
      assert.equal(retried.data.source, "cli");
      // Prefixes: unique resolves; ambiguous and too short are refused.
      assert.deepEqual(await resolveRunId(store, "4182"), { ok: true, runId });
      const other = "4182ffff-0000-4000-8000-000000000003";
      await store.append(`issue-OPS-8`, "no_stream", [{
        ...requested(other),
        data: { ...(requested(other).data as object), issueKey: "OPS-8" },
        metadata: { actor: "t" },
      } as never]);
      const ambiguous = await resolveRunId(store, "4182");
      assert.equal(ambiguous.ok, false);
      assert.match((ambiguous as { reason: string }).reason, /several runs/);
      assert.equal((await resolveRunId(store, "418")).ok, false);
      assert.deepEqual(await resolveRunId(store, "4182f"), { ok: true, runId: other });
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
