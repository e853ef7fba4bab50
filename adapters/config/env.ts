/**
 * Configuration from the environment (DESIGN §7), validated at start with every
 * problem listed in one message. A secret may also come from a file named by the
 * same variable with `_FILE` appended (a mounted secret store).
 *
 * @module
 */
import { z } from "zod";
import {
  planReasoning,
  REASONING_EFFORTS,
  type ReasoningEffort,
  type ReasoningPlan,
} from "../../domain/agent/reasoning.ts";
import { DEFAULT_MODELS } from "../../domain/pricing.ts";

/** What a command needs configured; each role checks only its own variables. */
export type Role = "store" | "server" | "worker" | "jira";

/** The validated configuration. Absent sections were not required by the roles. */
export interface RunnerConfig {
  dataDir: string;
  databaseUrl: string;
  host: string;
  port: number;
  dashboardToken: string | null;
  runnerConfigPath: string;
  jira: {
    /**
     * `cloud` (REST v3, ADF, accountIds) or `datacenter` (Jira Data Center /
     * Server: REST v2, wiki markup, usernames in every account setting).
     */
    deployment: "cloud" | "datacenter";
    /**
     * How a Data Center client logs in: `pat` (`JIRA_API_TOKEN` is a personal
     * access token, sent as Bearer) or `basic` (`JIRA_USERNAME` + password in
     * `JIRA_API_TOKEN`). Always `basic` on Cloud (email + API token).
     */
    auth: "pat" | "basic";
    baseUrl: string;
    email: string;
    /** Data Center Basic auth only: the username. */
    username: string;
    apiToken: string;
    webhookSecret: string;
    aiAccountId: string;
    reviewerAccountId: string;
    transitionInTesting: string;
    transitionDone: string;
    /** Field values for the In Testing transition's screen (`JIRA_TRANSITION_IN_TESTING_FIELDS`). */
    transitionInTestingFields: Record<string, unknown>;
    /** Field values for the Done transition's screen (`JIRA_TRANSITION_DONE_FIELDS`). */
    transitionDoneFields: Record<string, unknown>;
  };
  github: {
    apiUrl: string;
    token: string | null;
    app: { appId: string; privateKey: string; installationId: string | null } | null;
    webhookSecret: string;
    /** `GITHUB_MIN_WRITE_INTERVAL_MS`: least time between two writes per process (GitHub's advice). */
    minWriteIntervalMs: number;
  };
  llm: {
    provider: "anthropic" | "openai";
    model: string;
    anthropicApiKey: string | null;
    openaiApiKey: string | null;
    /** The SDK's own `ANTHROPIC_BASE_URL` / `OPENAI_BASE_URL` (a proxy, a fake). */
    baseUrl: string | null;
    /** `LLM_REASONING_EFFORT`; null: the model's default. */
    reasoningEffort: ReasoningEffort | null;
    /** `LLM_THINKING_BUDGET_TOKENS` (Claude 4.5 models' manual thinking); null: from the effort. */
    thinkingBudgetTokens: number | null;
    /** `LLM_MAX_OUTPUT_TOKENS`: most tokens of one reply, thinking included. */
    maxOutputTokens: number;
    /** `OPENAI_API`: `responses` (default) or `chat_completions` for gateways. */
    openaiApi: "responses" | "chat_completions";
    /** `LLM_PRICE_FILE`: a JSON price table for models and gateways not built in; null: none. */
    priceFile: string | null;
    /** The reasoning fields every request carries, decided (and checked) at start. */
    reasoning: ReasoningPlan;
    /** `SELF_REVIEW`: a reviewer in a fresh context checks each change before hand-over. */
    selfReview: boolean;
    /** `LLM_REVIEW_MODEL`: the reviewer's model (same provider); null: `LLM_MODEL`. */
    reviewModel: string | null;
  };
  /** Defence-in-depth and worker tuning, with safe defaults. */
  ops: {
    logLevel: "debug" | "info" | "warn" | "error";
    /** Webhook requests per second per client address, and burst. */
    rateLimit: { perSecond: number; burst: number };
    trustedProxies: string[];
    allowList: { jira?: string[]; github?: string[] };
    workerConcurrency: number;
    leaseMs: number;
    /** More Jira accounts whose comments count as feedback. */
    trustedAccountIds: string[];
    /** `JIRA_REQUESTER_ACCOUNT_IDS`: who may assign work to the AI user; empty: anybody. */
    requesterAccountIds: string[];
    /** `JIRA_REQUESTER_GROUPS`: Jira groups whose members may assign work to the AI user. */
    requesterGroups: string[];
    /** `GITHUB_TRUSTED_LOGINS`: GitHub users whose PR reviews count whatever their access. */
    githubTrustedLogins: string[];
    budgets: {
      maxTurns: number;
      maxTokens: number;
      wallTimeMs: number;
      maxDiffBytes: number;
      /** `BUDGET_MAX_USD`: most money per run at list prices. */
      maxCostUsd: number;
    };
    commitAuthor: { name: string; email: string };
    /** What confines setup, validation and the model's commands (`off`: nothing). */
    sandbox: "bwrap" | "off";
  };
  /** Every secret value, for redaction. */
  secrets: string[];
}

