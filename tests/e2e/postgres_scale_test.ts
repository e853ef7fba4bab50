/**
 * Scale-out on PostgreSQL with real processes (issue 8): 2 `main.ts server`
 * and 3 `main.ts worker` processes on one PostgreSQL database, against one
 * stand-in world (fake Jira, fake GitHub, the scripted editor, a real git
 * remote). Each worker has its own DATA_DIR, as on its own host. Every Jira
 * webhook is delivered to both servers at once with the same
 * X-Idempotency-Key, while a consumer in this process reads the log
 * (`readAll`) from start to end and checks that positions come strictly in
 * order with no gap.
 *
 * 1. No faults, 200 tickets: one RunRequested per ticket, every run claimed
 *    exactly once, one PR and one Jira comment per run.
 * 2. Faults: PostgreSQL restarted mid-run, and a worker SIGKILLed while it
 *    holds a lease (a replacement worker, on a fresh DATA_DIR, takes over):
 *    every run still completes with each effect once, and the orphaned run is
 *    claimed again with the next attempt number.
 *
 * Skipped loudly without PostgreSQL (see tests/support/postgres_cluster.ts).
 *
 * @module
 */
import assert from "node:assert/strict";
import { isConnectionError, openPostgresStore } from "../../adapters/eventstore/postgres/mod.ts";
import type { PostgresStore } from "../../adapters/eventstore/postgres/mod.ts";
import { issueStream, type RecordedEvent } from "../../domain/events.ts";
import { runMarker } from "../../domain/workflow/feedback.ts";
import { FAKE_AI_USER, FAKE_REVIEWER } from "../../adapters/standins/jira_server.ts";
import { PILOT_REPO, startWorld, type World } from "../../adapters/standins/world.ts";
import type { FakeLlmRequest, FakeTurn } from "../../adapters/standins/llm_server.ts";
import { scriptedEditorReply } from "../../adapters/standins/scripted_model.ts";
import { startPostgres, warnSkipped } from "../support/postgres_cluster.ts";
import {
  killAll,
  type RunnerProcess,
  sendJiraWebhook,
  sleep,
  spawnRunner,
  waitUntil,
  type WebhookAnswer,
} from "../support/process_loop.ts";
import { note } from "../support/verbose.ts";

/**
 * Tickets of the concurrency test: 100 in the suite (about 25 s on 2 cores, so the suite
 * stays within its time); `SCALE_TICKETS=200` runs the size issue 8 asked for (about 50 s).
 * The stand-in world does not space GitHub writes (GITHUB_MIN_WRITE_INTERVAL_MS=0).
 */
const SCALE_TICKETS = Number(Deno.env.get("SCALE_TICKETS") ?? 100);
/** Tickets of the faults test. */
const FAULT_TICKETS = 24;
/** Runs each worker process works on at once. */
const WORKER_CONCURRENCY = 4;

const ticket = (prefix: string, i: number) => ({
  key: `${prefix}-${i + 1}`,
  summary: `Fix the typo in the install guide (${i + 1})`,
  description: 'The install guide misspells a word. Please replace "recieve" with "receive".',
});

/**
 * Reads the whole log with `readAll` from position 0 until stopped, checking
 * as it goes that every page continues exactly where the last one ended
 * (strictly increasing, gap-free). Connection errors (a database restart)
 * are waited out; anything else stops it with `error` set.
 */
class LogFollower {
  readonly events: RecordedEvent[] = [];
  error: Error | null = null;
  /** Read attempts that failed on a lost connection (the restart). */
  connectionErrors = 0;
  #stopped = false;
  readonly #done: Promise<void>;

  constructor(readonly store: PostgresStore) {
    this.#done = this.#follow();
  }

  get head(): number {
    return this.events.at(-1)?.position ?? 0;
  }

