/**
 * Restart safety with real processes (issue 4, DESIGN §5 "Restart-safe"): a
 * `main.ts server` and a string of `main.ts worker` processes on one SQLite
 * file, against the stand-in world. For each kill point a fresh worker is
 * started, a ticket is assigned (the Jira webhook through the real server), and
 * the worker is SIGKILLed at that point: right after each step event is
 * recorded, while an outside effect is in flight (the fake applies it after
 * the worker died, so the effect happened but was never recorded), or after a
 * random delay. Each worker may also be resuming runs orphaned by the workers
 * killed before it, so some kills land in resumed runs too.
 *
 * Then one last worker is started; every run must complete, and the outside
 * world must have seen each effect exactly once: one PR per branch, one Jira
 * comment per run (with its run marker), one transition to In Testing, one AI
 * commit on the branch with the right content; and every step of every run is
 * recorded once.
 *
 * A second test kills a worker after ChangesGenerated and resumes the run on
 * another host (a fresh DATA_DIR, none of the first worker's files): the change
 * must come back from the patch stored with the event.
 *
 * @module
 */
import assert from "node:assert/strict";
import { openSqliteStore } from "../../adapters/eventstore/sqlite/mod.ts";
import { issueStream, type RecordedEvent } from "../../domain/events.ts";
import { runMarker } from "../../domain/workflow/feedback.ts";
import { FAKE_AI_USER, FAKE_REVIEWER } from "../../adapters/standins/jira_server.ts";
import { PILOT_REPO, startWorld, type World } from "../../adapters/standins/world.ts";
import type { FakeLlmRequest, FakeTurn } from "../../adapters/standins/llm_server.ts";
import { scriptedEditorReply } from "../../adapters/standins/scripted_model.ts";
import {
  commitsAhead,
  killAll,
  type RunnerProcess,
  sendJiraWebhook,
  spawnRunner,
  waitUntil,
} from "../support/process_loop.ts";
import { note } from "../support/verbose.ts";

/** The lease of every worker here: the shortest allowed, so orphans are re-claimed fast. */
const LEASE_SECONDS = 5;
/** How late the fakes answer (and apply) an effect armed as "in flight". */
const EFFECT_DELAY_MS = 700;

/** Where a worker is killed, for one ticket. */
interface KillPoint {
  name: string;
  /** Before the ticket is assigned: e.g. slow down an effect so the kill lands inside it. */
  arm?(world: World, key: string): void;
  /** Resolves when it is time to SIGKILL `worker` (working on `key`). */
  reached(worker: RunnerProcess, world: World, key: string): Promise<unknown>;
}

const STEPS = [
  "IssueFetched",
  "WorkspacePrepared",
  "ChangesGenerated",
  "ValidationCompleted",
  "DiffScanned",
  "ChangesCommitted",
  "BranchPushed",
  "PullRequestOpened",
  "JiraCommented",
  "JiraTransitioned",
  "JiraAssigned",
] as const;

const POINT_TIMEOUT_MS = 60_000;

function afterLog(msg: string): KillPoint["reached"] {
  return (worker, _world, key) =>
    worker.waitForLine(
      (l) => l.msg === msg && l.issueKey === key,
      `"${msg}" for ${key}`,
      POINT_TIMEOUT_MS,
    );
}

/** The fake received the request (and holds it for EFFECT_DELAY_MS before applying it). */
function inFlight(
  system: "jira" | "github",
  method: string,
  path: (key: string) => string,
): Pick<KillPoint, "arm" | "reached"> {
  return {
    arm(world, key) {
      const fault = { method, path: path(key), delayMs: EFFECT_DELAY_MS };
      if (system === "jira") world.jira.injectFault(fault);
      else world.github.injectFault(fault);
    },
    reached: (worker, world, key) =>
      waitUntil(
        `${method} ${path(key)} to reach the fake ${system}`,
        () => {
          if (worker.ended) throw new Error(`${worker.name} ended:\n${worker.tail()}`);
          const requests: { method: string; path: string; fault?: string }[] = system === "jira"
            ? world.jira.requests
            : world.github.requests;
          return requests.some((r) => r.method === method && r.path === path(key) && !!r.fault);
        },
        { timeoutMs: POINT_TIMEOUT_MS, intervalMs: 5 },
      ),
  };
}

/** The ticket whose run is killed while the model works, after it edited a file. */
const MID_EDIT_KEY = "CR-1";

