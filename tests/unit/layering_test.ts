/**
 * The layers as README's architecture describes them, checked on the import
 * lines: the dashboard never imports the CLI (they share the audit model in
 * projections/); projections/ and domain/ never import adapters/; nothing
 * outside tests/ imports tests/.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join, relative, resolve } from "node:path";

const ROOT = new URL("../../", import.meta.url).pathname;

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(join(ROOT, dir))) {
    const path = join(dir, e.name);
    if (e.isDirectory) out.push(...await files(path));
    else if (e.name.endsWith(".ts")) out.push(path);
  }
  return out;
}

/** The repository-relative paths a file imports (relative specifiers only). */
async function imports(file: string): Promise<string[]> {
  const text = await Deno.readTextFile(join(ROOT, file));
  const specs = [...text.matchAll(/^\s*(?:import|export)\b[^;]*?from\s+"(\.[^"]+)"/gms)]
    .map((m) => m[1]);
  return specs.map((s) => relative(ROOT, resolve(join(ROOT, file, ".."), s)));
}

async function offenders(dirs: string[], forbidden: RegExp): Promise<string[]> {
  const bad: string[] = [];
  for (const dir of dirs) {
    for (const file of await files(dir)) {
      for (const target of await imports(file)) {
        if (forbidden.test(target)) bad.push(`${file} → ${target}`);
      }
    }
  }
  return bad;
}

Deno.test("layering: the dashboard does not import the CLI", async () => {
  assert.deepEqual(await offenders(["adapters/http"], /^adapters\/cli\//), []);
});

Deno.test("layering: projections/ and domain/ do not import adapters/", async () => {
  assert.deepEqual(await offenders(["projections", "domain"], /^adapters\//), []);
});

Deno.test("layering: only tests import tests/", async () => {
  assert.deepEqual(await offenders(["adapters", "projections", "domain"], /^tests\//), []);
  assert.deepEqual(
    (await imports("main.ts")).filter((t) => t.startsWith("tests/")),
    [],
  );
});

Deno.test("layering: the import reader sees a forbidden import", async () => {
  const probe = "adapters/http/dashboard/queries.ts";
  assert.ok((await imports(probe)).some((t) => t.startsWith("projections/")), "reads imports");
});
