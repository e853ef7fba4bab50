/**
 * The one failure policy: what a thrown error means for a run, and when to try
 * again.
 *
 * - `transient` (a port error that says so: network, 429, 5xx, an overloaded
 *   model): retried with backoff and jitter, honouring the other side's
 *   `Retry-After`, up to `maxRetries` attempts, then the run fails as
 *   `transient_exhausted`;
 * - `permanent` (a port error that says so: 401/403/404, bad input), and the
 *   failures the workflow decides on itself ({@link RunStopped}: budget, config,
 *   a secret in the diff): the run fails at once;
 * - `bug`: anything no adapter classified (a `TypeError`, say). It may be a
 *   passing condition, so it is retried, but only `maxBugRetries` times; then
 *   the run fails with the error's name and message in the event.
 *
 * Pure: the clock's reading and the random source are passed in.
 *
 * @module
 */
import type { ErrorKind } from "../ports/errors.ts";
import type { RunPhase } from "../run/state.ts";
import type { StopCause } from "./stop_reason.ts";

/** The run lost its lease (taken over, cancelled) or the worker is stopping. */
export class LeaseLost extends Error {
  constructor(
    readonly runId: string,
    readonly why: string,
    readonly reason: StopCause = "lease_lost",
  ) {
    super(`run ${runId}: ${why}`);
    this.name = "LeaseLost";
  }
}

/** A failure the workflow decided on itself (no repo, secret in diff, budget). */
export class RunStopped extends Error {
  constructor(
    /** Where it happened: a step of the step tables, never a free string. */
    readonly step: RunPhase,
    readonly kind: "permanent" | "budget" | "config",
    message: string,
  ) {
    super(message);
    this.name = "RunStopped";
  }
}

/**
 * The run may not start yet (its repository's daily LLM budget is used up): it
 * waits until `until`, whatever its attempts, and is not a failure.
 */
export class RunDeferred extends Error {
  constructor(readonly until: Date, reason: string) {
    super(reason);
    this.name = "RunDeferred";
  }
}

/** What an error is, for the policy. */
export interface Classified {
  kind: ErrorKind | "bug";
  /** How long the other side asked us to wait, if it said. */
  retryAfterMs?: number;
  message: string;
}

/** Classifies any thrown value by the `kind` it carries; no kind is a bug. */
export function classify(error: unknown): Classified {
  const e = error as { kind?: unknown; retryAfterMs?: unknown; message?: unknown; name?: unknown };
  const message = typeof e?.message === "string" ? e.message : String(error);
  const retryAfterMs = typeof e?.retryAfterMs === "number" ? e.retryAfterMs : undefined;
  if (e?.kind === "transient") return { kind: "transient", retryAfterMs, message };
  if (e?.kind === "permanent" || e?.kind === "budget" || e?.kind === "config") {
    return { kind: "permanent", message };
  }
  const name = typeof e?.name === "string" && e.name !== "Error" ? `${e.name}: ` : "";
  return { kind: "bug", message: `${name}${message}` };
}

/** Backoff before retry `n` (1-based): 30 s doubling, capped at 10 min, jittered ×0.7–1.3. */
export function retryDelayMs(n: number, retryAfterMs: number | undefined, random: () => number) {
  const base = Math.min(30_000 * 2 ** (n - 1), 600_000) * (0.7 + 0.6 * random());
  return Math.max(Math.round(base), retryAfterMs ?? 0);
}

/** The failure kinds a run may end with. */
export type FailureKind = "permanent" | "transient_exhausted" | "budget" | "config" | "bug";

/** What to do about a failed attempt. */
export type FailureDecision =
  | { action: "retry"; step: RunPhase; reason: string; notBefore: Date }
  | { action: "fail"; step: RunPhase; reason: string; kind: FailureKind };

/** The limits of the policy. */
export interface FailureLimits {
  /** Attempts a transient failure may take before the run fails. */
  maxRetries: number;
  /** Attempts an unclassified error may take before the run fails. */
  maxBugRetries: number;
}

/** Decides between retry and failure for an error thrown at `step` on `attempt` (1-based). */
export function decideFailure(
  error: unknown,
  at: { step: RunPhase; attempt: number; now: Date; random: () => number },
  limits: FailureLimits,
): FailureDecision {
  if (error instanceof RunStopped) {
    return { action: "fail", step: error.step, reason: error.message, kind: error.kind };
  }
  if (error instanceof RunDeferred) {
    return { action: "retry", step: at.step, reason: error.message, notBefore: error.until };
  }
  const c = classify(error);
  const limit = c.kind === "transient"
    ? limits.maxRetries
    : c.kind === "bug"
    ? limits.maxBugRetries
    : 0;
  if (at.attempt <= limit) {
    const delay = retryDelayMs(at.attempt, c.retryAfterMs, at.random);
    return {
      action: "retry",
      step: at.step,
      reason: c.message,
      notBefore: new Date(at.now.getTime() + delay),
    };
  }
  if (c.kind === "permanent") {
    return { action: "fail", step: at.step, reason: c.message, kind: "permanent" };
  }
  return {
    action: "fail",
    step: at.step,
    reason: `${c.message} (still failing after ${at.attempt} attempts)`,
    kind: c.kind === "bug" ? "bug" : "transient_exhausted",
  };
}
