/**
 * The CLI's commands: what each takes and says for `--help`. `main.ts`
 * checks every command line against this table before running anything, so
 * `--help` never runs the command and an unknown flag is an error, not
 * silently ignored.
 *
 * @module
 */
import { type Args, parseArgs, UsageError } from "./args.ts";

/** One subcommand of `deno task …`/`main.ts`. */
export interface CommandSpec {
  name: string;
  /** One line for the overview. */
  summary: string;
  /** The usage line(s). */
  usage: string;
  /** Flags taking a value, with what they mean. */
  valued: Record<string, string>;
  /** Flags without a value, with what they mean. */
  switches: Record<string, string>;
  /** More explanation for `--help`. */
  details?: string;
}

/** Every command, in the order the overview lists them. */
export const COMMANDS: readonly CommandSpec[] = [
  {
    name: "start",
    summary: "server and worker in one process (the pilot topology)",
    usage: "start",
    valued: {},
    switches: {},
  },
  {
    name: "server",
    summary: "the webhook server (POST /jira/webhook, /github/webhook) and the dashboard",
    usage: "server",
    valued: {},
    switches: {},
  },
  {
    name: "worker",
    summary: "the worker that turns queued runs into pull requests",
    usage: "worker",
    valued: {},
    switches: {},
  },
  {
    name: "rebuild",
    summary: "drop and rebuild every read model from the event log",
    usage: "rebuild",
    valued: {},
    switches: {},
    details: "Refuses a store that does not exist (it never creates one).",
  },
  {
    name: "audit",
    summary: "an issue's timeline, integrity check, export and transcripts (read-only)",
    usage: [
      "audit <KEY> [--json]",
      "audit --verify",
      "audit --export [--from N]",
      "audit --transcript <runId or unique prefix> [--full] [--json]",
    ].join("\n       "),
    valued: {
      from: "with --export: first position to write",
      transcript: "a run id, or a unique prefix of one (as the dashboard shows it)",
    },
    switches: {
      json: "machine-readable output",
      verify: "hash chain, schemas and read models against a replay; exit 1 on any mismatch",
      export: "every event as one JSON object per line",
      full: "with --transcript: do not cut long texts",
    },
    details: "Opens the store read-only: a missing database is refused with exit 1, never created.",
  },
  {
    name: "cancel",
    summary: "cancel the issue's run; its worker stops at the next step",
    usage: 'cancel <KEY> [--reason "…"] [--by NAME]',
    valued: {
      reason: "why (recorded and posted on Jira)",
      by: "who cancels (default $USER); recorded with this host's name",
    },
    switches: {},
    details: "Needs only the database: a worker posts the Jira comment afterwards.",
  },
  {
    name: "retry",
    summary: "queue a new run for an issue whose latest run failed or needs attention",
    usage: "retry <KEY> [--run <runId or prefix>] [--by NAME]",
    valued: {
      run: "the run to retry (default: the issue's latest run)",
      by: "who retries (default $USER); recorded with this host's name",
    },
    switches: {},
  },
  {
    name: "demo",
    summary: "the whole loop on local stand-ins, no accounts needed",
    usage: "demo [--no-wait] [--keep] [--provider anthropic|openai] [--jira cloud|datacenter]",
    valued: {
      provider: "the scripted model's API shape (anthropic or openai)",
      jira: "the Jira stand-in's flavour",
    },
    switches: {
      "no-wait": "do not pause between acts",
      keep: "keep the demo's directory, database and repositories at the end (prints where)",
    },
  },
  {
    name: "doctor",
    summary: "check configuration and every outside connection",
    usage: "doctor [--issue KEY]",
    valued: { issue: "a sample issue for the transition check" },
    switches: {},
  },
  {
    name: "ip-ranges",
    summary: "an nginx allow-list of Atlassian's egress ranges",
    usage: "ip-ranges [--file ranges.json] [--product jira[,…]] [--format nginx|env] [--out F]",
    valued: {
      file: "read the ranges from a file (offline)",
      product: "products to allow (default jira)",
      format: "nginx (default) or env",
      out: "write to this file (atomically) instead of stdout",
      url: "where to fetch the ranges from",
    },
    switches: {},
  },
];

/** The spec of a command, or undefined. */
export function commandSpec(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** The overview printed by `--help` and for an unknown command. */
export function overview(version: string): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    `AI Runner ${version}: Jira tickets to GitHub pull requests, every step an event.`,
    "",
    "usage: deno task <command> [options]      (deno task <command> --help for its options)",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)} ${c.summary}`),
    "",
    "  --version                print the version",
    "",
    "Configuration comes from the environment and .env: see README.md#configuration.",
  ].join("\n");
}

/** The `--help` text of one command. */
export function commandHelp(spec: CommandSpec): string {
  const flags = [
    ...Object.entries(spec.valued).map(([f, h]) => [`--${f} <value>`, h]),
    ...Object.entries(spec.switches).map(([f, h]) => [`--${f}`, h]),
    ["--help", "this text (the command is not run)"],
  ];
  const width = Math.max(...flags.map(([f]) => f.length)) + 2;
  return [
    `${spec.name}: ${spec.summary}`,
    "",
    `usage: deno task ${spec.usage}`,
    "",
    ...flags.map(([f, h]) => `  ${f.padEnd(width)} ${h}`),
    ...(spec.details ? ["", spec.details] : []),
  ].join("\n");
}

/** What to do with a command line. */
export type Invocation =
  | { kind: "help"; text: string }
  | { kind: "run"; args: Args };

/**
 * Checks a command's arguments against its spec: `--help`/`-h` anywhere asks
 * for help (and runs nothing); an unknown flag or a valued flag without a value
 * throws a {@link UsageError}.
 */
export function invocation(spec: CommandSpec, args: readonly string[]): Invocation {
  const dashDash = args.indexOf("--");
  const options = dashDash < 0 ? args : args.slice(0, dashDash);
  if (options.includes("--help") || options.includes("-h")) {
    return { kind: "help", text: commandHelp(spec) };
  }
  const valued = Object.keys(spec.valued);
  const known = [...valued, ...Object.keys(spec.switches)];
  try {
    return { kind: "run", args: parseArgs(args, valued, known) };
  } catch (error) {
    if (error instanceof UsageError) {
      throw new UsageError(`${spec.name}: ${error.message}\n\nusage: deno task ${spec.usage}`);
    }
    throw error;
  }
}

export { UsageError };
