/**
 * Secret redaction for everything that leaves the process in text: logs, Jira
 * comments, PR bodies, LLM prompts and events; and the secret scan of a change
 * before it is pushed.
 *
 * Known are the runner's own secret values, exactly and in the forms a model
 * or a script would write them (base64 at each of the three byte alignments an
 * embedded value can have, base64url, hex in either case, URL-encoded), and
 * common token shapes (GitHub, Anthropic, OpenAI, AWS, Slack, Atlassian,
 * private keys). A finding names the file and the kind, never the value.
 *
 * @module
 */
import type { SecretFinding, SecretScanner } from "../../domain/ports/secrets.ts";

/** A token shape: its name (for findings) and its pattern. */
interface Shape {
  kind: string;
  pattern: RegExp;
}

const SHAPES: readonly Shape[] = [
  { kind: "a GitHub token", pattern: /\bgh[pousr]_[A-Za-z0-9]{20,255}\b/g },
  { kind: "a GitHub token", pattern: /\bgithub_pat_[A-Za-z0-9_]{22,255}\b/g },
  { kind: "an Anthropic key", pattern: /\bsk-ant-[A-Za-z0-9_-]{20,}\b/g },
  { kind: "an OpenAI key", pattern: /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}\b/g },
  { kind: "an AWS access key id", pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g },
  { kind: "a Slack token", pattern: /\bxox[abeprs]-[A-Za-z0-9-]{10,}\b/g },
  { kind: "an Atlassian API token", pattern: /\bATATT[A-Za-z0-9_=-]{20,}\b/g },
  {
    kind: "a private key",
    pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
  },
  // A key cut short (or split over diff lines) still shows its header.
  { kind: "a private key", pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/g },
  {
    kind: "a credential header",
    pattern: /(authorization:\s*(?:basic|bearer|token)\s+)[A-Za-z0-9+/=._-]{8,}/gi,
  },
];

/** Token shapes that are secrets wherever they appear. */
export const SECRET_SHAPES: readonly RegExp[] = SHAPES.map((s) => s.pattern);

/** Replacement text for a redacted secret. */
export const REDACTED = "[REDACTED]";

/** Shortest encoded form looked for: shorter ones would match by chance. */
const MIN_ENCODED = 8;

/** One form of one secret value, exactly as it would appear in text. */
interface Needle {
  text: string;
  kind: string;
}

const encoder = new TextEncoder();

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/**
 * The base64 characters that depend only on `value`'s bytes when it sits at
 * byte offset `offset` (0, 1 or 2) of a longer base64-encoded stream: what
 * any encoding of text containing the value must contain.
 */
export function base64Core(value: Uint8Array, offset: 0 | 1 | 2): string {
  const padded = new Uint8Array(offset + value.length);
  padded.set(value, offset);
  const encoded = base64(padded).replace(/=+$/, "");
  const total = offset + value.length;
  const tail = total % 3; // bytes in the last, partial group
  const end = Math.floor(total / 3) * 4 + (tail === 0 ? 0 : tail);
  const start = [0, 2, 3][offset];
  return encoded.slice(start, end);
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Every form of a secret value the filter looks for. */
function needlesOf(value: string): Needle[] {
  const bytes = encoder.encode(value);
  const out: Needle[] = [{ text: value, kind: "a runner secret" }];
  const add = (text: string, kind: string) => {
    if (text.length >= MIN_ENCODED && text !== value) out.push({ text, kind });
  };
  for (const offset of [0, 1, 2] as const) {
    const core = base64Core(bytes, offset);
    add(core, "a runner secret (base64)");
    add(core.replaceAll("+", "-").replaceAll("/", "_"), "a runner secret (base64url)");
  }
  add(hex(bytes), "a runner secret (hex)");
  add(hex(bytes).toUpperCase(), "a runner secret (hex)");
  const url = encodeURIComponent(value);
  add(url, "a runner secret (URL-encoded)");
  add(url.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()), "a runner secret (URL-encoded)");
  // Form encoding writes spaces as `+`.
  add(url.replaceAll("%20", "+"), "a runner secret (URL-encoded)");
  return out;
}

/** Lines of a diff's additions and context joined without their breaks (wrapped base64, PEM). */
function joinedLines(text: string): string {
  return text.replace(/\r?\n[+ ]?/g, "");
}

/** Redacts secret values (in every known form) and token shapes from text. */
export class Redactor implements SecretScanner {
  readonly #needles: Needle[];

  /** `secrets`: the runner's own secret values; values shorter than 6 chars are ignored. */
  constructor(secrets: Iterable<string | undefined | null>) {
    const values = [...new Set([...secrets].filter((s): s is string => !!s && s.length >= 6))];
    const seen = new Set<string>();
    this.#needles = values.flatMap(needlesOf)
      .filter((n) => !seen.has(n.text) && seen.add(n.text))
      .sort((a, b) => b.text.length - a.text.length);
  }

  /** The text with every known secret value (in any known form) and token shape replaced. */
  redact(text: string): string {
    let out = text;
    for (const n of this.#needles) {
      if (out.includes(n.text)) out = out.split(n.text).join(REDACTED);
    }
    for (const { pattern } of SHAPES) {
      out = out.replace(
        pattern,
        (match, prefix) =>
          typeof prefix === "string" && match.startsWith(prefix)
            ? `${prefix}${REDACTED}`
            : REDACTED,
      );
    }
    return out;
  }

  /**
   * True when the text holds a known secret value or token shape, also when
   * an encoded value is wrapped over several lines.
   */
  contains(text: string): boolean {
    return this.#kinds(text).length > 0;
  }

  /** The files of a unified diff that hold a secret, each with what was found (never the value). */
  scanDiff(diff: string): SecretFinding[] {
    const findings: SecretFinding[] = [];
    const parts = diff.split(/^diff --git /m).filter((p) => p.length > 0);
    for (const part of parts) {
      const kinds = this.#kinds(part);
      if (kinds.length === 0) continue;
      const header = part.split("\n")[0];
      const file = header.includes(" b/") ? header.slice(header.lastIndexOf(" b/") + 3) : "?";
      findings.push({ file, kind: kinds.join(", ") });
    }
    return findings;
  }

  #kinds(text: string): string[] {
    const kinds = new Set<string>();
    const joined = joinedLines(text);
    for (const n of this.#needles) {
      if (text.includes(n.text) || joined.includes(n.text)) kinds.add(n.kind);
    }
    for (const { kind, pattern } of SHAPES) {
      pattern.lastIndex = 0;
      const found = pattern.test(text) || (pattern.lastIndex = 0, pattern.test(joined));
      pattern.lastIndex = 0;
      if (found) kinds.add(kind);
    }
    return [...kinds];
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
