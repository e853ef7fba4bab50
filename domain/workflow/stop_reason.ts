/**
 * Why a run's work stopped before it ended, in words an operator can act on:
 * the worker is stopping (SIGTERM), the run was cancelled, or the lease was
 * lost (another worker took the run after the lease ran out, or it ended
 * elsewhere). The worker passes the cause as the lease's abort reason and
 * logs {@link describeStop} of it.
 *
 * @module
 */
import type { DomainError } from "../run/errors.ts";

/** What stopped a run's work. */
export type StopCause = "worker_stopping" | "cancelled" | "lease_lost";

/** The cause a refused `ExtendLease` means. */
export function stopCauseOfLeaseError(error: DomainError): StopCause {
  if (error.code === "run_finished" && /\bcancelled\b/.test(error.message)) return "cancelled";
  return "lease_lost";
}

/** The cause carried by an aborted lease signal (`AbortController.abort(cause)`). */
export function stopCauseOf(reason: unknown): StopCause {
  return reason === "worker_stopping" || reason === "cancelled" ? reason : "lease_lost";
}

/** The log line for a stopped run. */
export function describeStop(cause: StopCause): string {
  switch (cause) {
    case "worker_stopping":
      return "run stopped: the worker is stopping; the run resumes when its lease runs out";
    case "cancelled":
      return "run stopped: the run was cancelled";
    case "lease_lost":
      return "run stopped: the lease was lost (another worker holds the run, or it ended elsewhere)";
  }
}
