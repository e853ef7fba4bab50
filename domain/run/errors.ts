/**
 * Expected refusals of the Run decider. They are results, not exceptions: the
 * caller decides whether a refusal is a conflict to report, a race it lost, or
 * a bug.
 *
 * @module
 */

/** Why the decider refused a command. */
export type DomainErrorCode =
  | "run_not_found"
  | "issue_mismatch"
  | "issue_busy"
  | "lease_held"
  | "lease_not_held"
  | "lease_expired"
  | "not_due"
  | "run_finished"
  | "step_already_recorded"
  | "step_out_of_order"
  | "not_a_step"
  /** A GitHub fact about a repository or pull request that is not the issue's. */
  | "not_our_pull_request"
  | "not_retryable";

/** A refused command: a code for programs and a sentence for people. */
export interface DomainError {
  kind: "domain_error";
  code: DomainErrorCode;
  message: string;
}

/** Builds a {@link DomainError}. */
export function domainError(code: DomainErrorCode, message: string): DomainError {
  return { kind: "domain_error", code, message };
}

/** True when a decision is a refusal rather than events. */
export function isDomainError(value: unknown): value is DomainError {
  return typeof value === "object" && value !== null &&
    (value as { kind?: unknown }).kind === "domain_error";
}
