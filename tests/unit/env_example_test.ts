/**
 * The operator-facing files stay in step with the code: `.env.example`
 * documents exactly the variables `loadConfig` reads, the committed JSON schema
 * of `RUNNER_CONFIG` is the one generated from the zod schema, and the example
 * routing file is valid by both.
 */
import assert from "node:assert/strict";
import { Ajv2020 } from "ajv/dist/2020.js";
import { SECRET_VARIABLES } from "../../adapters/config/env.ts";
import { parseRouting, RoutingFileError } from "../../adapters/config/routing_file.ts";
import { ROUTING_SCHEMA_FILE, routingJsonSchemaText } from "../../adapters/cli/doctor_schema.ts";
import { DOCTOR_VARIABLES } from "../../adapters/cli/doctor_services.ts";

const root = new URL("../../", import.meta.url);
const read = (path: string) => Deno.readTextFileSync(new URL(path, root));

/** The first argument of every get(/need(/num(/list( call, as source text. */
function firstArguments(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/\b(?:get|need|num|list)\(/g)) {
    let depth = 0;
    let quote: string | null = null;
    let i = m.index + m[0].length;
    const start = i;
    for (; i < source.length; i++) {
      const c = source[i];
      if (quote) {
        if (c === "\\") i++;
        else if (c === quote) quote = null;
      } else if (c === '"' || c === "'" || c === "`") quote = c;
      else if (c === "(") depth++;
      else if (c === ")" && depth-- === 0) break;
      else if (c === "," && depth === 0) break;
    }
    out.push(source.slice(start, i));
  }
  return out;
}

/** The variable names `adapters/config/env.ts` reads. */
function variablesReadByLoadConfig(): Set<string> {
  const names = new Set<string>();
  for (const arg of firstArguments(read("adapters/config/env.ts"))) {
    for (const m of arg.matchAll(/"([A-Z][A-Z0-9_]+)"/g)) names.add(m[1]);
  }
  return names;
}

/** The names `.env.example` sets or shows commented out (`NAME=` or `# NAME=`). */
function variablesDocumented(): Set<string> {
  const names = new Set<string>();
  for (const line of read(".env.example").split("\n")) {
    const m = /^#?\s*([A-Z][A-Z0-9_]+)=/.exec(line);
    if (m) names.add(m[1]);
  }
  return names;
}

Deno.test("the variable scan finds loadConfig's reads, including multi-line and computed ones", () => {
  const names = variablesReadByLoadConfig();
  // need( spans lines with a hint in parentheses; the base URL is chosen by a ternary.
  for (const name of ["JIRA_WEBHOOK_SECRET", "JIRA_ASSIGNEE_LEIGH_ACCOUNT_ID", "OPENAI_BASE_URL"]) {
    assert.ok(names.has(name), `${name} was not found in env.ts`);
  }
  assert.ok(names.size >= 35, `only ${names.size} variables found`);
});

Deno.test(".env.example documents every variable loadConfig reads", () => {
  const documented = variablesDocumented();
  const missing = [...variablesReadByLoadConfig()].filter((n) => !documented.has(n));
  assert.deepEqual(missing, [], `add to .env.example: ${missing.join(", ")}`);
});

Deno.test(".env.example documents nothing loadConfig (or the doctor) does not read", () => {
  const known = variablesReadByLoadConfig();
  const allowed = (name: string) =>
    known.has(name) ||
    (DOCTOR_VARIABLES as readonly string[]).includes(name) ||
    (name.endsWith("_FILE") &&
      (SECRET_VARIABLES as readonly string[]).includes(name.slice(0, -"_FILE".length)));
  const unknown = [...variablesDocumented()].filter((n) => !allowed(n));
  assert.deepEqual(unknown, [], `not read by anything: ${unknown.join(", ")}`);
});

Deno.test(".env.example shows the _FILE form of every secret", () => {
  const documented = variablesDocumented();
  const missing = SECRET_VARIABLES.filter((n) => !documented.has(`${n}_FILE`));
  assert.deepEqual(missing, []);
});

Deno.test("runner.config.schema.json is the schema generated from domain/routing.ts", () => {
  assert.equal(
    read(ROUTING_SCHEMA_FILE),
    routingJsonSchemaText(),
    "regenerate: deno run -A adapters/cli/doctor_schema.ts > runner.config.schema.json",
  );
});

Deno.test("runner.config.example.json is valid for the runner and for the JSON schema", () => {
  const text = read("runner.config.example.json");
  const routing = parseRouting("runner.config.example.json", text);
  assert.ok(routing.repos.length >= 2);
  assert.ok(routing.repos.at(-1)?.match === undefined, "the last repo is the default");
  const validate = new Ajv2020({ strict: false }).compile(JSON.parse(read(ROUTING_SCHEMA_FILE)));
  assert.equal(validate(JSON.parse(text)), true, JSON.stringify(validate.errors));
});

Deno.test("the JSON schema refuses what the runner refuses, and accepts what it accepts", () => {
  const validate = new Ajv2020({ strict: false }).compile(JSON.parse(read(ROUTING_SCHEMA_FILE)));
  const cases: [unknown, boolean][] = [
    [{ repos: [{ id: "Docs-1", github: "acme/docs" }] }, true], // ids are case-insensitive
    [{ repos: [{ id: "docs", github: "acme/docs", colour: "red" }] }, false], // unknown key
    [{ repos: [{ id: "docs", github: "not a repo" }] }, false],
    [{ repos: [] }, false],
    [{ repos: [{ id: "docs", github: "a/b", match: { label: ["x"] } }] }, false],
  ];
  for (const [value, ok] of cases) {
    assert.equal(validate(value), ok, `schema on ${JSON.stringify(value)}`);
    let runnerOk = true;
    try {
      parseRouting("case.json", JSON.stringify(value));
    } catch (e) {
      assert.ok(e instanceof RoutingFileError);
      runnerOk = false;
    }
    assert.equal(runnerOk, ok, `runner on ${JSON.stringify(value)}`);
  }
});
