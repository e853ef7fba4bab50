/**
 * Atlassian's official ADF JSON schema (`@atlaskit/adf-schema`'s `full.json`,
 * vendored beside it), compiled once: the fake Jira checks
 * every ADF body it is sent against it, as real Jira does, and tests check the
 * fake's own answers with it.
 *
 * @module
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import schema from "./adf-schema-full.json" with { type: "json" };

let validate: ValidateFunction | null = null;

function compiled(): ValidateFunction {
  if (!validate) {
    // The schema is draft-04 but uses no draft-04-only keyword, so Ajv's default
    // draft reads it once the `$schema` marker is dropped.
    const { $schema: _draft, ...body } = schema as Record<string, unknown>;
    validate = new Ajv({ strict: false, allErrors: true, logger: false }).compile(body);
  }
  return validate;
}

/**
 * The most telling of Ajv's errors: the schema tries every node kind in an
 * `anyOf`, so most errors only say "not that kind"; the deepest ones that are
 * not about `type` name the real problem.
 */
function telling(errors: readonly ErrorObject[]): string[] {
  const useful = errors.filter((e) =>
    e.keyword !== "anyOf" && !(e.keyword === "enum" && e.instancePath.endsWith("/type"))
  );
  const pool = useful.length > 0 ? useful : [...errors];
  const depth = Math.max(...pool.map((e) => e.instancePath.split("/").length));
  const seen = new Set<string>();
  const out: string[] = [];
  for (const e of pool.filter((e) => e.instancePath.split("/").length === depth)) {
    const extra = e.keyword === "additionalProperties"
      ? ` (${(e.params as { additionalProperty?: string }).additionalProperty})`
      : e.keyword === "enum"
      ? ` (${JSON.stringify((e.params as { allowedValues?: unknown }).allowedValues)})`
      : "";
    const text = `${e.instancePath || "(root)"} ${e.message ?? e.keyword}${extra}`;
    if (!seen.has(text)) out.push(text), seen.add(text);
  }
  return out.slice(0, 3);
}

/** What the official ADF schema finds wrong with `doc`; empty when it is valid. */
export function officialAdfProblems(doc: unknown): string[] {
  const check = compiled();
  if (check(doc)) return [];
  return telling(check.errors ?? []);
}