  async #follow(): Promise<void> {
    while (!this.#stopped) {
      let page: RecordedEvent[];
      try {
        page = await this.store.readAll(this.head, 500);
      } catch (error) {
        if (!isConnectionError(error) && !/connect|terminat|shut/i.test(String(error))) {
          this.error = error as Error;
          return;
        }
        this.connectionErrors++;
        await sleep(200);
        continue;
      }
      for (const e of page) {
        if (e.position !== this.head + 1) {
          this.error = new Error(
            `the log went from position ${this.head} to ${e.position} (${e.type} on ${e.stream})`,
          );
          return;
        }
        this.events.push(e);
      }
      if (page.length < 500) await sleep(50);
    }
  }

  /** Throws the follower's error, if it met one. */
  check(): void {
    if (this.error) throw this.error;
  }

  byStream(): Map<string, RecordedEvent[]> {
    const out = new Map<string, RecordedEvent[]>();
    for (const e of this.events) {
      const list = out.get(e.stream);
      if (list) list.push(e);
      else out.set(e.stream, [e]);
    }
    return out;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#done;
  }
}

/** One world, one database, the processes on it, and the consumer. */
interface Cluster {
  world: World;
  url: string;
  env: Record<string, string>;
  servers: RunnerProcess[];
  workers: RunnerProcess[];
  follower: LogFollower;
  keys: string[];
  /** Starts one more worker process with its own DATA_DIR (another host). */
  addWorker(): Promise<RunnerProcess>;
  /** Assigns `key` and delivers the webhook to every server at once, one idempotency key. */
  request(key: string): Promise<WebhookAnswer[]>;
  /** Waits until every ticket's run ended with RunSucceeded (or one failed). */
  allSucceeded(timeoutMs: number): Promise<Map<string, RecordedEvent[]>>;
  close(): Promise<void>;
}

async function startCluster(
  url: string,
  options: {
    prefix: string;
    tickets: number;
    servers: number;
    workers: number;
    lease: number;
    /** A ticket whose first model call the fake holds (a run certain to be in progress). */
    hold?: string;
  },
): Promise<Cluster> {
  const tickets = Array.from({ length: options.tickets }, (_, i) => ticket(options.prefix, i));
  const world = await startWorld({
    issues: tickets,
    ...(options.hold ? { script: holdFirstCall(options.hold) } : {}),
  });
  const env = {
    ...world.env,
    DATABASE_URL: url,
    PORT: "0",
    LEASE_SECONDS: String(options.lease),
    LOG_LEVEL: "info",
    WORKER_CONCURRENCY: String(WORKER_CONCURRENCY),
  };
  const processes: RunnerProcess[] = [];
  const store = await openPostgresStore(url, { listen: false });
  const follower = new LogFollower(store);
  let hosts = 0;
  const addWorker = async () => {
    const host = ++hosts;
    const dataDir = `${world.dir}/host-${host}`;
    const worker = await spawnRunner("worker", { ...env, DATA_DIR: dataDir }, {
      name: `worker-${host}`,
    });
    processes.push(worker);
    cluster.workers.push(worker);
    return worker;
  };
  const cluster: Cluster = {
    world,
    url,
    env,
    servers: [],
    workers: [],
    follower,
    keys: tickets.map((t) => t.key),
    addWorker,
    async request(key) {
      world.jira.state.setAssignee(key, FAKE_AI_USER.accountId);
      const idempotencyKey = `scale-${key}`;
      return await Promise.all(
        cluster.servers.map((s) => sendJiraWebhook(s.url, key, { idempotencyKey })),
      );
    },
    allSucceeded: (timeoutMs) =>
      waitUntil("every run to end with RunSucceeded", () => {
        follower.check();
        const streams = follower.byStream();
        for (const key of cluster.keys) {
          const end = streams.get(issueStream(key))?.at(-1)?.type;
          if (end === "RunFailed") return streams; // the assertions say which and why
          if (end !== "RunSucceeded") return undefined;
        }
        return streams;
      }, {
        timeoutMs,
        intervalMs: 250,
        detail: () => {
          const streams = follower.byStream();
          const open = cluster.keys.filter((k) =>
            streams.get(issueStream(k))?.at(-1)?.type !== "RunSucceeded"
          );
          return `${open.length} not done, e.g. ` +
            open.slice(0, 5).map((k) =>
              `${k}: ${(streams.get(issueStream(k)) ?? []).map((e) => e.type).join(" ")}`
            ).join("\n") +
            `\n${cluster.workers.map((w) => `${w.name}:\n${w.tail(8)}`).join("\n")}`;
        },
      }),
    async close() {
      await killAll(processes);
      await follower.stop();
      await store.close();
      await world.close();
    },
  };
  try {
    // Everything starts at once: the processes race the migrations, too.
    const started = await Promise.all([
      ...Array.from(
        { length: options.servers },
        (_, i) => spawnRunner("server", env, { name: `server-${i + 1}` }),
      ),
    ]);
    processes.push(...started);
    cluster.servers.push(...started);
    await Promise.all(Array.from({ length: options.workers }, () => addWorker()));
  } catch (error) {
    await cluster.close();
    throw error;
  }
  return cluster;
}