/**
 * The fake model holds its answer to the first request that carries an
 * `edit_file` result for `MID_EDIT_KEY`, so the worker is killed with the edit
 * made on disk and `ChangesGenerated` not recorded.
 */
function holdAfterFirstEdit(): FakeTurn[] {
  let held = false;
  const turn = (req: FakeLlmRequest) => {
    const reply = scriptedEditorReply(req);
    const edited = req.toolResults.some((r) => !r.isError && /edit|replac/i.test(r.content));
    if (!held && edited && JSON.stringify(req.body).includes(MID_EDIT_KEY)) {
      held = true;
      return { ...reply, delayMs: 120_000 };
    }
    return reply;
  };
  return Array.from({ length: 10_000 }, () => turn);
}

const midEdit: KillPoint["reached"] = (worker, world) =>
  waitUntil("the model's edit of CR-1 to be answered", () => {
    if (worker.ended) throw new Error(`${worker.name} ended:\n${worker.tail()}`);
    return world.llm.requests.some((r) =>
      r.rawBody.includes(MID_EDIT_KEY) && r.rawBody.includes("edit_file") &&
      /"(tool_use_id|call_id|tool_call_id)"/.test(r.rawBody) && r.status === 0
    );
  }, { timeoutMs: POINT_TIMEOUT_MS, intervalMs: 5 });

/**
 * A handful of named, deterministic kill points, each where a crash would hurt most:
 * inside the model's work, between recording a step and the next effect, and while each
 * outside effect is in flight. (Resuming after every single step is specified in process,
 * on in-memory ports, by tests/unit/workflow_spec_test.ts.)
 */
const KILL_POINTS: KillPoint[] = [
  // First, so its ticket is CR-1: see MID_EDIT_KEY.
  { name: "after the model edited a file, before ChangesGenerated", reached: midEdit },
  ...(["ChangesGenerated", "DiffScanned", "ChangesCommitted"] as const).map((
    step,
  ) => ({ name: `after ${step}`, reached: afterLog(`step ${step}`) })),
  {
    name: "while the PR is being created",
    ...inFlight("github", "POST", () => `/repos/${PILOT_REPO}/pulls`),
  },
  {
    name: "while the Jira comment is being posted",
    ...inFlight("jira", "POST", (key) => `/rest/api/3/issue/${key}/comment`),
  },
  {
    name: "while the transition is being applied",
    ...inFlight("jira", "POST", (key) => `/rest/api/3/issue/${key}/transitions`),
  },
  {
    name: "while the reviewer is being assigned",
    ...inFlight("jira", "PUT", (key) => `/rest/api/3/issue/${key}/assignee`),
  },
];

const ticket = (i: number) => ({
  key: `CR-${i + 1}`,
  summary: `Fix the typo in the install guide (${i + 1})`,
  description: 'The install guide misspells a word. Please replace "recieve" with "receive".' +
    // An edit that doubles when made twice: a resumed run must start from a clean worktree.
    (`CR-${i + 1}` === MID_EDIT_KEY
      ? ' Also replace "Run the installer" with "Run the installer (see the FAQ)".'
      : ""),
});

