/**
 * Text for Jira failures: Jira's own error messages pulled from a response
 * body, a hint per status, and scrubbing of the credentials so no error
 * message ever carries them.
 *
 * @module
 */

const MAX_MESSAGE = 300;

function clip(text: string): string {
  const t = text.replace(/\s+/g, " ").trim();
  return t.length > MAX_MESSAGE ? `${t.slice(0, MAX_MESSAGE)}…` : t;
}

/**
 * Jira's messages from an error body: `errorMessages[]` and the values of
 * `errors{}` (as `field: message`); for a non-JSON body, its text (tags
 * stripped), clipped.
 */
export function jiraMessagesOf(body: string): string[] {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    const text = clip(body.replace(/<[^>]*>/g, " "));
    return text ? [text] : [];
  }
  if (typeof json !== "object" || json === null) return [];
  const out: string[] = [];
  const { errorMessages, errors, message } = json as Record<string, unknown>;
  if (Array.isArray(errorMessages)) {
    for (const m of errorMessages) if (typeof m === "string" && m.trim()) out.push(clip(m));
  }
  if (errors && typeof errors === "object") {
    for (const [field, m] of Object.entries(errors as Record<string, unknown>)) {
      if (typeof m === "string" && m.trim()) out.push(clip(`${field}: ${m}`));
    }
  }
  if (out.length === 0 && typeof message === "string" && message.trim()) out.push(clip(message));
  return out.slice(0, 5);
}

/** What a person should check, for a permanent status. */
export function hintFor(status: number): string {
  switch (status) {
    case 400:
      return "Jira rejected the request as invalid";
    case 401:
      return "Jira did not accept the credentials: check JIRA_EMAIL and JIRA_API_TOKEN";
    case 403:
      return "the Jira user lacks the permission for this (or the site blocks API tokens)";
    case 404:
      return "it does not exist, or the Jira user cannot see it";
    case 413:
      return "the request is too large for Jira";
    default:
      return "";
  }
}

/** Removes given secret values (and their Basic-auth encoding) from text. */
export class SecretScrubber {
  readonly #values: string[];

  /** `secrets`: values to hide; empty and very short values are ignored. */
  constructor(secrets: Iterable<string | undefined>) {
    this.#values = [...new Set([...secrets].filter((s): s is string => !!s && s.length >= 4))]
      .sort((a, b) => b.length - a.length);
  }

  /** The text with every secret value replaced by `[REDACTED]`. */
  scrub(text: string): string {
    let out = text;
    for (const v of this.#values) if (out.includes(v)) out = out.split(v).join("[REDACTED]");
    return out.replace(/(basic\s+)[A-Za-z0-9+/=]{8,}/gi, "$1[REDACTED]");
  }
}