/** Raised with every configuration problem at once. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `configuration problems (${problems.length}):\n` +
        problems.map((p) => `  - ${p}`).join("\n") +
        "\nSee .env.example and README.md#configuration.",
    );
    this.name = "ConfigError";
  }
}

/** Variables whose values are secrets (and may come from `<NAME>_FILE`). */
export const SECRET_VARIABLES = [
  "JIRA_API_TOKEN",
  "JIRA_WEBHOOK_SECRET",
  "GITHUB_TOKEN",
  "GITHUB_APP_PRIVATE_KEY",
  "GITHUB_WEBHOOK_SECRET",
  "ANTHROPIC_API_KEY",
  "OPENAI_API_KEY",
  "DASHBOARD_TOKEN",
] as const;

type Env = Record<string, string | undefined>;

/** Reads `NAME`, or the file named by `NAME_FILE`; problems go to `problems`. */
function readVar(env: Env, name: string, problems: string[], readFile: (p: string) => string) {
  const direct = env[name];
  const file = env[`${name}_FILE`];
  if (direct !== undefined && direct !== "" && file) {
    problems.push(`${name} and ${name}_FILE are both set: keep one`);
  }
  if (file) {
    try {
      return readFile(file).replace(/\r?\n$/, "");
    } catch (e) {
      problems.push(`${name}_FILE=${file} cannot be read (${(e as Error).name})`);
      return undefined;
    }
  }
  return direct === "" ? undefined : direct;
}

