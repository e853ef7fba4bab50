/**
 * The worker: claims due runs from the queue with a lease, keeps the lease alive
 * while a run works, and ends each run as succeeded, failed (with a Jira comment
 * and the reviewer assigned) or scheduled for retry.
 *
 * Many workers may run at once, in one process or many: the Run decider is the
 * judge of every claim, and the stream version fences a worker that lost its
 * lease.
 *
 * @module
 */
import { type CommandContext, handleCommand } from "../command_handler.ts";
import type { RunCommand } from "../run/commands.ts";
import { isDomainError } from "../run/errors.ts";
import type { RunPhase } from "../run/state.ts";
import { issueStream } from "../events.ts";
import { pendingCancelComments, postCancelComment } from "./cancel.ts";
import { decideFailure, LeaseLost } from "./failure.ts";
import { describeStop, type StopCause, stopCauseOf, stopCauseOfLeaseError } from "./stop_reason.ts";
import { failureAdvice, failureComment } from "./messages.ts";
import { type RunHandle, RunWorkflow, type WorkflowDeps } from "./run_workflow.ts";

/** A run a worker may claim now. */
export interface DueRun {
  issueKey: string;
  runId: string;
}

/** Where the worker finds work: the `queue` read model, caught up. */
export interface RunQueue {
  /** Runs claimable at `now` (ISO), oldest first. */
  due(now: string, limit: number): Promise<DueRun[]>;
  /** Resolves when something may have changed (an append), or after `ms`. */
  wait(ms: number, signal: AbortSignal): Promise<void>;
  /** Issues that owe a cancel comment on Jira (a cancel recorded without Jira). */
  cancelCommentsOwed?(): Promise<string[]>;
}

/** Options of {@link Worker}. */
export interface WorkerOptions {
  /** Runs worked on at once by this worker. Default 1. */
  concurrency?: number;
  /** Lease length; renewed every third of it. Default 60 s. */
  leaseMs?: number;
  /** How often to look for due runs when nothing wakes the worker. Default 1 s. */
  pollIntervalMs?: number;
  /** New lease ids (default: the deps' `newId`). */
  newLeaseId?: () => string;
  /** Attempts an unclassified error (a bug) may take before its run fails. Default 2. */
  maxBugRetries?: number;
  /** Called when a run ends here, whatever the ending (e.g. to sweep its worktree). */
  afterRun?: () => Promise<void>;
}

/** What became of one claimed run. */
export type RunEnding = "succeeded" | "failed" | "retry_scheduled" | "lease_lost";

/** Claims and works runs. */
export class Worker {
  readonly #deps: WorkflowDeps;
  readonly #queue: RunQueue;
  readonly #concurrency: number;
  readonly #leaseMs: number;
  readonly #pollMs: number;
  readonly #newLeaseId: () => string;
  readonly #maxBugRetries: number;
  readonly #afterRun: () => Promise<void>;
  readonly #active = new Map<string, Promise<RunEnding>>();

  constructor(deps: WorkflowDeps, queue: RunQueue, options: WorkerOptions = {}) {
    this.#deps = deps;
    this.#queue = queue;
    this.#concurrency = Math.max(1, options.concurrency ?? 1);
    this.#leaseMs = options.leaseMs ?? 60_000;
    this.#pollMs = options.pollIntervalMs ?? 1_000;
    this.#newLeaseId = options.newLeaseId ?? deps.newId;
    this.#maxBugRetries = options.maxBugRetries ?? 2;
    this.#afterRun = options.afterRun ?? (() => Promise.resolve());
  }

