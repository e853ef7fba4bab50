/**
 * The secrets port: redacts the runner's secrets from text and tells whether
 * text holds one (the runner's own secret values and common token shapes).
 * Adapter: `adapters/log/redact.ts`.
 *
 * @module
 */

/** Text redaction and secret detection. */
export interface SecretFilter {
  /** The text with every secret replaced by a placeholder. */
  redact(text: string): string;
  /** True when the text holds a secret. */
  contains(text: string): boolean;
}
