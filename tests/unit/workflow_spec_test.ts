/**
 * Workflow specs, in process, on in-memory ports: given a run that recorded
 * its steps up to some point (the worker died there, maybe in the middle of an
 * outside effect), when another worker resumes it, then exactly the remaining
 * steps are recorded, in order, and the outside world saw each effect once.
 *
 * @module
 */
import assert from "node:assert/strict";
import { openSqliteStore, type SqliteStore } from "../../adapters/eventstore/sqlite/mod.ts";
import { handleCommand } from "../../domain/command_handler.ts";
import { issueStream, type RecordedEvent } from "../../domain/events.ts";
import { STEP_OF_EVENT } from "../../domain/run/state.ts";
import { CHANGE_STEPS, MERGED_STEPS } from "../../domain/run/steps.ts";
import {
  type RunHandle,
  RunWorkflow,
  type WorkflowDeps,
} from "../../domain/workflow/run_workflow.ts";
import { workflowSettings } from "../../domain/workflow/settings.ts";
import { Crash, MemoryWorld } from "../support/memory_world.ts";

const KEY = "SPEC-1";
const LEASE_MS = 60_000;

/** A store, a world and a clock for one spec. */
async function setUp() {
  const dir = await Deno.makeTempDir({ prefix: "ai-runner-spec-" });
  const store = openSqliteStore(`${dir}/runner.db`);
  const world = new MemoryWorld(KEY, 'Append "See also the FAQ." to the install guide.', {
    "docs/install.md": "# Install\n\nRun the installer.",
  });
  let now = Date.parse("2026-11-23T10:00:00.000Z");
  const clock = () => new Date(now);
  const logger = {
    debug() {},
    info() {},
    warn() {},
    error() {},
    child() {
      return logger;
    },
  };
  const deps = (store: SqliteStore): WorkflowDeps => ({
    store,
    artifacts: store,
    jira: world.jira,
    github: world.github,
    git: world.git,
    llm: world.llm,
    workspace: world.workspace,
    routing: {
      repos: [{
        id: "docs",
        github: "acme/docs",
        baseBranch: "main",
        validate: [],
        validateTimeoutSeconds: 60,
        setup: [],
        setupTimeoutSeconds: 60,
        env: {},
      }],
    },
    secrets: { redact: (t) => t, contains: () => false },
    settings: workflowSettings({
      aiAccountId: "acc-ai",
      reviewerAccountId: "acc-leigh",
      issueUrl: (k) => `https://jira.example/browse/${k}`,
      cloneUrl: () => "/nowhere",
    }),
    clock,
    random: () => 0.5,
    newId: () => crypto.randomUUID(),
    sleep: () => Promise.resolve(),
    logger,
    workerId: "spec",
  });
  let leases = 0;
  /** Claims the run (again) and works it until it ends or crashes. */
  const work = async (runId: string) => {
    now += LEASE_MS + 1; // any earlier lease has run out
    const leaseId = `L${++leases}`;
    const claimed = await handleCommand(store, KEY, {
      type: "ClaimRun",
      runId,
      workerId: "spec",
      leaseId,
      leaseMs: LEASE_MS,
      now: clock().toISOString(),
    }, { actor: "worker:spec" });
    assert.ok(claimed.ok, JSON.stringify(claimed));
    const handle: RunHandle = {
      issueKey: KEY,
      runId,
      leaseId,
      signal: new AbortController().signal,
      step: "claim",
    };
    const ended = await new RunWorkflow(deps(store), handle).execute();
    const completed = await handleCommand(store, KEY, {
      type: "CompleteRun",
      runId,
      leaseId,
      now: clock().toISOString(),
      ...ended,
    }, { actor: "worker:spec" });
    assert.ok(completed.ok);
    return ended;
  };
  const request = async (runId: string) => {
    const r = await handleCommand(store, KEY, {
      type: "RequestRun",
      issueKey: KEY,
      runId,
      deliveryId: `d-${runId}`,
      source: "jira",
      requestedBy: { accountId: "acc-leigh" },
      now: clock().toISOString(),
    }, { actor: "jira:acc-leigh" });
    assert.ok(r.ok);
  };
  const events = () => store.readStream(issueStream(KEY));
  return {
    store,
    world,
    work,
    request,
    events,
    async [Symbol.asyncDispose]() {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const stepsOf = (events: RecordedEvent[]) =>
  events.flatMap((e) => STEP_OF_EVENT[e.type] ? [STEP_OF_EVENT[e.type]!] : []);

/** Where a first attempt dies: after a step was recorded, or inside an effect. */
/** The steps of a change run in a repository that does not wait for checks. */
const STEPS = CHANGE_STEPS.filter((s) => s !== "await_checks");

const CRASHES: { name: string; after?: string; effect?: string }[] = [
  ...STEPS.map((step) => ({ name: `after ${step} was recorded`, after: step })),
  { name: "after the model edited a file", effect: "model_after_edit" },
  { name: "after the branch was pushed, unrecorded", effect: "push" },
  { name: "after the PR was opened, unrecorded", effect: "createPullRequest" },
  { name: "after the comment was posted, unrecorded", effect: "addComment" },
  { name: "after the transition, unrecorded", effect: "transition" },
  { name: "after the assignment, unrecorded", effect: "assign" },
];

for (const crash of CRASHES) {
  Deno.test(`workflow spec: a change run resumed ${crash.name} ends like one never interrupted`, async () => {
    await using spec = await setUp();
    await spec.request("r1");
    // Given: a first attempt that died.
    if (crash.effect) spec.world.crashAfter.add(crash.effect);
    const original = spec.store.append.bind(spec.store);
    if (crash.after) {
      const eventType = Object.entries(STEP_OF_EVENT).find(([, s]) => s === crash.after)![0];
      spec.store.append = async (...args) => {
        const result = await original(...args);
        if (args[2].some((e) => e.type === eventType)) throw new Crash(`recording ${eventType}`);
        return result;
      };
    }
    await assert.rejects(spec.work("r1"), /crashed after/);
    spec.store.append = original;
    const before = stepsOf(await spec.events());
    // When: another worker resumes it.
    const ended = await spec.work("r1");
    // Then: the remaining steps, in order, each once; each effect once.
    const after = stepsOf(await spec.events());
    assert.deepEqual(after, STEPS, `before the resume: ${before.join(", ")}`);
    assert.equal(ended.outcome, "pr_opened");
    assert.deepEqual(spec.world.effects, {
      prsOpened: 1,
      prsUpdated: 0,
      comments: 1,
      transitions: 1,
      assigns: 1,
      pushes: 1,
    });
    const file = spec.world.remoteFiles(`ai/${KEY}`)["docs/install.md"];
    assert.equal(file, "# Install\n\nRun the installer. See also the FAQ.", "the edit made once");
    const events = await spec.events();
    const committed = events.find((e) => e.type === "ChangesCommitted");
    const pushed = events.find((e) => e.type === "BranchPushed");
    assert.ok(committed?.type === "ChangesCommitted" && pushed?.type === "BranchPushed");
    assert.equal(pushed.data.sha, committed.data.sha, "the recorded commit is the pushed one");
  });
}

Deno.test("workflow spec: a completion run moves the issue to Done, then says so, once", async () => {
  await using spec = await setUp();
  await spec.request("r1");
  await spec.work("r1");
  const r = await handleCommand(spec.store, KEY, {
    type: "RecordPullRequestFact",
    issueKey: KEY,
    repo: "acme/docs",
    headRef: `ai/${KEY}`,
    runId: "c1",
    now: new Date().toISOString(),
    fact: {
      type: "PrMerged",
      data: {
        deliveryId: "gh-1",
        number: 1,
        url: "https://github.com/acme/docs/pull/1",
        mergeSha: "abcdef1234567",
        mergedBy: "leigh",
        mergedAt: "2026-11-23T11:00:00Z",
      },
    },
  }, { actor: "github:leigh" });
  assert.ok(r.ok);
  spec.world.crashAfter.add("transition");
  await assert.rejects(spec.work("c1"), Crash);
  const ended = await spec.work("c1");
  assert.equal(ended.outcome, "completed");
  const events = await spec.events();
  const completion = events.filter((e) => (e.data as { runId?: string }).runId === "c1");
  assert.deepEqual(stepsOf(completion), [...MERGED_STEPS]);
  assert.equal(spec.world.issue.status.name, "Done");
  assert.equal(spec.world.effects.transitions, 2, "In Testing, then Done: once each");
  assert.match(spec.world.comments.at(-1)!.bodyText, /was merged\*\* by leigh/);
});

Deno.test("workflow spec: a file written after the scan (a process left running) is never committed", async () => {
  await using spec = await setUp();
  await spec.request("r1");
  const original = spec.store.append.bind(spec.store);
  spec.store.append = async (...args) => {
    const result = await original(...args);
    if (args[2].some((e) => e.type === "DiffScanned")) {
      // Something still running in the worktree writes after the scan.
      for (const wt of spec.world.worktrees.values()) wt.files["docs/install.md"] += " pwned";
      throw new Crash("the scan");
    }
    return result;
  };
  await assert.rejects(spec.work("r1"), Crash);
  spec.store.append = original;
  await assert.rejects(spec.work("r1"), /changed after its diff was scanned/);
  assert.equal(spec.world.effects.pushes, 0, "nothing was pushed");
  assert.equal(spec.world.remote.get(`ai/${KEY}`), undefined);
});
