/**
 * The doctor's other checks: the LLM key (a one-token call), the database and
 * its migrations, and where Jira and GitHub must send their webhooks.
 *
 * @module
 */
import { LlmError } from "../../domain/ports/llm.ts";
import { PRICE_TABLE_DATE, priceOf } from "../../domain/pricing.ts";
import type { RunnerConfig } from "../config/env.ts";
import { loadPriceTable } from "../config/price_file.ts";
import { openStore } from "../eventstore/open.ts";
import { createLlmClient } from "../llm/mod.ts";
import type { Report } from "./doctor_report.ts";

/** Variables only the doctor reads (documented in `.env.example` too). */
export const DOCTOR_VARIABLES = ["PUBLIC_URL"] as const;

const KEY_PAGES = {
  anthropic: "https://console.anthropic.com/settings/keys",
  openai: "https://platform.openai.com/api-keys",
};

/**
 * The price table: the override file loads, and the configured model has a
 * price (else its cost reads $0 and `BUDGET_MAX_USD` cannot stop a run).
 */
export async function checkPrices(config: RunnerConfig, report: Report): Promise<void> {
  const { model, priceFile } = config.llm;
  let table;
  try {
    table = await loadPriceTable(priceFile);
  } catch (error) {
    report.fail("prices", (error as Error).message, "fix the file or unset LLM_PRICE_FILE");
    return;
  }
  const price = priceOf(model, table);
  if (!price) {
    report.warn(
      "prices",
      `LLM_MODEL "${model}" is not in the price table (built-in, ${PRICE_TABLE_DATE}` +
        `${priceFile ? `, plus ${priceFile}` : ""}): its cost shows as $0 and BUDGET_MAX_USD ` +
        "cannot stop a run",
      `add it to a JSON price file named by LLM_PRICE_FILE (see README "Models and prices")`,
    );
    return;
  }
  report.ok(
    "prices",
    `${model}: $${price.inputPerMTok} in, $${price.cacheReadPerMTok} cache read, ` +
      `$${price.outputPerMTok} out per MTok; context ${price.contextWindow.toLocaleString("en")}`,
  );
}

/** Makes one minimal LLM call with the configured provider, model and key. */
export async function checkLlm(config: RunnerConfig, report: Report): Promise<void> {
  const { provider, model, baseUrl } = config.llm;
  const keyName = provider === "openai" ? "OPENAI_API_KEY" : "ANTHROPIC_API_KEY";
  const where = `${provider}/${model}${baseUrl ? ` at ${baseUrl}` : ""}`;
  try {
    const llm = createLlmClient({
      provider,
      model,
      anthropicApiKey: config.llm.anthropicApiKey ?? undefined,
      openaiApiKey: config.llm.openaiApiKey ?? undefined,
      baseURL: baseUrl ?? undefined,
      maxRetries: 0,
      timeoutMs: 30_000,
      reasoning: config.llm.reasoning,
      openaiApi: config.llm.openaiApi,
    });
    const reply = await llm.complete({
      system: "This is a connectivity check. Answer with one word.",
      messages: [{ role: "user", text: "ping" }],
      tools: [],
      maxTokens: 1,
    });
    report.ok(
      "llm",
      `${where} answered a one-token call (${reply.usage.inputTokens} in, ${reply.usage.outputTokens} out)`,
    );
  } catch (error) {
    const status = error instanceof LlmError ? error.status : undefined;
    const message = `${where}: ${(error as Error).message}`;
    if (status === 401 || status === 403) {
      report.fail(
        "llm",
        message,
        `${keyName} is not accepted: create a key at ${KEY_PAGES[provider]} and set ${keyName}`,
      );
    } else if (status === 404) {
      report.fail(
        "llm",
        message,
        `LLM_MODEL "${model}" is not available to this key: set it to a model id ${provider} lists`,
      );
    } else if (status === 429 || (status !== undefined && status >= 500)) {
      report.warn(
        "llm",
        `${message} (the key was not refused, but the call did not go through)`,
        "check the account's rate limits, credit and the provider's status page",
      );
    } else if (status === undefined && error instanceof LlmError && error.kind === "transient") {
      report.fail(
        "llm",
        message,
        `no answer from ${provider}: check ${
          provider === "openai" ? "OPENAI_BASE_URL" : "ANTHROPIC_BASE_URL"
        } (if set), DNS, any HTTPS proxy and the firewall`,
      );
    } else {
      report.fail("llm", message, `check LLM_PROVIDER, LLM_MODEL and ${keyName}`);
    }
  }
}

