/**
 * Choosing a Jira transition and filling its screen (DESIGN §7). Pure.
 *
 * - {@link findTransition} / {@link statusMatches}: which transition leads to
 *   the wanted status, and whether the issue already is there.
 * - {@link fillTransitionFields}: the `fields` to send with a transition whose
 *   screen requires some (Resolution above all), from the operator's
 *   configuration (`JIRA_TRANSITION_DONE_FIELDS` /
 *   `JIRA_TRANSITION_IN_TESTING_FIELDS`); a Resolution nobody configured
 *   defaults to a sensible allowed value. Real Jira answers 400 to a transition
 *   sent without a required field, and to a field that is not on its screen.
 *
 * @module
 */
import type { JiraStatus, JiraTransition, JiraTransitionField } from "./ports/jira.ts";

function same(a: string, b: string): boolean {
  return a.trim().replace(/\s+/g, " ").toLowerCase() ===
    b.trim().replace(/\s+/g, " ").toLowerCase();
}

/**
 * Finds the transition to take for a wanted name (DESIGN §7): first a
 * transition whose own name matches (case-insensitively), then one whose target
 * status name matches, and, when `fallbackCategory` is `"done"`, one whose target
 * status is in the `done` category. Null when none fits.
 */
export function findTransition(
  transitions: readonly JiraTransition[],
  wanted: string,
  fallbackCategory?: "done",
): JiraTransition | null {
  return transitions.find((t) => same(t.name, wanted)) ??
    transitions.find((t) => same(t.toStatus, wanted)) ??
    (fallbackCategory
      ? transitions.find((t) => t.toCategoryKey === fallbackCategory)
      : undefined) ??
    null;
}

/**
 * True when an issue's status already is the wanted one: its name matches
 * case-insensitively, or, with `fallbackCategory` `"done"`, it is in the `done`
 * category. Use it to skip a transition that would change nothing.
 */
export function statusMatches(
  status: JiraStatus,
  wanted: string,
  fallbackCategory?: "done",
): boolean {
  return same(status.name, wanted) ||
    (fallbackCategory !== undefined && status.categoryKey === fallbackCategory);
}

/** The outcome of {@link fillTransitionFields}. */
export type FilledTransitionFields =
  | { ok: true; fields: Record<string, unknown> }
  | { ok: false; message: string };

/** Resolutions picked, in this order, when Resolution is required and not configured. */
const PREFERRED_RESOLUTIONS = ["done", "fixed"];

function isResolution(field: JiraTransitionField): boolean {
  return field.id === "resolution" || field.schemaType === "resolution";
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function valueLabel(v: { id: string; name?: string; value?: string }): string {
  return JSON.stringify(v.name ?? v.value ?? v.id);
}

function allowedText(field: JiraTransitionField): string {
  const values = field.allowedValues ?? [];
  if (values.length === 0) return "any value of type " + (field.schemaType || "unknown");
  const shown = values.slice(0, 20).map(valueLabel).join(", ");
  return `allowed values: ${shown}${values.length > 20 ? `, … (${values.length} in all)` : ""}`;
}

function describeField(field: JiraTransitionField): string {
  return `${field.name || field.id} (${field.id}; ${allowedText(field)})`;
}

/** The allowed values one configured value names (`{id}`, `{name}`, `{value}` or a string). */
function namesAllowed(field: JiraTransitionField, value: unknown): boolean {
  const allowed = field.allowedValues;
  if (!allowed || allowed.length === 0) return true;
  const items = Array.isArray(value) ? value : [value];
  return items.length > 0 && items.every((item) => {
    const ref: Record<string, unknown> = isObject(item) ? item : { name: item, value: item };
    return allowed.some((a) =>
      (ref.id !== undefined && String(ref.id) === a.id) ||
      (typeof ref.name === "string" && a.name !== undefined && same(ref.name, a.name)) ||
      (typeof ref.value === "string" && a.value !== undefined && same(ref.value, a.value))
    );
  });
}

/**
 * A plain string for a field with allowed values becomes the reference Jira
 * expects (`"Done"` → `{name: "Done"}`, or `{value: …}` for select options).
 */
function normalized(field: JiraTransitionField, value: unknown): unknown {
  if (typeof value !== "string" || !field.allowedValues?.length) return value;
  const match = field.allowedValues.find((a) => a.name !== undefined && same(a.name, value));
  if (match) return { name: match.name };
  const option = field.allowedValues.find((a) => a.value !== undefined && same(a.value, value));
  return option ? { value: option.value } : value;
}

/** The screen field a configured key means: by id, or by name (case-insensitively). */
function fieldFor(
  fields: readonly JiraTransitionField[],
  key: string,
): JiraTransitionField | undefined {
  return fields.find((f) => f.id === key) ?? fields.find((f) => same(f.name, key));
}

/**
 * The `fields` to send with `transition`: the configured values of the fields on
 * its screen (keyed by field id or name; values in Jira's REST form, e.g.
 * `{"resolution": {"name": "Done"}}`), plus a default Resolution ("Done" or
 * "Fixed" when allowed, else the first allowed one) when Resolution is the only
 * required field left unfilled. Configured fields that are not on the screen
 * are left out (Jira refuses them). Fails, with a message naming each missing
 * field and its allowed values, when a required field cannot be filled or a
 * configured value is not one the screen allows.
 *
 * A transition without a listed screen (`fields` absent: not expanded) gets the
 * configuration as it is.
 */
export function fillTransitionFields(
  transition: JiraTransition,
  configured: Record<string, unknown>,
  settingName = "the transition's fields setting",
): FilledTransitionFields {
  if (transition.fields === undefined) return { ok: true, fields: { ...configured } };
  const screen = transition.fields;
  const fields: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(configured)) {
    const field = fieldFor(screen, key);
    if (!field) continue;
    if (!namesAllowed(field, value)) {
      problems.push(
        `${JSON.stringify(key)} is set to a value the screen does not allow: ${
          describeField(field)
        }`,
      );
      continue;
    }
    fields[field.id] = normalized(field, value);
  }
  const missing = screen.filter((f) => f.required && !(f.id in fields));
  if (
    problems.length === 0 && missing.length === 1 && isResolution(missing[0]) &&
    (missing[0].allowedValues?.length ?? 0) > 0
  ) {
    const allowed = missing[0].allowedValues!;
    const pick = PREFERRED_RESOLUTIONS.map((p) =>
      allowed.find((a) => a.name !== undefined && same(a.name, p))
    ).find((a) => a !== undefined) ?? allowed[0];
    fields[missing[0].id] = { id: pick.id };
    return { ok: true, fields };
  }
  for (const field of missing) problems.push(`it requires ${describeField(field)}`);
  if (problems.length > 0) {
    return {
      ok: false,
      message: `the Jira transition "${transition.name}" (→ ${transition.toStatus}) cannot be ` +
        `taken: ${problems.join("; ")}. Set ${settingName} to a JSON object of field values, ` +
        `e.g. {"${missing[0]?.id ?? "resolution"}": {"name": "…"}}`,
    };
  }
  return { ok: true, fields };
}
