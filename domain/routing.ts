/**
 * Routing: which repository an issue's run works on (DESIGN §7 `RUNNER_CONFIG`).
 * The first repo whose `match` fits wins; a repo without `match` is the default.
 *
 * @module
 */
import { z } from "zod";
import { RESERVED_ENV } from "./ports/sandbox.ts";

/** An `allowHosts` entry: `host`, `host:port`, `*.domain`, `[v6]:port`. */
const AllowHost = z.string().regex(
  /^(?:(?:\*\.)?[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/,
  'a host name or address, optionally with ":port" or a leading "*." (e.g. registry.npmjs.org)',
);

/** Non-secret variables for setup, validation and the model's commands. */
const DeclaredEnv = z.record(
  z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, "a variable name (letters, digits, _)")
    .refine((name) => !RESERVED_ENV.test(name), {
      message: "set by the sandbox itself (PATH, HOME, locale, proxies, LD_*, GIT_*)",
    }),
  z.string().max(4096).refine((v) => !v.includes("\0"), { message: "must not contain NUL" }),
);

/** One repository the runner may work on. */
export const RepoRoute = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/i, "letters, digits, . _ - (max 64)"),
  github: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'an "owner/name" GitHub repository'),
  cloneUrl: z.string().min(1).optional(),
  baseBranch: z.string().min(1).default("main"),
  validate: z.array(z.string().min(1)).default([]),
  /** Seconds each validation command may run. */
  validateTimeoutSeconds: z.number().int().positive().max(3600).default(600),
  /** Most US dollars of LLM use per UTC day for this repository; new runs wait after it. */
  dailyBudgetUsd: z.number().positive().max(1_000_000).optional(),
  /** Commands run in the sandbox before the model starts (e.g. `npm ci`). */
  setup: z.array(z.string().min(1)).default([]),
  /** Seconds each setup command may run. */
  setupTimeoutSeconds: z.number().int().positive().max(3600).default(900),
  /** The only hosts setup may reach (absent: the network; validation and the model never). */
  allowHosts: z.array(AllowHost).optional(),
  /** Declared, non-secret variables for setup, validation and `run_command`. */
  env: DeclaredEnv.default({}),
  /**
   * Wait for the pull request head's checks (check runs and commit statuses)
   * before handing over; failures get a bounded repair round.
   */
  awaitChecks: z.object({
    /** How long to wait for every check to finish, minutes. */
    timeoutMinutes: z.number().int().positive().max(240).default(30),
    /** Repair rounds with the failures before handing over anyway (0: report only). */
    repairRounds: z.number().int().min(0).max(3).default(1),
  }).strict().optional(),
  match: z.object({
    labels: z.array(z.string().min(1)).optional(),
    components: z.array(z.string().min(1)).optional(),
    field: z.object({ id: z.string().min(1), equals: z.string() }).optional(),
  }).strict().optional(),
}).strict();
export type RepoRoute = z.infer<typeof RepoRoute>;

/** The routing file: `{"repos": [ … ]}`. */
export const RoutingConfig = z.object({
  /** Editors' pointer to `runner.config.schema.json`; ignored. */
  $schema: z.string().optional(),
  repos: z.array(RepoRoute).min(1, "at least one repo is needed"),
}).strict().superRefine((cfg, ctx) => {
  const ids = new Set<string>();
  cfg.repos.forEach((r, i) => {
    if (ids.has(r.id)) {
      ctx.addIssue({
        code: "custom",
        path: ["repos", i, "id"],
        message: `duplicate repo id ${r.id}`,
      });
    }
    ids.add(r.id);
  });
});
export type RoutingConfig = z.infer<typeof RoutingConfig>;

/** What routing looks at on an issue. */
export interface RoutableIssue {
  labels: readonly string[];
  components: readonly string[];
  customFields?: Record<string, unknown>;
}

function fieldText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || typeof value === "number") return String(value);
  if (typeof value === "object" && "value" in (value as object)) {
    return String((value as { value: unknown }).value);
  }
  return null;
}

/** True when the issue fits a repo's `match` (every given criterion must hold). */
export function matches(route: RepoRoute, issue: RoutableIssue): boolean {
  const m = route.match;
  if (!m) return true;
  const lower = (xs: readonly string[]) => xs.map((x) => x.toLowerCase());
  if (m.labels && !m.labels.some((l) => lower(issue.labels).includes(l.toLowerCase()))) {
    return false;
  }
  if (
    m.components && !m.components.some((c) => lower(issue.components).includes(c.toLowerCase()))
  ) {
    return false;
  }
  if (m.field && fieldText(issue.customFields?.[m.field.id]) !== m.field.equals) return false;
  return true;
}

/** The repo an issue routes to, or null when none matches and there is no default. */
export function routeIssue(config: RoutingConfig, issue: RoutableIssue): RepoRoute | null {
  return config.repos.find((r) => matches(r, issue)) ?? null;
}

/** The custom field ids routing needs to read from Jira. */
export function routingFieldIds(config: RoutingConfig): string[] {
  return [...new Set(config.repos.flatMap((r) => (r.match?.field ? [r.match.field.id] : [])))];
}
