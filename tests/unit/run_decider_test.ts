import { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { DomainEvent, EventData, EventOf } from "../../domain/events.ts";
import type { StepEvent } from "../../domain/run/commands.ts";
import { replay } from "../../domain/run/state.ts";
import { given } from "../support/decider_spec.ts";

import {
  at,
  claimed,
  coalesced,
  fetched,
  KEY,
  requested,
  reviewer,
  succeeded,
} from "../support/events.ts";

const prOpened = (runId: string): EventOf<"PullRequestOpened"> => ({
  type: "PullRequestOpened",
  data: {
    runId,
    number: 12,
    url: "https://github.com/acme/online-docs/pull/12",
    draft: false,
    head: `ai/${KEY}`,
    base: "main",
  },
});
const merged = (deliveryId: string): EventOf<"PrMerged"> => ({
  type: "PrMerged",
  data: {
    deliveryId,
    number: 12,
    url: "https://github.com/acme/online-docs/pull/12",
    mergeSha: "abcdef1234567",
    mergedBy: "leigh",
    mergedAt: at(500),
  },
});

const request = (runId: string, deliveryId: string, seconds = 0) => ({
  type: "RequestRun" as const,
  issueKey: KEY,
  runId,
  deliveryId,
  source: "jira" as const,
  requestedBy: reviewer,
  now: at(seconds),
});
const claim = (runId: string, leaseId: string, seconds = 0) => ({
  type: "ClaimRun" as const,
  runId,
  workerId: `w-${leaseId}`,
  leaseId,
  leaseMs: 60_000,
  now: at(seconds),
});
const step = (runId: string, leaseId: string, event: StepEvent, seconds = 1) => ({
  type: "RecordStep" as const,
  runId,
  leaseId,
  now: at(seconds),
  step: event,
});

// --- requests, queueing and coalescing -------------------------------------------------

Deno.test("a first request queues a new run", () => {
  given().when(request("r1", "d1")).then(requested("r1", "d1"));
});

Deno.test("a request while a run is queued is coalesced into it", () => {
  given(requested("r1", "d1")).when(request("r2", "d2", 5)).then(coalesced("r1", "d2", 5));
});

Deno.test("a request while a run is active queues one run behind it", () => {
  given(requested("r1", "d1"), claimed("r1", "L1"))
    .when(request("r2", "d2", 5))
    .then(requested("r2", "d2", 5));
});

Deno.test("further requests while one is active and one queued coalesce into the queued run", () => {
  given(requested("r1", "d1"), claimed("r1", "L1"), requested("r2", "d2"))
    .when(request("r3", "d3", 9))
    .then(coalesced("r2", "d3", 9));
});

Deno.test("a request after the run finished queues a new run", () => {
  given(requested("r1", "d1"), claimed("r1", "L1"), succeeded("r1"))
    .when(request("r2", "d2", 100))
    .then(requested("r2", "d2", 100));
});

Deno.test("a request naming another issue than the stream's is refused", () => {
  given(requested("r1", "d1"))
    .when({ ...request("r2", "d2"), issueKey: "OTHER-1" })
    .thenError("issue_mismatch");
});

// --- idempotent deliveries -----------------------------------------------------------

Deno.test("a delivery already seen changes nothing, queued or coalesced", () => {
  given(requested("r1", "d1")).when(request("r9", "d1")).thenNothing();
  given(requested("r1", "d1"), coalesced("r1", "d2")).when(request("r9", "d2")).thenNothing();
});

Deno.test("a duplicate replayed twice still changes nothing and names its run", () => {
  const history = [requested("r1", "d1"), claimed("r1", "L1"), requested("r2", "d2")];
  given(...history).when(request("r9", "d1")).thenNothing();
  given(...history).when(request("r9", "d2")).thenNothing();
  const state = replay(history);
  assertEquals(state.deliveries["d1"], "r1");
  assertEquals(state.deliveries["d2"], "r2");
});

Deno.test("a delivery seen on a finished run is still a duplicate", () => {
  given(requested("r1", "d1"), claimed("r1", "L1"), succeeded("r1"))
    .when(request("r2", "d1", 100))
    .thenNothing();
});

const fact = (f: DomainEvent, repo = "acme/online-docs", headRef = `ai/${KEY}`) => ({
  type: "RecordPullRequestFact" as const,
  issueKey: KEY,
  fact: f as EventOf<"PrMerged">,
  repo,
  headRef,
  runId: "c1",
  now: at(600),
});
const prepared = (runId: string): DomainEvent => ({
  type: "WorkspacePrepared",
  data: {
    runId,
    repoId: "online-docs",
    github: "acme/online-docs",
    branch: `ai/${KEY}`,
    baseBranch: "main",
    startSha: "abcdef1234567",
    continued: false,
  },
});
const pushed = (runId: string): DomainEvent => ({
  type: "BranchPushed",
  data: { runId, branch: `ai/${KEY}`, sha: "abcdef1234567" },
});
/** A first run that worked the issue in acme/online-docs and opened PR #12. */
const worked = (runId = "r1", leaseId = "L1"): DomainEvent[] => [
  requested(runId, "d1"),
  claimed(runId, leaseId),
  prepared(runId),
  pushed(runId),
  prOpened(runId),
];
const completionRequested = (deliveryId: string): DomainEvent => ({
  type: "RunRequested",
  data: {
    runId: "c1",
    issueKey: KEY,
    deliveryId: `completion:${deliveryId}`,
    source: "github",
    requestedBy: null,
    requestedAt: at(600),
    kind: "completion",
  },
});

Deno.test("a pull-request delivery seen before changes nothing", () => {
  given(...worked(), merged("gh-1")).when(fact(merged("gh-1"))).thenNothing();
});

// --- claims and leases ----------------------------------------------------------------

Deno.test("a queued run is claimed with a lease and its first attempt", () => {
  given(requested("r1", "d1")).when(claim("r1", "L1", 2)).then(claimed("r1", "L1", 2, 1));
});

Deno.test("the queued run cannot be claimed while another run is active", () => {
  given(requested("r1", "d1"), claimed("r1", "L1"), requested("r2", "d2"))
    .when(claim("r2", "L2", 5))
    .thenError("issue_busy");
});

Deno.test("a run under a live lease cannot be claimed by another worker", () => {
  given(requested("r1", "d1"), claimed("r1", "L1", 0))
    .when(claim("r1", "L2", 59))
    .thenError("lease_held");
});

Deno.test("an expired lease is re-claimed as the next attempt", () => {
  given(requested("r1", "d1"), claimed("r1", "L1", 0))
    .when(claim("r1", "L2", 61))
    .then(claimed("r1", "L2", 61, 2));
});

Deno.test("the holder extends its lease; a stranger or a late holder cannot", () => {
  const history = [requested("r1", "d1"), claimed("r1", "L1", 0)];
  given(...history)
    .when({ type: "ExtendLease", runId: "r1", leaseId: "L1", leaseMs: 60_000, now: at(30) })
    .then({
      type: "RunLeaseExtended",
      data: { runId: "r1", leaseId: "L1", leaseExpiresAt: at(90) },
    });
  given(...history)
    .when({ type: "ExtendLease", runId: "r1", leaseId: "L9", leaseMs: 60_000, now: at(30) })
    .thenError("lease_not_held");
  given(...history)
    .when({ type: "ExtendLease", runId: "r1", leaseId: "L1", leaseMs: 60_000, now: at(60) })
    .thenError("lease_expired");
});

Deno.test("an extended lease keeps the run from being re-claimed", () => {
  given(requested("r1", "d1"), claimed("r1", "L1", 0), {
    type: "RunLeaseExtended",
    data: { runId: "r1", leaseId: "L1", leaseExpiresAt: at(120) },
  }).when(claim("r1", "L2", 90)).thenError("lease_held");
});

Deno.test("a stale lease holder cannot record steps after a re-claim", () => {
  given(requested("r1", "d1"), claimed("r1", "L1", 0), claimed("r1", "L2", 61, 2))
    .when(step("r1", "L1", fetched("r1"), 62))
    .thenError("lease_not_held");
});

Deno.test("claiming an unknown run is refused", () => {
  given(requested("r1", "d1")).when(claim("nope", "L1")).thenError("run_not_found");
});

// --- steps -----------------------------------------------------------------------------

Deno.test("the lease holder records a step once", () => {
  given(requested("r1", "d1"), claimed("r1", "L1")).when(step("r1", "L1", fetched("r1")))
    .then(fetched("r1"));
  given(requested("r1", "d1"), claimed("r1", "L1"), fetched("r1"))
    .when(step("r1", "L1", fetched("r1")))
    .thenError("step_already_recorded");
});

Deno.test("a recorded step stays recorded across a re-claim (resume after it)", () => {
  given(requested("r1", "d1"), claimed("r1", "L1", 0), fetched("r1"), claimed("r1", "L2", 61, 2))
    .when(step("r1", "L2", fetched("r1"), 62))
    .thenError("step_already_recorded");
  const state = replay([
    requested("r1", "d1"),
    claimed("r1", "L1", 0),
    fetched("r1"),
    claimed("r1", "L2", 61, 2),
  ]);
  assertEquals(Object.keys(state.runs["r1"].steps), ["fetch_issue"]);
});

Deno.test("a step for another run or a non-step event is refused", () => {
  given(requested("r1", "d1"), claimed("r1", "L1"))
    .when(step("r1", "L1", fetched("r2")))
    .thenError("not_a_step");
  given(requested("r1", "d1"), claimed("r1", "L1"))
    .when({
      ...step("r1", "L1", fetched("r1")),
      step: succeeded("r1") as unknown as StepEvent,
    })
    .thenError("not_a_step");
});

Deno.test("opening or updating the PR is one step, and the PR is remembered", () => {
  const history = [requested("r1", "d1"), claimed("r1", "L1"), prOpened("r1")];
  given(...history)
    .when(step("r1", "L1", {
      type: "PullRequestUpdated",
      data: { runId: "r1", number: 12, url: "https://github.com/acme/online-docs/pull/12" },
    }))
    .thenError("step_already_recorded");
  assertEquals(replay(history).pullRequest?.number, 12);
});

Deno.test("a queued run records no steps", () => {
  given(requested("r1", "d1")).when(step("r1", "L1", fetched("r1"))).thenError("lease_not_held");
});

// --- ending runs -----------------------------------------------------------------------

Deno.test("the holder completes, fails or schedules a retry of the run", () => {
  const history = [requested("r1", "d1"), claimed("r1", "L1")];
  given(...history)
    .when({
      type: "CompleteRun",
      runId: "r1",
      leaseId: "L1",
      now: at(10),
      outcome: "pr_opened",
      summary: "done",
    })
    .then(succeeded("r1"));
  given(...history)
    .when({
      type: "FailRun",
      runId: "r1",
      leaseId: "L1",
      now: at(10),
      step: "push",
      reason: "403 from GitHub",
      kind: "permanent",
    })
    .then({
      type: "RunFailed",
      data: { runId: "r1", step: "push", reason: "403 from GitHub", kind: "permanent" },
    });
  given(...history)
    .when({
      type: "ScheduleRetry",
      runId: "r1",
      leaseId: "L1",
      now: at(10),
      step: "generate_changes",
      reason: "LLM overloaded",
      notBefore: at(40),
    })
    .then({
      type: "RunRetryScheduled",
      data: {
        runId: "r1",
        step: "generate_changes",
        reason: "LLM overloaded",
        retry: 1,
        notBefore: at(40),
      },
    });
});

Deno.test("a run waiting for retry is claimable only once due, and stays active", () => {
  const history = [requested("r1", "d1"), claimed("r1", "L1"), {
    type: "RunRetryScheduled",
    data: { runId: "r1", step: "push", reason: "503", retry: 1, notBefore: at(40) },
  } as DomainEvent];
  given(...history).when(claim("r1", "L2", 39)).thenError("not_due");
  given(...history).when(claim("r1", "L2", 40)).then(claimed("r1", "L2", 40, 2));
  given(...history, requested("r2", "d2")).when(claim("r2", "L3", 41)).thenError("issue_busy");
});

Deno.test("finished runs are closed to steps, claims and endings", () => {
  for (
    const end of [
      succeeded("r1"),
      { type: "RunFailed", data: { runId: "r1", step: "x", reason: "y", kind: "permanent" } },
      { type: "RunCancelled", data: { runId: "r1", reason: "stop", cancelledBy: null } },
    ] as DomainEvent[]
  ) {
    const history = [requested("r1", "d1"), claimed("r1", "L1"), end];
    given(...history).when(step("r1", "L1", fetched("r1"))).thenError("run_finished");
    given(...history).when(claim("r1", "L2", 200)).thenError("run_finished");
    given(...history)
      .when({
        type: "CompleteRun",
        runId: "r1",
        leaseId: "L1",
        now: at(2),
        outcome: "pr_opened",
        summary: "",
      })
      .thenError("run_finished");
  }
});

Deno.test("after the active run ends, the queued run becomes claimable", () => {
  given(requested("r1", "d1"), claimed("r1", "L1"), requested("r2", "d2"), succeeded("r1"))
    .when(claim("r2", "L2", 100))
    .then(claimed("r2", "L2", 100, 1));
});

Deno.test("the holder of an expired lease cannot end the run", () => {
  given(requested("r1", "d1"), claimed("r1", "L1", 0))
    .when({
      type: "CompleteRun",
      runId: "r1",
      leaseId: "L1",
      now: at(61),
      outcome: "pr_opened",
      summary: "",
    })
    .thenError("lease_expired");
});

// --- cancellation ----------------------------------------------------------------------

Deno.test("cancel takes the active run first, then the queued one", () => {
  const cancelled = (runId: string): DomainEvent => ({
    type: "RunCancelled",
    data: { runId, reason: "not needed", cancelledBy: reviewer },
  });
  const cancel = {
    type: "CancelRun" as const,
    reason: "not needed",
    cancelledBy: reviewer,
    now: at(3),
  };
  given(requested("r1", "d1"), claimed("r1", "L1"), requested("r2", "d2"))
    .when(cancel)
    .then(cancelled("r1"));
  given(requested("r1", "d1")).when(cancel).then(cancelled("r1"));
  given(requested("r1", "d1"), claimed("r1", "L1"), requested("r2", "d2"))
    .when({ ...cancel, runId: "r2" })
    .then(cancelled("r2"));
  given().when(cancel).thenError("run_not_found");
});

Deno.test("a cancelled active run frees the issue for the queued run", () => {
  given(
    requested("r1", "d1"),
    claimed("r1", "L1"),
    requested("r2", "d2"),
    { type: "RunCancelled", data: { runId: "r1", reason: "x", cancelledBy: null } },
  ).when(claim("r2", "L2", 5)).then(claimed("r2", "L2", 5, 1));
});

// --- pull request facts ------------------------------------------------------------------

Deno.test("a merge is recorded and queues a completion run that reports it on Jira", () => {
  given(...worked(), succeeded("r1"))
    .when(fact(merged("gh-1")))
    .then(merged("gh-1"), completionRequested("gh-1"));
});

Deno.test("a merge cancels an iteration still queued, then queues the completion", () => {
  given(...worked(), requested("r2", "d2"))
    .when(fact(merged("gh-1")))
    .then(
      merged("gh-1"),
      {
        type: "RunCancelled",
        data: {
          runId: "r2",
          reason: "the pull request was merged before this run started",
          cancelledBy: null,
        },
      },
      completionRequested("gh-1"),
    );
});

Deno.test("a close queues a completion unless a run already waits; a review queues nothing", () => {
  const closed: DomainEvent = {
    type: "PrClosed",
    data: {
      deliveryId: "gh-2",
      number: 12,
      url: "https://github.com/acme/online-docs/pull/12",
      closedBy: "leigh",
      closedAt: at(9),
    },
  };
  given(...worked(), succeeded("r1"))
    .when(fact(closed))
    .then(closed, completionRequested("gh-2"));
  given(...worked(), requested("r2", "d2"))
    .when(fact(closed))
    .then(closed);
  const review: DomainEvent = {
    type: "PrReviewed",
    data: {
      deliveryId: "gh-3",
      number: 12,
      url: "https://github.com/acme/online-docs/pull/12",
      reviewer: "leigh",
      state: "approved",
      submittedAt: at(9),
    },
  };
  given(...worked()).when(fact(review)).then(review);
});

Deno.test("a completion run is claimed and recorded like any run", () => {
  const state = replay([
    ...worked(),
    succeeded("r1"),
    merged("gh-1"),
    completionRequested("gh-1"),
  ]);
  assertEquals(state.queuedRunId, "c1");
  assertEquals(state.runs["c1"].kind, "completion");
  assertEquals(state.deliveries["gh-1"], null);
  given(
    ...worked(),
    succeeded("r1"),
    merged("gh-1"),
    completionRequested("gh-1"),
  )
    .when(claim("c1", "L9", 700))
    .then(claimed("c1", "L9", 700, 1));
});

Deno.test("a merge or close updates the PR state on the stream", () => {
  const opened = [requested("r1", "d1"), claimed("r1", "L1"), prOpened("r1")];
  assertEquals(replay([...opened, merged("gh-1")]).pullRequest?.state, "merged");
  assertEquals(
    replay([...opened, {
      type: "PrClosed",
      data: {
        deliveryId: "gh-2",
        number: 12,
        url: "https://github.com/acme/online-docs/pull/12",
        closedBy: "leigh",
        closedAt: at(9),
      },
    }]).pullRequest?.state,
    "closed",
  );
});

Deno.test("an effect outside any run is recorded as is; a run's effect needs its lease", () => {
  const comment: DomainEvent = {
    type: "JiraCommented",
    data: { runId: null, commentId: "10001", purpose: "cancelled" },
  };
  given(requested("r1", "d1")).when({
    type: "RecordIssueEffect",
    effect: comment as EventOf<"JiraCommented">,
  })
    .then(comment);
  given(requested("r1", "d1"))
    .when({
      type: "RecordIssueEffect",
      effect: { type: "JiraCommented", data: { runId: "r1", commentId: "1", purpose: "result" } },
    })
    .thenError("not_a_step");
});

{
  // --- the order of steps ------------------------------------------------------------------

  const ev = <T extends StepEvent["type"]>(type: T, data: Partial<EventData<T>> = {}) =>
    ({ type, data: { runId: "r1", ...data } }) as unknown as StepEvent;
  const prepared = ev("WorkspacePrepared", {
    repoId: "docs",
    github: "acme/online-docs",
    branch: `ai/${KEY}`,
    baseBranch: "main",
    startSha: "abcdef1",
    continued: false,
  });
  const generated = ev("ChangesGenerated", {
    summary: "s",
    filesChanged: [],
    turns: 1,
    usage: { inputTokens: 1, outputTokens: 1 },
    provider: "anthropic",
    model: "m",
  });
  const validated = ev("ValidationCompleted", { passed: true, commands: [], repairs: 0 });
  const scanned = (empty: boolean) =>
    ev("DiffScanned", { empty, bytes: empty ? 0 : 10, filesChanged: empty ? [] : ["a.md"] });
  const commented = (purpose: EventData<"JiraCommented">["purpose"]) =>
    ev("JiraCommented", { commentId: "c1", purpose });
  const assigned = ev("JiraAssigned", { accountId: "acc-leigh" });

  Deno.test("steps are recorded in the order of the run's table; a step out of order is refused", () => {
    const base = [requested("r1", "d1"), claimed("r1", "L1")];
    given(...base).when(step("r1", "L1", prepared)).thenError("step_out_of_order");
    given(...base, fetched("r1")).when(step("r1", "L1", prepared)).then(prepared);
    given(...base, fetched("r1"), prepared)
      .when(step("r1", "L1", validated))
      .thenError("step_out_of_order");
    given(...base, fetched("r1"), prepared, generated, validated)
      .when(step("r1", "L1", commented("result")))
      .thenError("step_out_of_order");
  });

  Deno.test("a scan that found no change leads to the no-change comment and hand-over", () => {
    const done = [requested("r1", "d1"), claimed("r1", "L1"), fetched("r1"), prepared, generated];
    given(...done, validated, scanned(true))
      .when(step("r1", "L1", commented("no_changes")))
      .then(commented("no_changes"));
    given(...done, validated, scanned(false))
      .when(step("r1", "L1", commented("result")))
      .thenError("step_out_of_order");
  });

  Deno.test("the failure hand-over may interrupt the table: the failure comment, then the reviewer", () => {
    const base = [requested("r1", "d1"), claimed("r1", "L1"), fetched("r1")];
    given(...base)
      .when({ ...step("r1", "L1", commented("failure")), failureReport: true })
      .then(commented("failure"));
    given(...base, commented("failure"))
      .when({ ...step("r1", "L1", assigned), failureReport: true })
      .then(assigned);
    // Only a failure comment and the hand-over may claim to be one.
    given(...base)
      .when({ ...step("r1", "L1", commented("result")), failureReport: true })
      .thenError("step_out_of_order");
  });

  Deno.test("a completion run comments, then moves the issue; closed PRs get the comment only", () => {
    const completion = (d: string) =>
      requested("c1", `completion:${d}`, 600, { kind: "completion", source: "github" });
    const transitioned = (alreadyThere: boolean) =>
      ev("JiraTransitioned", {
        runId: "c1",
        transitionId: alreadyThere ? "-" : "31",
        transitionName: alreadyThere ? "" : "Done",
        toStatus: "Done",
        alreadyThere,
      });
    const said = ev("JiraCommented", { runId: "c1", commentId: "c", purpose: "merged" });
    const mergedRun = [
      prOpened("r1"),
      merged("gh-1"),
      completion("gh-1"),
      claimed("c1", "L9", 700),
    ];
    given(...mergedRun).when(step("c1", "L9", transitioned(false), 701))
      .thenError("step_out_of_order");
    given(...mergedRun).when(step("c1", "L9", said, 701)).then(said);
    given(...mergedRun, said).when(step("c1", "L9", transitioned(false), 702))
      .then(transitioned(false));
    // A person closed the issue already: that is recorded instead of the comment, and ends the run.
    given(...mergedRun).when(step("c1", "L9", transitioned(true), 701)).then(transitioned(true));
    const closed: EventOf<"PrClosed"> = {
      type: "PrClosed",
      data: {
        deliveryId: "gh-2",
        number: 12,
        url: "https://github.com/acme/online-docs/pull/12",
        closedBy: "leigh",
        closedAt: at(600),
      },
    };
    given(prOpened("r1"), closed, completion("gh-2"), claimed("c1", "L9", 700))
      .when(step("c1", "L9", transitioned(false), 701))
      .thenError("step_out_of_order");
  });
}

// --- which GitHub facts count (issue 13) -------------------------------------------------

const closedFact = (deliveryId: string, number = 12): EventOf<"PrClosed"> => ({
  type: "PrClosed",
  data: {
    deliveryId,
    number,
    url: `https://github.com/acme/online-docs/pull/${number}`,
    closedBy: "mallory",
    closedAt: at(9),
  },
});
const reviewFact = (deliveryId: string, reviewId: number): EventOf<"PrReviewed"> => ({
  type: "PrReviewed",
  data: {
    deliveryId,
    repo: "acme/online-docs",
    number: 12,
    reviewId,
    url: "https://github.com/acme/online-docs/pull/12#pullrequestreview-1",
    reviewer: "leigh",
    state: "approved",
    submittedAt: at(9),
  },
});

Deno.test("attack: a merge from a repository the issue was not worked in is refused", () => {
  given(...worked(), succeeded("r1"))
    .when(fact(merged("gh-1"), "mallory/unrelated"))
    .thenError("not_our_pull_request");
});

Deno.test("attack: a merge for an issue the runner never worked is refused", () => {
  given().when(fact(merged("gh-1"))).thenError("not_our_pull_request");
  // Requested, but nothing was ever pushed or opened.
  given(requested("r1", "d1"), claimed("r1", "L1"), prepared("r1"))
    .when(fact(merged("gh-1")))
    .thenError("not_our_pull_request");
});

Deno.test("attack: a fact about another PR number than the recorded one is refused", () => {
  given(...worked(), succeeded("r1"))
    .when(fact({ ...merged("gh-1"), data: { ...merged("gh-1").data, number: 99 } }))
    .thenError("not_our_pull_request");
});

Deno.test("with no PR recorded, only a PR from the branch the runner pushed counts", () => {
  const pushedOnly = [requested("r1", "d1"), claimed("r1", "L1"), prepared("r1"), pushed("r1")];
  given(...pushedOnly).when(fact(closedFact("gh-1", 40))).then(
    closedFact("gh-1", 40),
    completionRequested("gh-1"),
  );
  given(...pushedOnly)
    .when(fact(closedFact("gh-1", 40), "acme/online-docs", "ai/OTHER-1"))
    .thenError("not_our_pull_request");
});

Deno.test("attack: a merge replayed with new delivery ids is recorded once", () => {
  const history = [...worked(), succeeded("r1"), merged("gh-1"), completionRequested("gh-1")];
  for (const id of ["gh-2", "gh-3", "gh-4"]) {
    given(...history).when(fact(merged(id))).thenNothing();
  }
  // Even a different merge sha for the same, already merged PR is the same fact.
  given(...history)
    .when(fact({ ...merged("gh-5"), data: { ...merged("gh-5").data, mergeSha: "1234567abcdef" } }))
    .thenNothing();
});

Deno.test("attack: a close replayed with new delivery ids is recorded once", () => {
  const history = [...worked(), succeeded("r1"), closedFact("gh-1")];
  for (const id of ["gh-2", "gh-3", "gh-4"]) {
    given(...history).when(fact(closedFact(id))).thenNothing();
  }
});

Deno.test("a closed PR that the runner updated again may be closed again", () => {
  const history = [
    ...worked(),
    succeeded("r1"),
    closedFact("gh-1"),
    requested("r2", "d2"),
    claimed("r2", "L2"),
    { type: "PullRequestUpdated", data: { runId: "r2", number: 12, url: prOpened("r2").data.url } },
    succeeded("r2"),
  ] as DomainEvent[];
  given(...history).when(fact(closedFact("gh-9"))).then(
    closedFact("gh-9"),
    completionRequested("gh-9"),
  );
});

Deno.test("a review replayed with a new delivery id is recorded once", () => {
  given(...worked(), reviewFact("gh-1", 777)).when(fact(reviewFact("gh-2", 777))).thenNothing();
  given(...worked(), reviewFact("gh-1", 777))
    .when(fact(reviewFact("gh-2", 778)))
    .then(reviewFact("gh-2", 778));
});

Deno.test("positive control: the genuine merge of the recorded PR queues one completion", () => {
  given(...worked(), succeeded("r1"))
    .when(fact(merged("gh-1")))
    .then(merged("gh-1"), completionRequested("gh-1"));
});

// --- who may ask for work (issue 13) ---------------------------------------------------

const mallory = { accountId: "acc-mallory", displayName: "Mallory" };
const refuse = (deliveryId: string, runId = "n1", seconds = 0) => ({
  type: "RefuseRunRequest" as const,
  issueKey: KEY,
  deliveryId,
  requestedBy: mallory,
  reason: "Mallory is not among the people allowed to ask AI Runner for work",
  runId,
  now: at(seconds),
});
const refused = (deliveryId: string, noticeRunId: string | null, seconds = 0): DomainEvent => ({
  type: "RunRequestRefused",
  data: {
    deliveryId,
    requestedBy: mallory,
    requestedAt: at(seconds),
    reason: "Mallory is not among the people allowed to ask AI Runner for work",
    noticeRunId,
  },
});
const noticeRequested = (deliveryId: string, runId = "n1", seconds = 0): DomainEvent => ({
  type: "RunRequested",
  data: {
    runId,
    issueKey: KEY,
    deliveryId: `notice:${deliveryId}`,
    source: "jira",
    requestedBy: mallory,
    requestedAt: at(seconds),
    kind: "notice",
  },
});

Deno.test("a refused request is recorded and queues one notice run, never a change run", () => {
  given().when(refuse("d1")).then(refused("d1", "n1"), noticeRequested("d1"));
  const state = replay([refused("d1", "n1"), noticeRequested("d1")]);
  assertEquals(state.runs["n1"].kind, "notice");
  assertEquals(state.deliveries["d1"], "n1");
});

Deno.test("a refused delivery seen before changes nothing", () => {
  given(refused("d1", "n1"), noticeRequested("d1")).when(refuse("d1", "n2")).thenNothing();
});

Deno.test("a second refusal while a notice waits is recorded without another notice", () => {
  given(refused("d1", "n1"), noticeRequested("d1"))
    .when(refuse("d2", "n2", 5))
    .then(refused("d2", null, 5));
});

Deno.test("a refusal while a change run waits queues no notice (work will happen)", () => {
  given(requested("r1", "d1")).when(refuse("d2", "n2", 5)).then(refused("d2", null, 5));
});

Deno.test("an allowed request while a notice waits drops the notice and queues the run", () => {
  given(refused("d1", "n1"), noticeRequested("d1"))
    .when(request("r1", "d2", 5))
    .then(
      {
        type: "RunCancelled",
        data: {
          runId: "n1",
          reason: "an allowed person asked for a run before the refusal notice was posted",
          cancelledBy: null,
        },
      },
      requested("r1", "d2", 5),
    );
});

Deno.test("a merge while a refusal notice waits drops the notice and queues the completion", () => {
  given(...worked(), succeeded("r1"), refused("d9", "n1"), noticeRequested("d9"))
    .when(fact(merged("gh-1")))
    .then(
      merged("gh-1"),
      {
        type: "RunCancelled",
        data: {
          runId: "n1",
          reason: "the pull request ended before the refusal notice was posted",
          cancelledBy: null,
        },
      },
      completionRequested("gh-1"),
    );
});

Deno.test("a run whose PR checks failed ends as checks_repair and queues the repair run", () => {
  const base = [requested("r1", "d1"), claimed("r1", "L1")];
  given(...base)
    .when({
      type: "CompleteRun",
      runId: "r1",
      leaseId: "L1",
      now: at(30),
      outcome: "checks_repair",
      summary: "checks failed",
      followUpRunId: "r2",
    })
    .then(
      {
        type: "RunSucceeded",
        data: { runId: "r1", outcome: "checks_repair", summary: "checks failed" },
      },
      {
        type: "RunRequested",
        data: {
          runId: "r2",
          issueKey: KEY,
          deliveryId: "checks:r1",
          source: "checks",
          requestedBy: null,
          requestedAt: at(30),
        },
      },
    );
  // A run already waiting fetches the failed checks too: nothing more is queued.
  given(...base, requested("r3", "d3"))
    .when({
      type: "CompleteRun",
      runId: "r1",
      leaseId: "L1",
      now: at(30),
      outcome: "checks_repair",
      summary: "checks failed",
      followUpRunId: "r2",
    })
    .then({
      type: "RunSucceeded",
      data: { runId: "r1", outcome: "checks_repair", summary: "checks failed" },
    });
});