  get #ctx(): CommandContext {
    return { actor: `worker:${this.#deps.workerId}` };
  }

  /** Works until `signal` aborts; then lets runs in progress stop at their next step. */
  async run(signal: AbortSignal): Promise<void> {
    this.#deps.logger.info("worker started", {
      workerId: this.#deps.workerId,
      concurrency: this.#concurrency,
    });
    while (!signal.aborted) {
      try {
        await this.#claimDue(signal);
        await this.#postOwedCancelComments();
      } catch (error) {
        this.#deps.logger.error("claiming failed; will try again", { error });
      }
      const finished = Promise.race([...this.#active.values()]).then(() => {});
      await Promise.race([this.#queue.wait(this.#pollMs, signal), finished]);
    }
    await Promise.allSettled([...this.#active.values()]);
    this.#deps.logger.info("worker stopped", { workerId: this.#deps.workerId });
  }

  /** Claims and works due runs until none is left (tests, the demo). */
  async drain(signal: AbortSignal = new AbortController().signal): Promise<RunEnding[]> {
    const endings: RunEnding[] = [];
    await this.#postOwedCancelComments();
    for (;;) {
      const started = await this.#claimDue(signal, endings);
      if (started === 0 && this.#active.size === 0) return endings;
      await Promise.race([...this.#active.values()]).catch(() => {});
    }
  }

  /** Posts the Jira comments that cancels recorded without Jira (CLI, admin) still owe. */
  async #postOwedCancelComments(): Promise<void> {
    for (const issueKey of (await this.#queue.cancelCommentsOwed?.()) ?? []) {
      const events = await this.#deps.store.readStream(issueStream(issueKey));
      for (const pending of pendingCancelComments(events)) {
        try {
          await postCancelComment(this.#deps, issueKey, pending);
        } catch (error) {
          this.#deps.logger.warn("could not post a cancel comment; will try again", {
            issueKey,
            error,
          });
        }
      }
    }
  }

  async #claimDue(signal: AbortSignal, endings?: RunEnding[]): Promise<number> {
    const free = this.#concurrency - this.#active.size;
    if (free <= 0 || signal.aborted) return 0;
    const now = this.#deps.clock().toISOString();
    const due = await this.#queue.due(now, free * 4);
    let started = 0;
    for (const run of due) {
      if (this.#active.size >= this.#concurrency) break;
      if (this.#active.has(run.issueKey)) continue;
      const leaseId = this.#newLeaseId();
      const claimed = await handleCommand(this.#deps.store, run.issueKey, {
        type: "ClaimRun",
        runId: run.runId,
        workerId: this.#deps.workerId,
        leaseId,
        leaseMs: this.#leaseMs,
        now: this.#deps.clock().toISOString(),
      }, this.#ctx);
      if (!claimed.ok) continue; // another worker got there first, or not due after all
      const attempt = claimed.state.runs[run.runId]?.attempt ?? 1;
      const work = this.#work(run, leaseId, attempt, signal).catch((error): RunEnding => {
        // The store failed while the run was being ended (a database restart): the
        // worker goes on; the run's lease runs out and it is claimed again.
        this.#deps.logger.error("could not end the run; it is claimed again once its lease ends", {
          issueKey: run.issueKey,
          runId: run.runId,
          error,
        });
        return "lease_lost";
      }).finally(() => {
        this.#active.delete(run.issueKey);
        void this.#afterRun().catch(() => {});
      });
      this.#active.set(run.issueKey, work);
      if (endings) work.then((e) => endings.push(e), () => {});
      started++;
    }
    return started;
  }

  async #work(
    run: DueRun,
    leaseId: string,
    attempt: number,
    stop: AbortSignal,
  ): Promise<RunEnding> {
    const log = this.#deps.logger.child({ issueKey: run.issueKey, runId: run.runId, attempt });
    const lease = new AbortController();
    const onStop = () => lease.abort("worker_stopping" satisfies StopCause);
    stop.addEventListener("abort", onStop, { once: true });
    const handle: RunHandle = { ...run, leaseId, signal: lease.signal, step: "claim" };
    const heartbeat = setInterval(
      () => this.#extend(run, leaseId, lease, handle),
      this.#leaseMs / 3,
    );
    const workflow = new RunWorkflow(this.#deps, handle);
    log.info("run claimed");
    try {
      const result = await workflow.execute();
      clearInterval(heartbeat);
      const ended = await this.#end(run, {
        type: "CompleteRun",
        runId: run.runId,
        leaseId,
        now: this.#deps.clock().toISOString(),
        outcome: result.outcome,
        summary: this.#deps.secrets.redact(result.summary).slice(0, 10_000),
        ...(result.outcome === "checks_repair" ? { followUpRunId: this.#deps.newId() } : {}),
      });
      log.info(ended ? `run succeeded (${result.outcome})` : "run ended elsewhere");
      return ended ? "succeeded" : "lease_lost";
    } catch (error) {
      clearInterval(heartbeat);
      if (error instanceof LeaseLost || lease.signal.aborted) {
        const why: StopCause = lease.signal.aborted
          ? stopCauseOf(lease.signal.reason)
          : (error as LeaseLost).reason;
        log.warn(describeStop(why), { step: handle.step, why });
        return "lease_lost";
      }
      return await this.#failOrRetry(run, leaseId, attempt, handle.step, error, workflow, log);
    } finally {
      clearInterval(heartbeat);
      stop.removeEventListener("abort", onStop);
    }
  }

  async #failOrRetry(
    run: DueRun,
    leaseId: string,
    attempt: number,
    step: RunPhase,
    error: unknown,
    workflow: RunWorkflow,
    log: WorkflowDeps["logger"],
  ): Promise<RunEnding> {
    const { secrets, settings } = this.#deps;
    const now = this.#deps.clock();
    const decision = decideFailure(
      error,
      { step, attempt, now, random: this.#deps.random },
      { maxRetries: settings.maxRetries, maxBugRetries: this.#maxBugRetries },
    );
    if (decision.action === "retry") {
      log.warn("failure; retry scheduled", {
        step,
        error: secrets.redact(decision.reason),
        notBefore: decision.notBefore.toISOString(),
      });
      const ok = await this.#end(run, {
        type: "ScheduleRetry",
        runId: run.runId,
        leaseId,
        now: now.toISOString(),
        step,
        reason: secrets.redact(decision.reason).slice(0, 2_000),
        notBefore: decision.notBefore.toISOString(),
      });
      return ok ? "retry_scheduled" : "lease_lost";
    }
    const { kind, step: failedStep } = decision;
    const reason = secrets.redact(decision.reason).slice(0, 2_000);
    log.error("run failed", { step: failedStep, kind, reason });
    try {
      await workflow.reportFailure(
        failureComment(run.issueKey, run.runId, failedStep, reason, failureAdvice(kind)),
      );
    } catch (e) {
      if (e instanceof LeaseLost) return "lease_lost";
      throw e;
    }
    const ok = await this.#end(run, {
      type: "FailRun",
      runId: run.runId,
      leaseId,
      now: this.#deps.clock().toISOString(),
      step: failedStep,
      reason,
      kind,
    });
    return ok ? "failed" : "lease_lost";
  }

  async #end(run: DueRun, command: RunCommand): Promise<boolean> {
    const result = await handleCommand(this.#deps.store, run.issueKey, command, this.#ctx);
    if (!result.ok && !isDomainError(result.error)) throw new Error(result.error.message);
    return result.ok;
  }

  async #extend(
    run: DueRun,
    leaseId: string,
    lease: AbortController,
    handle: RunHandle,
  ): Promise<void> {
    // The heartbeat carries how far the model has got, for the live dashboard.
    const p = handle.progress;
    try {
      const result = await handleCommand(this.#deps.store, run.issueKey, {
        type: "ExtendLease",
        runId: run.runId,
        leaseId,
        leaseMs: this.#leaseMs,
        now: this.#deps.clock().toISOString(),
        ...(p
          ? {
            progress: {
              turns: p.turns,
              toolCalls: p.toolCalls,
              inputTokens: p.usage.inputTokens,
              outputTokens: p.usage.outputTokens,
              ...(p.costUsd > 0 ? { costUsd: Math.round(p.costUsd * 1e6) / 1e6 } : {}),
            },
          }
          : {}),
      }, this.#ctx);
      if (!result.ok && isDomainError(result.error)) {
        this.#deps.logger.warn("lease lost", { runId: run.runId, reason: result.error.message });
        lease.abort(stopCauseOfLeaseError(result.error));
      }
    } catch (error) {
      this.#deps.logger.warn("could not extend the lease; will try again", { error });
    }
  }
}
