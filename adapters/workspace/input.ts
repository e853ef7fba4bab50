/**
 * Reading tool inputs without trusting them: each getter answers a value or
 * the sentence to send back to the model.
 *
 * @module
 */

/** A value read from a tool input, or why it could not be. */
export type Field<T> = { ok: true; value: T } | { ok: false; error: string };

/** A string field; `required` fields must be present (empty strings allowed). */
export function stringField(
  input: Record<string, unknown>,
  name: string,
  required: boolean,
): Field<string | undefined> {
  const value = input[name];
  if (value === undefined || value === null) {
    return required
      ? { ok: false, error: `\`${name}\` is required` }
      : { ok: true, value: undefined };
  }
  if (typeof value !== "string") {
    return { ok: false, error: `\`${name}\` must be a string, not ${typeName(value)}` };
  }
  return { ok: true, value };
}

/** An optional positive integer field (numeric strings are accepted). */
export function positiveIntField(
  input: Record<string, unknown>,
  name: string,
): Field<number | undefined> {
  const raw = input[name];
  if (raw === undefined || raw === null || raw === "") return { ok: true, value: undefined };
  const value = typeof raw === "string" && /^\d+$/.test(raw.trim()) ? Number(raw) : raw;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    return { ok: false, error: `\`${name}\` must be a positive integer` };
  }
  return { ok: true, value };
}

function typeName(value: unknown): string {
  return Array.isArray(value) ? "an array" : `a ${typeof value}`;
}
