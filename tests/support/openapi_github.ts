/**
 * GitHub's official REST description (`@octokit/openapi`, api.github.com,
 * OpenAPI 3.0) as a validator of answers: find the operation of a request
 * (method + path template), take the schema of the answered status, and check
 * the body against it. Used to keep the fake GitHub honest.
 *
 * @module
 */
import spec from "@octokit/openapi/generated/api.github.com.json" with { type: "json" };
import { Ajv, type ValidateFunction } from "ajv";

// deno-lint-ignore no-explicit-any
type Json = any;

const SPEC = spec as Json;

const ISO_DATE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

let ajv: Ajv | null = null;
const compiled = new Map<string, ValidateFunction>();

function validator(): Ajv {
  if (!ajv) {
    ajv = new Ajv({ strict: false, allErrors: true, logger: false });
    ajv.addFormat("date-time", ISO_DATE_TIME);
    ajv.addFormat("uri", (v: string) => URL.canParse(v));
    ajv.addFormat("uri-template", () => true);
    ajv.addFormat("email", /^[^@\s]+@[^@\s]+$/);
    ajv.addFormat("date", /^\d{4}-\d\d-\d\d$/);
    ajv.addFormat("binary", () => true);
    ajv.addSchema({ components: nullableEnums(SPEC.components) }, "github");
  }
  return ajv;
}

/**
 * OpenAPI 3.0's `nullable: true` beside an `enum` allows null (GitHub sends
 * `start_side: null`), but for JSON Schema the enum still refuses it: add it.
 */
function nullableEnums(node: Json): Json {
  if (Array.isArray(node)) return node.map(nullableEnums);
  if (typeof node !== "object" || node === null) return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) out[k] = nullableEnums(v);
  if (out.nullable === true && Array.isArray(out.enum) && !out.enum.includes(null)) {
    out.enum = [...out.enum, null];
  }
  return out;
}

/** Points a schema's local `$ref`s at the registered description. */
function rebased(schema: Json): Json {
  return JSON.parse(JSON.stringify(schema).replaceAll('"$ref":"#/', '"$ref":"github#/'));
}

/** The operation for a method and a concrete path, with its template. */
export function operationOf(
  method: string,
  path: string,
): { template: string; operation: Json } | null {
  const lower = method.toLowerCase();
  // Literal segments first: `/repos/{o}/{r}/pulls` must not match `/{owner}/{repo}/{x}`.
  const candidates = Object.keys(SPEC.paths).filter((t) => SPEC.paths[t][lower])
    .map((t) => ({
      template: t,
      regex: new RegExp(`^${t.replace(/\{[^}]+\}/g, "[^/]+")}$`),
      params: (t.match(/\{/g) ?? []).length,
    }))
    .filter((c) => c.regex.test(path))
    .sort((a, b) => a.params - b.params);
  if (candidates.length === 0) return null;
  const template = candidates[0].template;
  return { template, operation: SPEC.paths[template][lower] };
}

/**
 * What GitHub's description finds wrong with an answer: [] when it conforms;
 * a problem when the operation, or the status among its responses, is unknown.
 */
export function responseProblems(
  method: string,
  path: string,
  status: number,
  body: unknown,
): string[] {
  const found = operationOf(method, path);
  if (!found) return [`${method} ${path}: no such operation in GitHub's REST description`];
  const response = found.operation.responses[String(status)] ?? found.operation.responses.default;
  if (!response) {
    return [`${method} ${found.template}: GitHub does not answer ${status}`];
  }
  const resolved = response.$ref
    ? SPEC.components.responses[response.$ref.split("/").pop()]
    : response;
  const schema = resolved?.content?.["application/json"]?.schema;
  if (!schema) return []; // e.g. 204: no body to check
  const key = `${method} ${found.template} ${status}`;
  let validate = compiled.get(key);
  if (!validate) {
    validate = validator().compile(nullableEnums(rebased(schema)));
    compiled.set(key, validate);
  }
  if (validate(body)) return [];
  return (validate.errors ?? []).slice(0, 5).map((e) =>
    `${key}: ${e.instancePath || "(root)"} ${e.message}${
      e.params && "missingProperty" in e.params ? ` (${e.params.missingProperty})` : ""
    }`
  );
}
