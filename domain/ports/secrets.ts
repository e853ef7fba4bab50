/**
 * The secrets port: redaction of everything that leaves the process in text,
 * and the secret scan of a change before it is pushed. Adapter:
 * `adapters/log/redact.ts` (the runner's own secret values, also base64,
 * base64url, hex and URL-encoded, and common token shapes).
 *
 * @module
 */

/** Text redaction and secret detection (the runner's secrets and token shapes). */
export interface SecretFilter {
  /** The text with every secret found replaced by `[REDACTED]`. */
  redact(text: string): string;
  /** True when the text holds a secret (in any form the filter knows). */
  contains(text: string): boolean;
}

/** A secret found in a change: where, and what kind; never the value. */
export interface SecretFinding {
  /** The file (path after `b/` in the diff header), or `?` when the diff names none. */
  file: string;
  /** What was found, e.g. `a runner secret (base64)`, `a GitHub token`. */
  kind: string;
}

/** A {@link SecretFilter} that can also say where in a diff the secrets are. */
export interface SecretScanner extends SecretFilter {
  /** The files of a unified git diff that hold a secret, each once, with what was found. */
  scanDiff(diff: string): SecretFinding[];
}
