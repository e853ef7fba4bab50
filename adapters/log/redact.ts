/**
 * Secret redaction for everything that leaves the process in text: logs, Jira
 * comments, PR bodies, LLM prompts and events. Redacts the runner's own secret
 * values (exactly) and common token shapes.
 *
 * @module
 */

/** Token shapes that are secrets wherever they appear. */
export const SECRET_SHAPES: readonly RegExp[] = [
  /\bgh[pousr]_[A-Za-z0-9]{20,255}\b/g, // GitHub tokens
  /\bgithub_pat_[A-Za-z0-9_]{22,255}\b/g,
  /\bsk-ant-[A-Za-z0-9_-]{20,}\b/g, // Anthropic
  /\bsk-(?:proj-)?[A-Za-z0-9_-]{20,}\b/g, // OpenAI
  /\bAKIA[0-9A-Z]{16}\b/g, // AWS access key id
  /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/g, // Slack
  /\bATATT[A-Za-z0-9_=-]{20,}\b/g, // Atlassian API token
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
  /(authorization:\s*(?:basic|bearer|token)\s+)[A-Za-z0-9+/=._-]{8,}/gi,
];

/** Replacement text for a redacted secret. */
export const REDACTED = "[REDACTED]";

/** Redacts secret values and token shapes from text. */
export class Redactor {
  readonly #values: string[];

  /** `secrets`: the runner's own secret values; values shorter than 6 chars are ignored. */
  constructor(secrets: Iterable<string | undefined | null>) {
    this.#values = [...new Set([...secrets].filter((s): s is string => !!s && s.length >= 6))]
      .sort((a, b) => b.length - a.length);
  }

  /** The text with every known secret value and token shape replaced. */
  redact(text: string): string {
    let out = text;
    for (const v of this.#values) {
      if (out.includes(v)) out = out.split(v).join(REDACTED);
    }
    for (const shape of SECRET_SHAPES) {
      out = out.replace(
        shape,
        (match, prefix) =>
          typeof prefix === "string" && match.startsWith(prefix)
            ? `${prefix}${REDACTED}`
            : REDACTED,
      );
    }
    return out;
  }

  /** True when the text holds a known secret value or token shape. */
  contains(text: string): boolean {
    return this.redact(text) !== text;
  }

  /** Deeply redacts strings inside a JSON-like value. */
  redactValue(value: unknown): unknown {
    if (typeof value === "string") return this.redact(value);
    if (Array.isArray(value)) return value.map((v) => this.redactValue(v));
    if (value instanceof Error) {
      return { name: value.name, message: this.redact(value.message) };
    }
    if (value && typeof value === "object") {
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => [
          k,
          /secret|token|password|api[_-]?key|authorization/i.test(k) && typeof v === "string"
            ? REDACTED
            : this.redactValue(v),
        ]),
      );
    }
    return value;
  }
}
