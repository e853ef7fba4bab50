/**
 * How the workflow classifies what went wrong: transient (retry later with
 * backoff, honouring the other side's Retry-After) or permanent (fail the run
 * with a clear reason). Every adapter error carries a `kind`; anything else is
 * a bug or an unknown condition, retried a bounded number of times.
 *
 * @module
 */

/** The run lost its lease (another worker took it over, or it was cancelled). */
export class LeaseLost extends Error {
  constructor(readonly runId: string, readonly why: string) {
    super(`run ${runId}: ${why}`);
    this.name = "LeaseLost";
  }
}

/** A failure the workflow decided on itself (no repo, secret in diff, budget). */
export class RunStopped extends Error {
  constructor(
    readonly step: string,
    readonly kind: "permanent" | "budget" | "config",
    message: string,
  ) {
    super(message);
    this.name = "RunStopped";
  }
}

/** What to do about an error. */
export interface Classified {
  transient: boolean;
  /** How long the other side asked us to wait, if it said. */
  retryAfterMs?: number;
  message: string;
}

/** Classifies any thrown value. */
export function classify(error: unknown): Classified {
  const e = error as { kind?: unknown; retryAfterMs?: unknown; message?: unknown; name?: unknown };
  const message = typeof e?.message === "string" ? e.message : String(error);
  const retryAfterMs = typeof e?.retryAfterMs === "number" ? e.retryAfterMs : undefined;
  if (e?.kind === "permanent" || e?.kind === "budget" || e?.kind === "config") {
    return { transient: false, message };
  }
  return { transient: true, retryAfterMs, message };
}

/** Backoff before retry `n` (1-based): 30 s doubling, capped at 10 min, jittered ×0.7–1.3. */
export function retryDelayMs(
  n: number,
  retryAfterMs: number | undefined,
  random = Math.random,
): number {
  const base = Math.min(30_000 * 2 ** (n - 1), 600_000) * (0.7 + 0.6 * random());
  return Math.max(Math.round(base), retryAfterMs ?? 0);
}
