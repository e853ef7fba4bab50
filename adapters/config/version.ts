/**
 * The version of this build, from `deno.json`'s `version`: logged at start,
 * answered by `/healthz` and printed by `--version`.
 *
 * @module
 */
import manifest from "../../deno.json" with { type: "json" };

/** This build's version, e.g. `0.9.0`. */
export const VERSION: string = (manifest as { version?: string }).version ?? "0.0.0-dev";
