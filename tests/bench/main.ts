/**
 * `deno task bench`: every benchmark of AI Runner, one after the other, each
 * reporting its figures (and ratios against a baseline measured in the same
 * run) as lines on stdout. Figures are printed, never asserted.
 *
 * @module
 */
import { benchDashboard } from "./dashboard_bench.ts";
import { benchEventStore } from "./event_store_bench.ts";
import { benchIntake } from "./intake_bench.ts";
import { benchLlmCache } from "./llm_cache_bench.ts";
import { benchPostgres } from "./postgres_bench.ts";
import { benchProjections } from "./projection_bench.ts";
import { benchSandbox } from "./sandbox_bench.ts";
import { benchRepoMap } from "./repo_map_bench.ts";
import { benchWorkspace } from "./workspace_bench.ts";

const report = (line: string) => console.log(line);

console.log(
  `AI Runner benchmarks — ${
    new Date().toISOString()
  }, Deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cores`,
);
await benchEventStore(report);
await benchProjections(report);
await benchIntake(report);
await benchPostgres(report);
await benchWorkspace(report);
await benchLlmCache(report);
await benchSandbox(report);
await benchRepoMap(report);
await benchDashboard(report);
