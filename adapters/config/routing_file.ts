/**
 * Loads `RUNNER_CONFIG` (default `runner.config.json`) with clear errors.
 *
 * @module
 */
import { RoutingConfig } from "../../domain/routing.ts";

/** The built-in routing when no file exists: the pilot repo, routing every issue. */
export const PILOT_ROUTING: RoutingConfig = RoutingConfig.parse({
  repos: [{ id: "online-docs", github: "acme/online-docs", baseBranch: "main", validate: [] }],
});

/** A routing file that cannot be used, with every problem named. */
export class RoutingFileError extends Error {
  constructor(path: string, problems: string[]) {
    super(`${path}: ${problems.join("; ")}`);
    this.name = "RoutingFileError";
  }
}

/** Parses routing JSON text; throws {@link RoutingFileError}. */
export function parseRouting(path: string, text: string): RoutingConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new RoutingFileError(path, [`not valid JSON (${(e as Error).message})`]);
  }
  const result = RoutingConfig.safeParse(json);
  if (!result.success) {
    throw new RoutingFileError(
      path,
      result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`),
    );
  }
  return result.data;
}

/** Reads the routing file; a missing file gives {@link PILOT_ROUTING} when `allowMissing`. */
export async function loadRouting(path: string, allowMissing = false): Promise<RoutingConfig> {
  try {
    return parseRouting(path, await Deno.readTextFile(path));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      if (allowMissing) return PILOT_ROUTING;
      throw new RoutingFileError(path, ["file not found (set RUNNER_CONFIG or create it)"]);
    }
    throw e;
  }
}
