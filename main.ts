/**
 * AI Runner's one entry point. Each subcommand wires the adapters it needs to
 * the core; this is the only module that knows every concrete class.
 *
 *   deno task start | server | worker | rebuild | audit | demo | doctor | cancel | retry
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
import type { Args } from "./adapters/cli/args.ts";
import { cancelCommand } from "./adapters/cli/cancel.ts";
import { commandSpec, invocation, overview, UsageError } from "./adapters/cli/commands.ts";
import { retryCommand } from "./adapters/cli/retry.ts";
import { resolveRunId } from "./adapters/cli/run_ids.ts";
import { loadDotenv } from "./adapters/config/dotenv.ts";
import { VERSION } from "./adapters/config/version.ts";
import { demoCommand } from "./adapters/cli/demo.ts";
import { doctorCommand } from "./adapters/cli/doctor.ts";
import { ipRangesCommand } from "./adapters/cli/ip_ranges.ts";
import { rebuildCommand } from "./adapters/cli/rebuild.ts";
import {
  type OpenMode,
  openStore,
  type Store,
  StoreMissingError,
} from "./adapters/eventstore/open.ts";
import { loadRouting, RoutingFileError } from "./adapters/config/routing_file.ts";
import { startProjectionLoop } from "./adapters/cli/projection_loop.ts";
import { startHttp } from "./adapters/cli/server.ts";
import { checkSandboxAtStart, createWorker, leftoverSweeper } from "./adapters/cli/worker.ts";
import { JsonLogger } from "./adapters/log/json_logger.ts";
import { Redactor } from "./adapters/log/redact.ts";

async function withStore<T>(
  roles: Role[],
  mode: OpenMode,
  fn: (store: Store) => Promise<T>,
): Promise<T> {
  const config = loadConfig(roles);
  const store = await openStore(config.databaseUrl, mode);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

async function audit(parsed: Args): Promise<number> {
  const modes = ["verify", "export", "transcript"].filter((f) => parsed.flags.has(f));
  if (modes.length > 1) {
    throw new UsageError(`audit: choose one of ${modes.map((m) => `--${m}`).join(", ")}`);
  }
  if (parsed.flags.has("transcript")) {
    const text = parsed.flags.get("transcript");
    if (typeof text !== "string") throw new UsageError("--transcript needs a run id");
    const options = { json: parsed.flags.has("json"), full: parsed.flags.has("full") };
    return await withStore(["store"], "read-only", async (s) => {
      const resolved = await resolveRunId(s, text);
      if (!resolved.ok) {
        console.error(resolved.reason);
        return 1;
      }
      return (await transcriptCommand(s, resolved.runId, options)) ? 0 : 1;
    });
  }
  if (parsed.flags.has("verify")) {
    return await withStore(
      ["store"],
      "read-only",
      async (s) => (await verifyCommand(s, console.log, { catchUp: false })) ? 0 : 1,
    );
  }
  if (parsed.flags.has("export")) {
    const from = Number(parsed.flags.get("from") ?? 0);
    if (!Number.isInteger(from) || from < 0) {
      throw new UsageError("--from takes a position (0 or more)");
    }
    await withStore(["store"], "read-only", (s) => exportCommand(s, from));
    return 0;
  }
  const key = parsed.positionals[0];
  if (!key) throw new UsageError("audit needs an issue key, --verify, --export or --transcript");
  return await withStore(
    ["store"],
    "read-only",
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
  logger.info("starting", { version: VERSION, roles });
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
    // Worktrees and scratch directories earlier runs and killed processes left behind.
    const sweep = leftoverSweeper(config, store, logger.child({ component: "sweeper" }));
    void sweep();
    tasks.push(
      createWorker(config, store, projector, routing, logger, prices, sweep).run(signal),
    );
  }
  await Promise.all(tasks);
  await store.close();
  logger.info("stopped");
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    console.log(overview(VERSION));
    return command === undefined ? 2 : 0;
  }
  const options = argv.includes("--") ? argv.slice(0, argv.indexOf("--")) : argv;
  if (command === "version" || options.includes("--version")) {
    console.log(`ai-runner ${VERSION}`);
    return 0;
  }
  const spec = commandSpec(command);
  if (!spec) {
    console.error(`unknown command "${command}"\n\n${overview(VERSION)}`);
    return 2;
  }
  const call = invocation(spec, rest);
  if (call.kind === "help") {
    console.log(call.text);
    return 0;
  }
  const parsed = call.args;
  const flag = (name: string) => {
    const v = parsed.flags.get(name);
    return typeof v === "string" ? v : undefined;
  };
  // The demo brings its own configuration; everything else also reads ./.env.
  if (command !== "demo") loadDotenv();
  switch (command) {
    case "start":
      return await serve(["server", "worker"]);
    case "server":
      return await serve(["server"]);
    case "worker":
      return await serve(["worker"]);
    case "rebuild":
      await withStore(["store"], "existing", rebuildCommand);
      return 0;
    case "audit":
      return await audit(parsed);
    case "cancel": {
      const key = parsed.positionals[0];
      if (!key) {
        throw new UsageError('cancel needs an issue key: deno task cancel MWC-42 --reason "…"');
      }
      const reason = flag("reason") ?? "cancelled by an operator";
      return await withStore(
        ["store"],
        "existing",
        (store) => cancelCommand(store, key, reason, flag("by")),
      );
    }
    case "retry": {
      const key = parsed.positionals[0];
      if (!key) throw new UsageError("retry needs an issue key: deno task retry MWC-42");
      return await withStore(
        ["store"],
        "existing",
        (store) => retryCommand(store, key, { run: flag("run"), by: flag("by") }),
      );
    }
    case "demo":
      return await demoCommand(rest);
    case "doctor":
      return await doctorCommand(rest);
    case "ip-ranges":
      return await ipRangesCommand(rest);
    default:
      console.error(`"${command}" has no runner yet`);
      return 2;
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(error.message);
      Deno.exit(2);
    }
    if (error instanceof ConfigError || error instanceof StoreMissingError) {
      console.error(error.message);
    } else console.error(`error: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
