/**
 * AI Runner's one entry point. Each subcommand wires the adapters it needs to
 * the core; this is the only module that knows every concrete class.
 *
 *   deno task start | server | worker | rebuild | audit | demo | doctor | cancel
 *
 * @module
 */
import { ConfigError, loadConfig, type Role } from "./adapters/config/env.ts";
import { exportCommand, timelineCommand, verifyCommand } from "./adapters/cli/audit.ts";
import { parseArgs } from "./adapters/cli/args.ts";
import { rebuildCommand } from "./adapters/cli/rebuild.ts";
import { openStore, type Store } from "./adapters/eventstore/open.ts";

const USAGE = `AI Runner: Jira tickets to GitHub pull requests, every step an event.

usage: deno task <command> [options]
  start                  server and worker in one process (the pilot topology)
  server                 the webhook server (POST /jira/webhook, /github/webhook)
  worker                 the worker that turns queued runs into pull requests
  rebuild                drop and rebuild every read model from the event log
  audit <KEY> [--json]   an issue's timeline: who asked, what the AI did, who merged
  audit --verify         hash chain, schemas and read models against a replay
  audit --export [--from N]
                         every event as one JSON object per line
  demo | doctor | cancel <KEY>

Configuration comes from the environment: see README.md#configuration.`;

async function withStore<T>(roles: Role[], fn: (store: Store) => Promise<T>): Promise<T> {
  const config = loadConfig(roles);
  const store = await openStore(config.databaseUrl);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

async function audit(args: string[]): Promise<number> {
  const parsed = parseArgs(args, ["from"]);
  if (parsed.flags.has("verify")) {
    return await withStore(["store"], async (s) => (await verifyCommand(s)) ? 0 : 1);
  }
  if (parsed.flags.has("export")) {
    const from = Number(parsed.flags.get("from") ?? 0);
    if (!Number.isInteger(from) || from < 0) throw new Error("--from takes a position (0 or more)");
    await withStore(["store"], (s) => exportCommand(s, from));
    return 0;
  }
  const key = parsed.positionals[0];
  if (!key) throw new Error("audit needs an issue key, --verify or --export");
  return await withStore(
    ["store"],
    async (s) => (await timelineCommand(s, key, parsed.flags.has("json"))) ? 0 : 1,
  );
}

async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case "rebuild":
      await withStore(["store"], rebuildCommand);
      return 0;
    case "audit":
      return await audit(rest);
    case undefined:
    case "help":
    case "--help":
    case "-h":
      console.log(USAGE);
      return command === undefined ? 2 : 0;
    default:
      console.error(`unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    if (error instanceof ConfigError) console.error(error.message);
    else console.error(`error: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