/** `DATABASE_URL` without its password. */
export function safeDatabaseUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:@/]*):[^@/]*@/, "$1:***@");
}

/** Opens the store (which applies migrations) and pings it. */
export async function checkDatabase(config: RunnerConfig, report: Report): Promise<void> {
  const shown = safeDatabaseUrl(config.databaseUrl);
  try {
    const store = await openStore(config.databaseUrl);
    try {
      await store.ping();
      report.ok("database", `${store.engine} ${shown}: reachable, migrations applied`);
    } finally {
      await store.close();
    }
  } catch (error) {
    report.fail(
      "database",
      `${shown}: ${(error as Error).message}`,
      config.databaseUrl.startsWith("sqlite:")
        ? "check that DATA_DIR exists and is writable by the service's user (systemd: " +
          "StateDirectory=), and that no newer AI Runner migrated the file"
        : "check DATABASE_URL, that the server is reachable, and that the user may create tables",
    );
  }
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

/** Prints where to point Jira Automation and GitHub; looks at PUBLIC_URL, HOST and proxies. */
export async function checkWebhooks(
  config: RunnerConfig,
  publicUrl: string | undefined,
  report: Report,
  fetchFn: typeof fetch = fetch,
): Promise<void> {
  if (LOOPBACK.has(config.host) && config.ops.trustedProxies.length === 0) {
    report.warn(
      "webhooks",
      `HOST=${config.host}: the server listens on this machine only, so Jira and GitHub reach it ` +
        "only through a reverse proxy here, and no proxy is configured (TRUSTED_PROXIES is empty)",
      "put nginx in front (deploy/nginx.conf) and set TRUSTED_PROXIES=127.0.0.1,::1 so rate " +
        "limits and allow-lists see the caller's address",
    );
  } else if (!LOOPBACK.has(config.host) && config.ops.trustedProxies.length === 0) {
    report.warn(
      "webhooks",
      `HOST=${config.host}: the server is reachable directly, without TLS`,
      "keep HOST=127.0.0.1 and serve HTTPS from a reverse proxy (deploy/nginx.conf)",
    );
  } else {
    report.ok(
      "webhooks",
      `behind a reverse proxy (TRUSTED_PROXIES=${config.ops.trustedProxies.join(",")})`,
    );
  }
  if (!publicUrl) {
    report.warn(
      "webhooks",
      "PUBLIC_URL is not set, so the webhook addresses cannot be checked: Jira Automation " +
        "must POST https://<this host>/jira/webhook and GitHub https://<this host>/github/webhook",
      "set PUBLIC_URL=https://runner.example.com (the address Jira and GitHub use) and run the doctor again",
    );
    return;
  }
  let base: URL;
  try {
    base = new URL(publicUrl.replace(/\/+$/, "") + "/");
  } catch {
    report.fail(
      "webhooks",
      `PUBLIC_URL "${publicUrl}" is not a URL`,
      "use https://runner.example.com",
    );
    return;
  }
  const jira = new URL("jira/webhook", base).href;
  const github = new URL("github/webhook", base).href;
  report.ok(
    "webhooks",
    `Jira Automation: Send web request POST ${jira} with header X-Jira-Webhook-Secret = ` +
      `JIRA_WEBHOOK_SECRET; GitHub: webhook ${github}, content type application/json, secret ` +
      "GITHUB_WEBHOOK_SECRET, events Pull requests + Pull request reviews",
  );
  if (base.protocol !== "https:" && !LOOPBACK.has(base.hostname)) {
    report.warn(
      "webhooks",
      `PUBLIC_URL uses ${base.protocol}: the secret header would cross the internet in clear`,
      "serve the runner over HTTPS (deploy/nginx.conf) and use an https:// PUBLIC_URL",
    );
  }
  const health = new URL("healthz", base).href;
  try {
    const res = await fetchFn(health, { signal: AbortSignal.timeout(5_000) });
    await res.body?.cancel();
    if (res.ok) report.ok("webhooks", `${health} answered ${res.status} from this machine`);
    else {
      report.warn(
        "webhooks",
        `${health} answered ${res.status} from this machine`,
        "check the reverse proxy's location blocks",
      );
    }
  } catch (error) {
    report.warn(
      "webhooks",
      `${health} did not answer from this machine (${(error as Error).name})`,
      "start the server (deno task server) and the proxy; Jira Cloud and GitHub must reach " +
        "PUBLIC_URL from the internet",
    );
  }
}