/** The scripted editor, except that the first model call for `key` is held (answered late). */
function holdFirstCall(key: string): FakeTurn[] {
  let held = false;
  const turn = (req: FakeLlmRequest) => {
    const reply = scriptedEditorReply(req);
    if (!held && JSON.stringify(req.body).includes(key)) {
      held = true;
      return { ...reply, delayMs: 600_000 }; // cut short when the fake closes
    }
    return reply;
  };
  return Array.from({ length: 100_000 }, () => turn);
}

/** Delivers every ticket's webhook to both servers, `parallel` tickets at a time. */
async function requestAll(cluster: Cluster, keys: string[], parallel = 16): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < keys.length) {
      const key = keys[next++];
      const answers = await cluster.request(key);
      const runIds = new Set(answers.map((a) => a.runId));
      assert.equal(
        runIds.size,
        1,
        `${key}: both servers name one run (${JSON.stringify(answers)})`,
      );
      assert.deepEqual(
        answers.map((a) => a.status).sort(),
        ["duplicate", "queued"],
        `${key}: one delivery queued the run, the other was a duplicate`,
      );
    }
  }));
}

/** The effects every ticket must show exactly once, and the run's shape. */
function assertEffectsOnce(cluster: Cluster, streams: Map<string, RecordedEvent[]>): void {
  const { world } = cluster;
  const prs = world.github.pullRequests(PILOT_REPO);
  for (const key of cluster.keys) {
    const events = streams.get(issueStream(key)) ?? [];
    const types = events.map((e) => e.type);
    const where = `${key}: ${types.join(" ")}`;
    const requested = events.filter((e) => e.type === "RunRequested");
    assert.equal(requested.length, 1, `${where}: one RunRequested`);
    const runId = requested[0].type === "RunRequested" ? requested[0].data.runId : "";
    assert.ok(!types.includes("RunFailed"), where);
    assert.equal(types.filter((t) => t === "RunSucceeded").length, 1, where);
    assert.equal(types.at(-1), "RunSucceeded", where);
    const mine = prs.filter((p) => p.head.ref === `ai/${key}`);
    assert.equal(mine.length, 1, `${key}: ${mine.length} pull requests`);
    const comments = world.jira.state.postedComments(key);
    assert.equal(comments.length, 1, `${key}: ${comments.length} Jira comments`);
    assert.ok(comments[0].text.includes(runMarker(runId)), `${key}: the comment's run marker`);
    const transitions = world.jira.requests.filter((r) =>
      r.method === "POST" && r.path === `/rest/api/3/issue/${key}/transitions`
    );
    assert.equal(transitions.length, 1, `${key}: ${transitions.length} transitions`);
    const issue = world.jira.state.issue(key);
    assert.equal(issue.status.name, "In Testing", key);
    assert.equal(issue.assignee?.accountId, FAKE_REVIEWER.accountId, key);
  }
  assert.equal(prs.length, cluster.keys.length, "no pull request for anything else");
}