Deno.test({
  name: `worker processes killed -9 at ${KILL_POINTS.length} points: every run completes, ` +
    "each effect once",
  // The fakes' delayed answers outlive the killed clients by design.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const tickets = KILL_POINTS.map((_, i) => ticket(i));
    await using world = await startWorld({ issues: tickets, script: holdAfterFirstEdit() });
    const env = {
      ...world.env,
      PORT: "0",
      LEASE_SECONDS: String(LEASE_SECONDS),
      LOG_LEVEL: "debug",
      // Two at once: a worker may be resuming an orphan while it starts the new ticket.
      WORKER_CONCURRENCY: "2",
    };
    const processes: RunnerProcess[] = [];
    const store = openSqliteStore(`${world.dataDir}/runner.db`);
    const streams = async () => {
      const out = new Map<string, RecordedEvent[]>();
      for (const t of tickets) out.set(t.key, await store.readStream(issueStream(t.key)));
      return out;
    };
    try {
      const server = await spawnRunner("server", env, { name: "server" });
      processes.push(server);
      const runIds = new Map<string, string>();
      const killed: { point: string; worker: RunnerProcess; key: string }[] = [];

      for (const [i, point] of KILL_POINTS.entries()) {
        const key = tickets[i].key;
        const worker = await spawnRunner("worker", env, { name: `worker-${i + 1}` });
        processes.push(worker);
        point.arm?.(world, key);
        world.jira.state.setAssignee(key, FAKE_AI_USER.accountId);
        const answer = await sendJiraWebhook(server.url, key, { idempotencyKey: `crash-${key}` });
        assert.equal(answer.status, "queued");
        runIds.set(key, answer.runId);
        await point.reached(worker, world, key);
        const status = await worker.kill("SIGKILL");
        assert.equal(status.signal, "SIGKILL", `${worker.name} was killed, not ended by itself`);
        killed.push({ point: point.name, worker, key });
        const last = (await store.readStream(issueStream(key))).at(-1)?.type;
        note(`  killed ${worker.name} ${point.name} (${key}; its stream ends at ${last})`);
      }

      // One more worker, never killed: it picks up every orphan once its lease runs out.
      const last = await spawnRunner("worker", { ...env, WORKER_CONCURRENCY: "4" }, {
        name: "worker-final",
      });
      processes.push(last);
      const done = await waitUntil("every run to end with RunSucceeded", async () => {
        const all = await streams();
        for (const events of all.values()) {
          const end = events.at(-1)?.type;
          if (end === "RunFailed") return all; // the assertions below say which and why
          if (end !== "RunSucceeded") return undefined;
        }
        return all;
      }, {
        timeoutMs: 120_000,
        intervalMs: 200,
        detail: async () =>
          [...(await streams())].map(([k, es]) => `${k}: ${es.map((e) => e.type).join(" ")}`)
            .join("\n") + `\nlast worker's log:\n${last.tail(40)}`,
      });
      await last.stop();
      await server.stop();

      let resumed = 0;
      for (const t of tickets) {
        const key = t.key;
        const runId = runIds.get(key)!;
        const events = done.get(key)!;
        const types = events.map((e) => e.type);
        const where = `${key}: ${types.join(" ")}`;
        // The run completed, once, and nothing failed on the way.
        assert.equal(types.filter((x) => x === "RunRequested").length, 1, where);
        assert.equal(types.filter((x) => x === "RunSucceeded").length, 1, where);
        assert.equal(types.at(-1), "RunSucceeded", where);
        assert.ok(!types.includes("RunFailed"), where);
        const succeeded = events.at(-1)!;
        assert.ok(succeeded.type === "RunSucceeded" && succeeded.data.runId === runId, where);
        assert.ok(
          ["pr_opened", "pr_updated"].includes(succeeded.data.outcome),
          `${where}: outcome ${succeeded.data.outcome}`,
        );
        // Every step recorded once (the PR step as opened or updated, not both).
        for (const step of STEPS) {
          const n = step === "PullRequestOpened"
            ? types.filter((x) => x === "PullRequestOpened" || x === "PullRequestUpdated").length
            : types.filter((x) => x === step).length;
          assert.equal(n, 1, `${where}: ${step} recorded ${n} times`);
        }
        // Claims: attempts numbered 1, 2, … and one more per expired lease.
        const claims = events.filter((e) => e.type === "RunClaimed");
        assert.deepEqual(
          claims.map((e) => e.type === "RunClaimed" ? e.data.attempt : 0),
          claims.map((_, n) => n + 1),
          `${where}: attempts`,
        );
        if (claims.length > 1) resumed++;

        // The outside world saw each effect once.
        const prs = world.github.pullRequests(PILOT_REPO).filter((p) => p.head.ref === `ai/${key}`);
        assert.equal(prs.length, 1, `${key}: ${prs.length} pull requests for ai/${key}`);
        const comments = world.jira.state.postedComments(key);
        assert.equal(comments.length, 1, `${key}: ${comments.length} Jira comments`);
        assert.ok(comments[0].text.includes(runMarker(runId)), `${key}: the comment's run marker`);
        assert.ok(
          comments[0].text.includes(`(${prs[0].html_url})`),
          `${key}: the comment links the PR`,
        );
        const transitions = world.jira.requests.filter((r) =>
          r.method === "POST" && r.path === `/rest/api/3/issue/${key}/transitions`
        );
        assert.equal(transitions.length, 1, `${key}: ${transitions.length} transition requests`);
        const issue = world.jira.state.issue(key);
        assert.equal(issue.status.name, "In Testing", key);
        assert.equal(issue.assignee?.accountId, FAKE_REVIEWER.accountId, key);
        assert.equal(await commitsAhead(world.remote, `ai/${key}`), 1, `${key}: AI commits`);
        assert.match(
          await world.remoteFile(`ai/${key}`, "docs/install.md"),
          /wait to receive the confirmation email/,
          key,
        );
        if (key === MID_EDIT_KEY) {
          const text = await world.remoteFile(`ai/${key}`, "docs/install.md");
          assert.equal(text.split("(see the FAQ)").length - 1, 1, `${key}: edited once:\n${text}`);
        }
      }
      // The kills really left work behind: orphaned runs were claimed again and finished.
      note(`  ${resumed} of ${tickets.length} runs were claimed more than once`);
      assert.ok(resumed >= KILL_POINTS.length / 2, `only ${resumed} runs were resumed`);
      for (const k of killed) {
        const claimedByVictim = [...done.values()].flat().filter((e) =>
          e.type === "RunClaimed" && e.data.workerId === k.worker.workerId
        );
        assert.ok(claimedByVictim.length > 0, `${k.worker.workerId} (${k.point}) claimed a run`);
      }
    } finally {
      await killAll(processes);
      await store.close();
    }
  },
});