const httpUrl = z.string().url().refine((u) => /^https?:\/\//.test(u), "must be an http(s) URL");

/**
 * Loads and validates the configuration needed by `roles`.
 * Throws {@link ConfigError} listing every problem.
 */
export function loadConfig(
  roles: Role[],
  env: Env = Deno.env.toObject(),
  readFile: (path: string) => string = Deno.readTextFileSync,
): RunnerConfig {
  const problems: string[] = [];
  const get = (name: string) => readVar(env, name, problems, readFile);
  const need = (name: string, when: boolean, hint: string): string => {
    const v = get(name);
    if (when && !v) problems.push(`${name} is required (${hint})`);
    return v ?? "";
  };
  const server = roles.includes("server");
  const worker = roles.includes("worker");
  // The server reads requesters' Jira groups when JIRA_REQUESTER_GROUPS is set.
  const jiraApi = worker || roles.includes("jira") ||
    (server && (get("JIRA_REQUESTER_GROUPS") ?? "").split(",").some((g) => g.trim() !== ""));

  const dataDir = get("DATA_DIR") ?? "data";
  const databaseUrl = get("DATABASE_URL") ?? `sqlite:${dataDir.replace(/\/$/, "")}/runner.db`;
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(databaseUrl)) {
    problems.push(
      `DATABASE_URL must start with sqlite: or postgres:// (got ${databaseUrl.split(":")[0]}:…)`,
    );
  }
  const portText = get("PORT") ?? "8088";
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    problems.push(`PORT must be a port number 0–65535 (got "${portText}")`);
  }

  const deployment = get("JIRA_DEPLOYMENT") ?? "cloud";
  if (deployment !== "cloud" && deployment !== "datacenter") {
    problems.push(`JIRA_DEPLOYMENT must be "cloud" or "datacenter" (got "${deployment}")`);
  }
  const dc = deployment === "datacenter";
  const dcAuth = get("JIRA_DC_AUTH") ?? "pat";
  if (dcAuth !== "pat" && dcAuth !== "basic") {
    problems.push(`JIRA_DC_AUTH must be "pat" or "basic" (got "${dcAuth}")`);
  }
  const jiraBaseUrl = need(
    "JIRA_BASE_URL",
    jiraApi,
    dc ? "e.g. https://jira.example.com" : "e.g. https://your-site.atlassian.net",
  );
  if (jiraBaseUrl && !httpUrl.safeParse(jiraBaseUrl).success) {
    problems.push(`JIRA_BASE_URL must be an http(s) URL like https://your-site.atlassian.net`);
  }
  const githubApiUrl = get("GITHUB_API_URL") ?? "https://api.github.com";
  if (!httpUrl.safeParse(githubApiUrl).success) {
    problems.push(`GITHUB_API_URL must be an http(s) URL (default https://api.github.com)`);
  }

  const token = get("GITHUB_TOKEN") ?? null;
  const appId = get("GITHUB_APP_ID");
  const privateKey = get("GITHUB_APP_PRIVATE_KEY");
  if (appId && !privateKey) problems.push("GITHUB_APP_ID is set but GITHUB_APP_PRIVATE_KEY is not");
  if (privateKey && !appId) problems.push("GITHUB_APP_PRIVATE_KEY is set but GITHUB_APP_ID is not");
  if (worker && !token && !appId) {
    problems.push("GITHUB_TOKEN, or GITHUB_APP_ID + GITHUB_APP_PRIVATE_KEY, is required");
  }

  const num = (name: string, fallback: number, min: number, max: number): number => {
    const text = get(name);
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isFinite(n) || n < min || n > max) {
      problems.push(`${name} must be a number from ${min} to ${max} (got "${text}")`);
      return fallback;
    }
    return n;
  };
  const provider = get("LLM_PROVIDER") ?? "anthropic";
  if (provider !== "anthropic" && provider !== "openai") {
    problems.push(`LLM_PROVIDER must be "anthropic" or "openai" (got "${provider}")`);
  }
  const anthropicApiKey = get("ANTHROPIC_API_KEY") ?? null;
  const openaiApiKey = get("OPENAI_API_KEY") ?? null;
  if (worker && provider === "anthropic" && !anthropicApiKey) {
    problems.push("ANTHROPIC_API_KEY is required when LLM_PROVIDER=anthropic");
  }
  if (worker && provider === "openai" && !openaiApiKey) {
    problems.push("OPENAI_API_KEY is required when LLM_PROVIDER=openai");
  }
  const llmProvider = provider === "openai" ? "openai" : "anthropic";
  const model = get("LLM_MODEL") ?? DEFAULT_MODELS[llmProvider];
  const effortText = get("LLM_REASONING_EFFORT")?.trim().toLowerCase();
  let reasoningEffort: ReasoningEffort | null = null;
  if (effortText !== undefined && effortText !== "") {
    if ((REASONING_EFFORTS as readonly string[]).includes(effortText)) {
      reasoningEffort = effortText as ReasoningEffort;
    } else {
      problems.push(
        `LLM_REASONING_EFFORT must be one of ${REASONING_EFFORTS.join(", ")} (got "${effortText}")`,
      );
    }
  }
  const thinkingBudgetTokens = get("LLM_THINKING_BUDGET_TOKENS") === undefined
    ? null
    : num("LLM_THINKING_BUDGET_TOKENS", 0, 1024, 128_000);
  const maxOutputTokens = num("LLM_MAX_OUTPUT_TOKENS", 16_000, 256, 128_000);
  const selfReviewText = get("SELF_REVIEW") ?? "on";
  if (selfReviewText !== "on" && selfReviewText !== "off") {
    problems.push(`SELF_REVIEW must be "on" or "off" (got "${selfReviewText.slice(0, 20)}")`);
  }
  const selfReview = selfReviewText !== "off";
  const openaiApi = get("OPENAI_API") ?? "responses";
  if (openaiApi !== "responses" && openaiApi !== "chat_completions") {
    problems.push(`OPENAI_API must be "responses" or "chat_completions" (got "${openaiApi}")`);
  }
  const decision = planReasoning(llmProvider, model, {
    ...(reasoningEffort ? { effort: reasoningEffort } : {}),
    ...(thinkingBudgetTokens ? { thinkingBudgetTokens } : {}),
    maxOutputTokens,
    openaiApi: openaiApi === "chat_completions" ? "chat_completions" : "responses",
  });
  if (!decision.ok) problems.push(decision.problem);

  const list = (name: string): string[] | undefined => {
    const text = get(name);
    return text === undefined ? undefined : text.split(",").map((s) => s.trim()).filter(Boolean);
  };
  /** A JSON object of transition screen field values, keyed by field id or name. */
  const screenFields = (name: string, text: string | undefined): Record<string, unknown> => {
    if (text === undefined) return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      problems.push(
        `${name} must be a JSON object like {"resolution": {"name": "Done"}} (${
          (e as Error).message
        })`,
      );
      return {};
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      problems.push(`${name} must be a JSON object like {"resolution": {"name": "Done"}}`);
      return {};
    }
    const blank = Object.keys(parsed).filter((k) => k.trim() === "");
    if (blank.length > 0) problems.push(`${name} has an empty field name`);
    return parsed as Record<string, unknown>;
  };
  for (const login of list("GITHUB_TRUSTED_LOGINS") ?? []) {
    if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/.test(login)) {
      problems.push(
        `GITHUB_TRUSTED_LOGINS: "${
          login.slice(0, 50)
        }" is not a GitHub login (bots are never trusted)`,
      );
    }
  }
  const logLevel = get("LOG_LEVEL") ?? "info";
  if (!["debug", "info", "warn", "error"].includes(logLevel)) {
    problems.push(`LOG_LEVEL must be debug, info, warn or error (got "${logLevel}")`);
  }

  const sandbox = get("SANDBOX") ?? "bwrap";
  if (sandbox !== "bwrap" && sandbox !== "off") {
    problems.push(`SANDBOX must be bwrap or off (got "${sandbox}")`);
  }

  const config: RunnerConfig = {
    dataDir,
    databaseUrl,
    host: get("HOST") ?? "127.0.0.1",
    port,
    dashboardToken: get("DASHBOARD_TOKEN") ?? null,
    runnerConfigPath: get("RUNNER_CONFIG") ?? "runner.config.json",
    jira: {
      deployment: dc ? "datacenter" : "cloud",
      auth: dc && dcAuth === "pat" ? "pat" : "basic",
      baseUrl: jiraBaseUrl.replace(/\/$/, ""),
      // A personal access token needs no email; Data Center's Basic auth takes a username.
      email: need("JIRA_EMAIL", jiraApi && !dc, "the Jira user the API token belongs to"),
      username: need(
        "JIRA_USERNAME",
        jiraApi && dc && dcAuth === "basic",
        "the Jira username, with JIRA_DC_AUTH=basic",
      ),
      apiToken: need(
        "JIRA_API_TOKEN",
        jiraApi,
        !dc
          ? "an Atlassian API token"
          : dcAuth === "basic"
          ? "the Jira user's password, with JIRA_DC_AUTH=basic"
          : "a Jira personal access token (Profile → Personal Access Tokens)",
      ),
      webhookSecret: need(
        "JIRA_WEBHOOK_SECRET",
        server,
        "the value the Automation rule sends in X-Jira-Webhook-Secret",
      ),
      aiAccountId: need(
        "JIRA_ASSIGNEE_AI_ACCOUNT_ID",
        server || worker,
        dc ? "the Jira username of the AI Runner user" : "the Jira accountId of the AI Runner user",
      ),
      reviewerAccountId: need(
        "JIRA_ASSIGNEE_LEIGH_ACCOUNT_ID",
        worker,
        dc ? "the Jira username of the reviewer" : "the Jira accountId of the reviewer",
      ),
      transitionInTesting: get("JIRA_TRANSITION_IN_TESTING") ?? "In Testing",
      transitionDone: get("JIRA_TRANSITION_DONE") ?? "Done",
      transitionInTestingFields: screenFields(
        "JIRA_TRANSITION_IN_TESTING_FIELDS",
        get("JIRA_TRANSITION_IN_TESTING_FIELDS"),
      ),
      transitionDoneFields: screenFields(
        "JIRA_TRANSITION_DONE_FIELDS",
        get("JIRA_TRANSITION_DONE_FIELDS"),
      ),
    },
    github: {
      apiUrl: githubApiUrl.replace(/\/$/, ""),
      minWriteIntervalMs: num("GITHUB_MIN_WRITE_INTERVAL_MS", 1_000, 0, 60_000),
      token,
      app: appId && privateKey
        ? { appId, privateKey, installationId: get("GITHUB_APP_INSTALLATION_ID") ?? null }
        : null,
      webhookSecret: need(
        "GITHUB_WEBHOOK_SECRET",
        server,
        "the secret of the repository's webhook",
      ),
    },
    llm: {
      provider: llmProvider,
      model,
      anthropicApiKey,
      openaiApiKey,
      baseUrl: get(provider === "openai" ? "OPENAI_BASE_URL" : "ANTHROPIC_BASE_URL") ?? null,
      reasoningEffort,
      thinkingBudgetTokens,
      maxOutputTokens,
      openaiApi: openaiApi === "chat_completions" ? "chat_completions" : "responses",
      priceFile: get("LLM_PRICE_FILE") ?? null,
      selfReview,
      reviewModel: get("LLM_REVIEW_MODEL") || null,
      reasoning: decision.ok
        ? decision.plan
        : { provider: "anthropic", anthropic: { kind: "default" } },
    },
    ops: {
      logLevel:
        (["debug", "info", "warn", "error"].includes(logLevel) ? logLevel : "info") as RunnerConfig[
          "ops"
        ]["logLevel"],
      // Generous: Jira Automation does not redeliver a refused request.
      rateLimit: {
        perSecond: num("RATE_LIMIT_PER_SECOND", 200, 1, 1_000_000),
        burst: num("RATE_LIMIT_BURST", 1_000, 1, 10_000_000),
      },
      trustedProxies: list("TRUSTED_PROXIES") ?? [],
      allowList: { jira: list("JIRA_ALLOWED_CIDRS"), github: list("GITHUB_ALLOWED_CIDRS") },
      workerConcurrency: num("WORKER_CONCURRENCY", 1, 1, 64),
      leaseMs: num("LEASE_SECONDS", 60, 5, 600) * 1000,
      trustedAccountIds: list("JIRA_TRUSTED_ACCOUNT_IDS") ?? [],
      requesterAccountIds: list("JIRA_REQUESTER_ACCOUNT_IDS") ?? [],
      requesterGroups: list("JIRA_REQUESTER_GROUPS") ?? [],
      githubTrustedLogins: list("GITHUB_TRUSTED_LOGINS") ?? [],
      budgets: {
        maxTurns: num("BUDGET_MAX_TURNS", 40, 1, 1000),
        maxTokens: num("BUDGET_MAX_TOKENS", 400_000, 1000, 100_000_000),
        wallTimeMs: num("BUDGET_WALL_SECONDS", 900, 10, 86_400) * 1000,
        maxDiffBytes: num("BUDGET_MAX_DIFF_BYTES", 500_000, 100, 100_000_000),
        maxCostUsd: num("BUDGET_MAX_USD", 5, 0.01, 100_000),
      },
      commitAuthor: {
        name: get("GIT_AUTHOR_NAME") ?? "AI Runner",
        email: get("GIT_AUTHOR_EMAIL") ?? "ai-runner@users.noreply.github.com",
      },
      sandbox: sandbox === "off" ? "off" : "bwrap",
    },
    secrets: [],
  };
  config.secrets = SECRET_VARIABLES.map((name) => get(name)).filter((v): v is string => !!v);
  if (problems.length > 0) throw new ConfigError([...new Set(problems)]);
  return config;
}
