/**
 * What every port's error says about itself: worth retrying as it is
 * (`transient`: network trouble, 429, 5xx, an overloaded model) or not
 * (`permanent`: 401/403/404, bad input, bad configuration). The workflow's one
 * failure policy (`domain/workflow/failure.ts`) reads nothing else.
 *
 * @module
 */

/** Transient failures are worth retrying as they are; permanent ones are not. */
export type ErrorKind = "transient" | "permanent";
