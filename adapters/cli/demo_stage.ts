/**
 * The stage of `deno task demo`: the stand-in world (fake Jira, GitHub and LLM,
 * a real git remote) and AI Runner itself, the real server and worker, wired
 * from `loadConfig(…, world.env)` exactly as `main.ts` wires production.
 *
 * @module
 */
import { loadPriceTable } from "../config/price_file.ts";
import { loadConfig, type RunnerConfig } from "../config/env.ts";
import { loadRouting } from "../config/routing_file.ts";
import { openStore, type Store } from "../eventstore/open.ts";
import type { RunningServer } from "../http/mod.ts";
import { JsonLogger } from "../log/json_logger.ts";
import { Redactor } from "../log/redact.ts";
import { startProjectionLoop } from "./projection_loop.ts";
import { startHttp } from "./server.ts";
import { createWorker } from "./worker.ts";
import { type LoopbackJira, startWorld, type World, type WorldJira } from "../standins/world.ts";
import type { FakeIssueInit } from "../standins/jira_server.ts";
import { githubSignature } from "../http/crypto.ts";
import { type FakeWebhookDelivery, webhookRequest } from "../standins/github_server.ts";

/** The world and the runner, up. */
export interface Stage {
  world: World<LoopbackJira>;
  config: RunnerConfig;
  store: Store;
  server: RunningServer;
  /** Where the runner's JSON log lines go (inside the world's temp dir). */
  logPath: string;
  /** POSTs a Jira Automation request for `body` to the real server, with the secret header. */
  jiraWebhook(body: unknown): Promise<{ status: number; json: Record<string, unknown> }>;
  /**
   * POSTs a native Jira Data Center webhook for `body`, signed as Jira DC signs
   * it (`X-Hub-Signature: sha256=…`, no custom header).
   */
  jiraSignedWebhook(body: unknown): Promise<{ status: number; json: Record<string, unknown> }>;
  /** POSTs a GitHub delivery to the real server, signed with the webhook secret. */
  githubWebhook(
    delivery: FakeWebhookDelivery,
  ): Promise<{ status: number; json: Record<string, unknown> }>;
  /** Stops the runner, closes the fakes and removes the temp dir. */
  stop(): Promise<void>;
}

async function answer(res: Response): Promise<{ status: number; json: Record<string, unknown> }> {
  const text = await res.text();
  try {
    return { status: res.status, json: JSON.parse(text) };
  } catch {
    return { status: res.status, json: { body: text } };
  }
}

/** Starts the world (in a new temp dir) and AI Runner's server and worker on it. */
export async function startStage(
  issues: FakeIssueInit[],
  provider: "anthropic" | "openai" = "anthropic",
  jira: WorldJira = "cloud",
  sandbox: "bwrap" | "off" = "bwrap",
  /** A directory to build the world in, left in place at the end (`--keep`). */
  dir?: string,
): Promise<Stage> {
  const world = await startWorld({ issues, provider, jira, dir });
  const logPath = `${world.dir}/runner.log`;
  const log = await Deno.open(logPath, { create: true, append: true });
  const encoder = new TextEncoder();
  const stop = new AbortController();
  let store: Store | null = null;
  try {
    // Production's wiring, on a free port, from the world's environment.
    const config = loadConfig(["server", "worker"], {
      ...world.env,
      HOST: "127.0.0.1",
      PORT: "0",
      SANDBOX: sandbox,
    });
    const logger = new JsonLogger({
      level: "info",
      redactor: new Redactor(config.secrets),
      sink: (line) => log.writeSync(encoder.encode(line + "\n")),
    });
    const routing = await loadRouting(config.runnerConfigPath);
    const openedStore = store = await openStore(config.databaseUrl);
    const projector = startProjectionLoop(openedStore, logger, stop.signal);
    const server = await startHttp(config, openedStore, logger, stop.signal, routing);
    const prices = await loadPriceTable(config.llm.priceFile);
    const worker = createWorker(config, openedStore, projector, routing, logger, prices)
      .run(stop.signal);
    let stopped: Promise<void> | null = null;
    return {
      world,
      config,
      store: openedStore,
      server,
      logPath,
      async jiraWebhook(body) {
        return await answer(
          await fetch(`${server.url}/jira/webhook`, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              "x-jira-webhook-secret": config.jira.webhookSecret,
            },
            body: JSON.stringify(body),
          }),
        );
      },
      async jiraSignedWebhook(body) {
        const raw = JSON.stringify(body);
        return await answer(
          await fetch(`${server.url}/jira/webhook`, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              "x-hub-signature": githubSignature(config.jira.webhookSecret, raw),
            },
            body: raw,
          }),
        );
      },
      async githubWebhook(delivery) {
        const signed = await webhookRequest(delivery, config.github.webhookSecret);
        return await answer(
          await fetch(`${server.url}/github/webhook`, {
            method: "POST",
            headers: signed.headers,
            body: signed.body,
          }),
        );
      },
      stop() {
        return stopped ??= (async () => {
          stop.abort();
          await Promise.allSettled([server.finished, worker]);
          await openedStore.close();
          log.close();
          await world.close();
        })();
      },
    };
  } catch (error) {
    stop.abort();
    await store?.close();
    log.close();
    await world.close();
    throw error;
  }
}