for (
  const [killAfter, what] of [
    ["ChangesGenerated", "from the stored patch"],
    ["ChangesCommitted", "pushing the very commit it recorded"],
  ] as const
) {
  Deno.test({
    name: `a run killed -9 after ${killAfter} resumes on another host ${what}`,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: () => resumeOnAnotherHost(killAfter),
  });
}

async function resumeOnAnotherHost(killAfter: "ChangesGenerated" | "ChangesCommitted") {
  {
    const key = "HOST-1";
    await using world = await startWorld({ issues: [{ ...ticket(0), key }] });
    const env = { ...world.env, PORT: "0", LEASE_SECONDS: String(LEASE_SECONDS) };
    const processes: RunnerProcess[] = [];
    const store = openSqliteStore(`${world.dataDir}/runner.db`);
    try {
      const server = await spawnRunner("server", env, { name: "server" });
      processes.push(server);
      // Host A makes the change and dies before validating, committing or pushing it.
      const hostA = await spawnRunner("worker", { ...env, DATA_DIR: `${world.dir}/host-a` }, {
        name: "worker-host-a",
      });
      processes.push(hostA);
      world.jira.state.setAssignee(key, FAKE_AI_USER.accountId);
      const { runId } = await sendJiraWebhook(server.url, key);
      await hostA.waitForLine(
        (l) => l.msg === `step ${killAfter}` && l.issueKey === key,
        `${killAfter} to be recorded`,
      );
      await hostA.kill("SIGKILL");
      assert.equal(await world.remoteHead(`ai/${key}`), null, "host A pushed nothing");

      // Host B has none of host A's files: it must put the change back from the event log.
      const hostB = await spawnRunner("worker", { ...env, DATA_DIR: `${world.dir}/host-b` }, {
        name: "worker-host-b",
      });
      processes.push(hostB);
      const ended = await hostB.waitForLine(
        (l) => l.issueKey === key && (l.msg === "run failed" || /^run succeeded/.test(l.msg ?? "")),
        `the run of ${key} to end`,
      );
      assert.equal(ended.msg, "run succeeded (pr_opened)", JSON.stringify(ended));
      const events = await store.readStream(issueStream(key));
      const claims = events.filter((e) => e.type === "RunClaimed");
      assert.deepEqual(
        claims.map((e) => e.type === "RunClaimed" ? [e.data.workerId, e.data.attempt] : []),
        [[hostA.workerId, 1], [hostB.workerId, 2]],
      );
      assert.equal(events.filter((e) => e.type === "ChangesGenerated").length, 1, "not redone");
      // What was recorded as committed is exactly what was pushed.
      const committed = events.find((e) => e.type === "ChangesCommitted");
      const pushed = events.find((e) => e.type === "BranchPushed");
      assert.ok(committed?.type === "ChangesCommitted" && pushed?.type === "BranchPushed");
      assert.equal(pushed.data.sha, committed.data.sha);
      assert.equal(await world.remoteHead(`ai/${key}`), committed.data.sha);
      assert.equal(await commitsAhead(world.remote, `ai/${key}`), 1);
      assert.match(
        await world.remoteFile(`ai/${key}`, "docs/install.md"),
        /wait to receive the confirmation email/,
      );
      const prs = world.github.pullRequests(PILOT_REPO).filter((p) => p.head.ref === `ai/${key}`);
      assert.equal(prs.length, 1);
      const comments = world.jira.state.postedComments(key);
      assert.equal(comments.length, 1);
      assert.ok(comments[0].text.includes(runMarker(runId)));
      await hostB.stop();
      await server.stop();
    } finally {
      await killAll(processes);
      await store.close();
    }
  }
}
