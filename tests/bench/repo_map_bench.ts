/**
 * The repository map on a generated repository of 10,000 source files in 200
 * directories: time to build it with ctags over the 40 most relevant files,
 * against the plain ranked tree (no ctags) and the old flat listing of the
 * first 400 paths measured in the same run; and how much of the tree and of
 * the ticket's files each shows for the same size.
 *
 * @module
 */
import { buildRepoMap, walkFiles } from "../../adapters/workspace/repo_map.ts";

async function generate(root: string, files: number): Promise<void> {
  for (let i = 0; i < files; i++) {
    const dir = `${root}/pkg${i % 200}/src`;
    if (i < 200) await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(
      `${dir}/module_${i}.ts`,
      `export class Module${i} {\n  run() {}\n}\nexport function helper${i}() {}\n`,
    );
  }
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** Runs the benchmark, reporting lines through `report`. */
export async function benchRepoMap(report: (line: string) => void): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "bench-repo-map-" });
  try {
    await generate(root, 10_000);
    const focus = { text: "Module4242 crashes in helper4242; see pkg42/src/module_4242.ts" };
    await walkFiles(root, 50_000); // warm the file system cache for every variant alike
    const flat = await time(async () => {
      const { files } = await walkFiles(root, 50_000);
      return files.slice(0, 400).map((f) => f.path).join("\n");
    });
    let withCtags = "";
    const ctagsMs = await time(async () => {
      withCtags = (await buildRepoMap(root, { focus, budgetChars: 12_000 })).text;
    });
    let plain = "";
    const plainMs = await time(async () => {
      plain = (await buildRepoMap(root, { focus, budgetChars: 12_000, ctags: null })).text;
    });
    const { files } = await walkFiles(root, 50_000);
    const flatText = files.slice(0, 400).map((f) => f.path).join("\n");
    report(`repo map (10,000 files, 200 directories), budget 12,000 characters:`);
    report(
      `  flat first 400 paths: ${flat.toFixed(0)} ms, ${flatText.length} characters, ` +
        `names the ticket's file: ${flatText.includes("module_4242.ts")}`,
    );
    report(
      `  ranked tree, no ctags: ${plainMs.toFixed(0)} ms, ${plain.length} characters, ` +
        `names the ticket's file: ${plain.includes("module_4242.ts")}`,
    );
    report(
      `  ranked tree + ctags symbols: ${ctagsMs.toFixed(0)} ms (${
        (ctagsMs / Math.max(1, plainMs)).toFixed(2)
      }× the plain map), ${withCtags.length} characters, symbols of the ticket's file: ${
        withCtags.includes("class Module4242")
      }`,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

if (import.meta.main) await benchRepoMap((line) => console.log(line));
