/**
 * `deno task bench`: every benchmark of AI Runner, one after the other, each
 * reporting its figures as lines on stdout.
 *
 * @module
 */
import { benchEventStore } from "./event_store_bench.ts";

const report = (line: string) => console.log(line);

await benchEventStore(report);
