/**
 * The JSON schema of `RUNNER_CONFIG` (`runner.config.schema.json`), generated
 * from the zod schema the runner validates with (`domain/routing.ts`), with
 * descriptions for editors. A test keeps the committed file equal to this.
 *
 * Regenerate: `deno run -A adapters/cli/doctor_schema.ts > runner.config.schema.json`
 *
 * @module
 */
import { z } from "zod";
import { RoutingConfig } from "../../domain/routing.ts";

/** Where the schema is committed, relative to the project root. */
export const ROUTING_SCHEMA_FILE = "runner.config.schema.json";

const REPO_DESCRIPTIONS: Record<string, string> = {
  id: "Short name of the repository: names its git cache and appears in logs.",
  github: 'The GitHub repository, "owner/name".',
  cloneUrl: "Where git clones from: https://, ssh://, file:// or a local path (tests, mirrors). " +
    "Default: derived from github and GITHUB_API_URL. Never put credentials in it.",
  baseBranch: "The branch pull requests go into.",
  validate: "Shell command lines run in the worktree after the LLM's changes (e.g. npm test); " +
    "every one must exit 0. They run with a timeout and without the runner's secrets.",
  validateTimeoutSeconds: "Seconds each validation command may run.",
  setup: "Shell command lines run in the sandbox before the model starts (e.g. npm ci), " +
    "with the network (or only allowHosts); every one must exit 0.",
  setupTimeoutSeconds: "Seconds each setup command may run.",
  allowHosts: "The only hosts setup may reach, through the sandbox's proxy: host (ports 80 and " +
    "443), host:port, or *.domain. Absent: setup has the network. Validation and the model's " +
    "commands never have a network.",
  env: "Non-secret variables for setup, validation and the model's commands " +
    '({"NODE_ENV": "test"}). Never a secret: the model can read them.',
  awaitChecks: "Wait for the pull request head's checks (check runs and commit statuses) before " +
    'handing over, e.g. {"timeoutMinutes": 30, "repairRounds": 1}: failed checks go back to ' +
    "the model for that many repair rounds; checks still running at the timeout are reported.",
  match: "Which issues route here; every criterion given must hold. A repo without match is " +
    "the default. The first repo that matches wins.",
};

const MATCH_DESCRIPTIONS: Record<string, string> = {
  labels: "Any of these Jira labels (case-insensitive).",
  components: "Any of these Jira component names (case-insensitive).",
  field: 'A custom field equal to a value: {"id": "customfield_10020", "equals": "Docs"} ' +
    "(a select field's value, a text or a number).",
};

type Json = Record<string, unknown>;

/** The JSON schema of the routing file. */
export function routingJsonSchema(): Json {
  const schema = z.toJSONSchema(RoutingConfig, {
    io: "input",
    override(ctx) {
      // JSON Schema patterns have no flags: spell a case-insensitive class out.
      const checks = (ctx.zodSchema._zod.def as { checks?: { _zod: { def: unknown } }[] }).checks;
      const insensitive = (checks ?? []).some((c) =>
        (c._zod.def as { pattern?: RegExp }).pattern?.flags.includes("i")
      );
      const pattern = ctx.jsonSchema.pattern;
      if (typeof pattern === "string" && insensitive) {
        ctx.jsonSchema.pattern = pattern.replaceAll("a-z", "a-zA-Z");
      }
    },
  }) as Json;
  const repos = (schema.properties as Json).repos as Json;
  const repo = repos.items as Json;
  const props = repo.properties as Record<string, Json>;
  for (const [name, text] of Object.entries(REPO_DESCRIPTIONS)) props[name].description = text;
  const match = props.match.properties as Record<string, Json>;
  for (const [name, text] of Object.entries(MATCH_DESCRIPTIONS)) match[name].description = text;
  repos.description = "The repositories the runner works on, tried in order.";
  return {
    $schema: schema.$schema,
    title: "AI Runner routing (RUNNER_CONFIG)",
    description: "Which repository an issue's run works on. Generated from domain/routing.ts " +
      "by adapters/cli/doctor_schema.ts; do not edit by hand.",
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== "$schema")),
  };
}

/** The file's text: the schema, two-space indented, with a final newline. */
export function routingJsonSchemaText(): string {
  return JSON.stringify(routingJsonSchema(), null, 2) + "\n";
}

if (import.meta.main) {
  await Deno.stdout.write(new TextEncoder().encode(routingJsonSchemaText()));
}