/** The whole log, read once more from the start: gap-free and what the follower saw. */
async function assertLogWhole(cluster: Cluster): Promise<void> {
  const { follower } = cluster;
  follower.check();
  const all: RecordedEvent[] = [];
  for (;;) {
    const page = await follower.store.readAll(all.at(-1)?.position ?? 0, 5_000);
    if (page.length === 0) break;
    all.push(...page);
  }
  all.forEach((e, i) => assert.equal(e.position, i + 1, "positions contiguous from 1"));
  await waitUntil("the follower to reach the head", () => {
    follower.check();
    return follower.head >= all.length;
  }, { timeoutMs: 30_000 });
  assert.deepEqual(
    follower.events.slice(0, all.length).map((e) => e.hash),
    all.map((e) => e.hash),
    "the follower read the same log, in the same order",
  );
}

const server = await startPostgres();

if (!server) {
  warnSkipped("the PostgreSQL scale-out tests (tests/e2e/postgres_scale_test.ts)");
  Deno.test({
    name: "[postgres scale] 2 servers, 3 workers (no PostgreSQL: SKIPPED)",
    ignore: true,
    fn() {},
  });
} else {
  const pg = server;

  Deno.test({
    name: `[postgres scale] 2 servers + 3 workers, ${SCALE_TICKETS} tickets delivered twice: ` +
      "each run claimed once, one PR and one comment each, the log read in order",
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const url = await pg.createDatabase();
      const cluster = await startCluster(url, {
        prefix: "SC",
        tickets: SCALE_TICKETS,
        servers: 2,
        workers: 3,
        lease: 30,
      });
      try {
        const started = performance.now();
        await requestAll(cluster, cluster.keys);
        const streams = await cluster.allSucceeded(300_000);
        note(
          `  ${SCALE_TICKETS} runs done in ${
            ((performance.now() - started) / 1000).toFixed(1)
          } s ` +
            `(${cluster.follower.events.length} events)`,
        );
        assertEffectsOnce(cluster, streams);
        // No faults: every run was claimed exactly once, by one of the three workers.
        const claimsBy = new Map<string, number>();
        for (const key of cluster.keys) {
          const claims = streams.get(issueStream(key))!.filter((e) => e.type === "RunClaimed");
          assert.equal(claims.length, 1, `${key}: claimed ${claims.length} times`);
          const c = claims[0];
          assert.ok(c.type === "RunClaimed" && c.data.attempt === 1, key);
          claimsBy.set(c.data.workerId, (claimsBy.get(c.data.workerId) ?? 0) + 1);
        }
        note(`  claims per worker: ${JSON.stringify(Object.fromEntries(claimsBy))}`);
        assert.deepEqual(
          [...claimsBy.keys()].sort(),
          cluster.workers.map((w) => w.workerId).sort(),
          "all three workers claimed runs, and nobody else did",
        );
        await assertLogWhole(cluster);
      } finally {
        await cluster.close();
        await pg.dropDatabase(url).catch(() => {});
      }
    },
  });

  Deno.test({
    name: `[postgres scale] faults: PostgreSQL restarted mid-run and a worker killed -9 while ` +
      `holding a lease; all ${FAULT_TICKETS} runs complete, each effect once`,
    sanitizeOps: false,
    sanitizeResources: false,
    async fn() {
      const url = await pg.createDatabase();
      const cluster = await startCluster(url, {
        prefix: "FT",
        tickets: FAULT_TICKETS,
        servers: 2,
        workers: 3,
        lease: 5,
        hold: `FT-${FAULT_TICKETS}`,
      });
      const { follower } = cluster;
      try {
        const half = FAULT_TICKETS / 2;
        await requestAll(cluster, cluster.keys.slice(0, half));
        const succeeded = () => follower.events.filter((e) => e.type === "RunSucceeded").length;
        await waitUntil("a few runs to succeed before the restart", () => succeeded() >= 3, {
          timeoutMs: 60_000,
        });

        // 1. PostgreSQL goes away under the running workers and comes back.
        await pg.restart(() => sleep(1_000));
        note(`  PostgreSQL restarted after ${succeeded()} runs had succeeded`);
        // Every process lives through it.
        await sleep(2_000);
        for (const p of [...cluster.servers, ...cluster.workers]) {
          assert.ok(!p.ended, `${p.name} ended after the restart; its last lines:\n${p.tail()}`);
        }
        // The servers take webhooks again (each a new connection after the restart).
        await requestAll(cluster, cluster.keys.slice(half));

        // 2. A worker that holds a lease right now is killed -9: the worker working on the
        // ticket whose model call the fake holds, so its run is certainly in progress.
        const held = `FT-${FAULT_TICKETS}`;
        const heldStream = issueStream(held);
        const { worker: victim, claim } = await waitUntil(`the worker holding ${held}`, () => {
          follower.check();
          const waiting = cluster.world.llm.requests.some((r) =>
            r.rawBody.includes(held) && r.status === 0
          );
          if (!waiting) return undefined;
          const claim = follower.byStream().get(heldStream)?.findLast((e) =>
            e.type === "RunClaimed"
          );
          const worker = claim?.type === "RunClaimed"
            ? cluster.workers.find((w) => w.workerId === claim.data.workerId)
            : undefined;
          return worker && claim ? { worker, claim } : undefined;
        }, { timeoutMs: 120_000, intervalMs: 10 });
        assert.ok(claim.type === "RunClaimed");
        const status = await victim.kill("SIGKILL");
        assert.equal(status.signal, "SIGKILL");
        note(
          `  killed ${victim.name} (${victim.workerId}) holding ${claim.stream} ` +
            `attempt ${claim.data.attempt}`,
        );
        await cluster.addWorker(); // a replacement, on a fresh DATA_DIR

        const streams = await cluster.allSucceeded(240_000);
        assertEffectsOnce(cluster, streams);
        // The orphaned run was claimed again, by another worker, with the next attempt.
        const events = streams.get(claim.stream)!;
        const reclaim = events.slice(events.indexOf(claim) + 1).find((e) =>
          e.type === "RunClaimed" && e.data.runId === claim.data.runId
        );
        assert.ok(reclaim?.type === "RunClaimed", `${claim.stream} was claimed again`);
        assert.notEqual(reclaim.data.workerId, victim.workerId);
        assert.equal(reclaim.data.attempt, claim.data.attempt + 1);
        // Nothing the victim held was worked twice: its steps are each recorded once.
        for (const key of cluster.keys) {
          const types = streams.get(issueStream(key))!.map((e) => e.type);
          for (
            const step of ["IssueFetched", "ChangesCommitted", "BranchPushed", "JiraCommented"]
          ) {
            assert.equal(types.filter((t) => t === step).length, 1, `${key}: ${step} once`);
          }
        }
        const disrupted = cluster.keys.filter((k) =>
          streams.get(issueStream(k))!.filter((e) => e.type === "RunClaimed").length > 1
        );
        note(
          `  ${disrupted.length} runs were claimed more than once; the consumer waited out ` +
            `${follower.connectionErrors} failed reads during the restart`,
        );
        await assertLogWhole(cluster);
      } finally {
        await cluster.close();
        await pg.dropDatabase(url).catch(() => {});
      }
    },
  });

  // Last: the server goes away with the file's tests (the unload handler covers filtered runs).
  Deno.test("[postgres scale] stopping the test server drops it", async () => {
    const url = await pg.createDatabase();
    await pg.stop();
    const error = await openPostgresStore(url, { connectTimeoutSeconds: 2 }).then(
      (s) => s.close(),
      (e: unknown) => e,
    );
    assert.ok(error instanceof Error, "the database is gone after stop()");
  });
}
