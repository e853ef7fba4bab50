/**
 * AI Runner's one entry point. Each subcommand wires the adapters it needs to
 * the core; this is the only module that knows every concrete class.
 *
 *   deno task start | server | worker | rebuild | audit | demo | doctor | cancel
 *
 * @module
 */
import { loadPriceTable } from "./adapters/config/price_file.ts";
import { ConfigError, loadConfig, type Role } from "./adapters/config/env.ts";
import {
  exportCommand,
  timelineCommand,
  transcriptCommand,
  verifyCommand,
} from "./adapters/cli/audit.ts";
import { parseArgs } from "./adapters/cli/args.ts";
import { cancelCommand } from "./adapters/cli/cancel.ts";
import { demoCommand } from "./adapters/cli/demo.ts";
import { doctorCommand } from "./adapters/cli/doctor.ts";
import { ipRangesCommand } from "./adapters/cli/ip_ranges.ts";
import { rebuildCommand } from "./adapters/cli/rebuild.ts";
import { openStore, type Store } from "./adapters/eventstore/open.ts";
import { loadRouting, RoutingFileError } from "./adapters/config/routing_file.ts";
import { startProjectionLoop } from "./adapters/cli/projection_loop.ts";
import { startHttp } from "./adapters/cli/server.ts";
import { checkSandboxAtStart, createWorker } from "./adapters/cli/worker.ts";
import { JsonLogger } from "./adapters/log/json_logger.ts";
import { Redactor } from "./adapters/log/redact.ts";

const USAGE = `AI Runner: Jira tickets to GitHub pull requests, every step an event.

usage: deno task <command> [options]
  start                  server and worker in one process (the pilot topology)
  server                 the webhook server (POST /jira/webhook, /github/webhook)
  worker                 the worker that turns queued runs into pull requests
  rebuild                drop and rebuild every read model from the event log
  audit <KEY> [--json]   an issue's timeline: who asked, what the AI did, who merged
  audit --verify         hash chain, schemas and read models against a replay
  audit --export [--from N]
                         every event as one JSON object per line (positions ≥ N)
  audit --transcript <runId> [--full] [--json]
                         a run's LLM transcript
  cancel <KEY> [--reason "…"]
                         cancel the issue's run; its worker stops at the next step
  demo [--no-wait]       the whole loop on local stand-ins, no accounts needed
  doctor [--issue KEY]   check configuration and every outside connection
  ip-ranges [--out F]    an nginx allow-list of Atlassian's egress ranges

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
  const parsed = parseArgs(args, ["from", "transcript"]);
  if (parsed.flags.has("transcript")) {
    const runId = parsed.flags.get("transcript");
    if (typeof runId !== "string") throw new Error("--transcript needs a run id");
    const options = { json: parsed.flags.has("json"), full: parsed.flags.has("full") };
    return await withStore(
      ["store"],
      async (s) => (await transcriptCommand(s, runId, options)) ? 0 : 1,
    );
  }
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

/** Aborts on the first SIGTERM or SIGINT (graceful stop). */
function stopSignal(): AbortSignal {
  const stop = new AbortController();
  for (const sig of ["SIGTERM", "SIGINT"] as const) {
    Deno.addSignalListener(sig, () => stop.abort());
  }
  return stop.signal;
}

/** `server`, `worker` or `start` (both): runs until SIGTERM/SIGINT. */
async function serve(roles: ("server" | "worker")[]): Promise<number> {
  const config = loadConfig(roles);
  const logger = new JsonLogger({
    level: config.ops.logLevel,
    redactor: new Redactor(config.secrets),
  });
  // The server needs the routed repositories too: GitHub facts from others are ignored.
  // A server on its own without the file still starts (the decider checks the repository).
  const routing = roles.includes("worker")
    ? await loadRouting(config.runnerConfigPath, false)
    : await loadRouting(config.runnerConfigPath, false).catch((e) => {
      if (e instanceof RoutingFileError) return null;
      throw e;
    });
  const store = await openStore(config.databaseUrl);
  const signal = stopSignal();
  const projector = startProjectionLoop(store, logger, signal);
  const tasks: Promise<unknown>[] = [];
  if (roles.includes("server")) {
    const server = await startHttp(config, store, logger, signal, routing);
    tasks.push(server.finished);
  }
  if (roles.includes("worker") && routing) {
    const prices = await loadPriceTable(config.llm.priceFile);
    await checkSandboxAtStart(config, logger);
    tasks.push(createWorker(config, store, projector, routing, logger, prices).run(signal));
  }
  await Promise.all(tasks);
  await store.close();
  logger.info("stopped");
  return 0;
}

async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case "start":
      return await serve(["server", "worker"]);
    case "server":
      return await serve(["server"]);
    case "worker":
      return await serve(["worker"]);
    case "rebuild":
      await withStore(["store"], rebuildCommand);
      return 0;
    case "audit":
      return await audit(rest);
    case "cancel": {
      const parsed = parseArgs(rest, ["reason"]);
      const key = parsed.positionals[0];
      if (!key) throw new Error('cancel needs an issue key: deno task cancel MWC-42 --reason "…"');
      const reason = String(parsed.flags.get("reason") ?? "cancelled by an operator");
      const config = loadConfig(["jira"]);
      const store = await openStore(config.databaseUrl);
      try {
        return await cancelCommand(config, store, key, reason);
      } finally {
        await store.close();
      }
    }
    case "demo":
      return await demoCommand(rest);
    case "doctor":
      return await doctorCommand(rest);
    case "ip-ranges":
      return await ipRangesCommand(rest);
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
