/**
 * `deno task doctor [--issue KEY]`: checks the configuration and every outside
 * connection, and says exactly what is wrong: one line per check, green ✓,
 * red ✗ with the fix, or yellow !. Exits non-zero when any check fails. Never
 * prints a secret.
 *
 * @module
 */
import { ISSUE_KEY_PATTERN } from "../../domain/events.ts";
import type { Sandbox } from "../../domain/ports/sandbox.ts";
import type { RoutingConfig } from "../../domain/routing.ts";
import { ConfigError, loadConfig, type RunnerConfig, SECRET_VARIABLES } from "../config/env.ts";
import { loadRouting } from "../config/routing_file.ts";
import { Redactor } from "../log/redact.ts";
import { parseArgs } from "./args.ts";
import { checkGit, checkGitHub, doctorGitHubClient } from "./doctor_github.ts";
import { checkJiraDeployment } from "./doctor_deployment.ts";
import { checkJiraLogin, checkTransitions } from "./doctor_jira.ts";
import { checkMergeGates } from "./doctor_protection.ts";
import { type CheckLine, formatLine, Report } from "./doctor_report.ts";
import { checkSandbox } from "./doctor_sandbox.ts";
import { checkDatabase, checkLlm, checkPrices, checkWebhooks } from "./doctor_services.ts";

/** Options of {@link runDoctor}. */
export interface DoctorOptions {
  /** The environment to check (default the process's). */
  env?: Record<string, string | undefined>;
  /** A sample issue for the transition check. */
  issueKey?: string;
  /** Reads `*_FILE` secrets (default `Deno.readTextFileSync`). */
  readFile?: (path: string) => string;
  /** Used for the PUBLIC_URL reachability hint. */
  fetch?: typeof fetch;
  /** Called with each line as soon as it is known. */
  onLine?: (line: CheckLine) => void;
  /** The sandbox to probe (default bubblewrap). */
  sandbox?: Sandbox;
}

/** The doctor's findings. */
export interface DoctorResult {
  lines: CheckLine[];
  exitCode: number;
}

/** The fix for one configuration problem. */
export function configFix(problem: string): string {
  const names = problem.match(/\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b|\bPORT\b|\bHOST\b/g) ?? [];
  const see = ".env.example describes every variable";
  const first = names[0];
  if (first === undefined) return `see ${see}`;
  if (/both set/.test(problem)) return `keep only one of ${first} and ${first}_FILE`;
  const isSetBut = /^(\w+) is set but (\w+) is not/.exec(problem);
  const name = (isSetBut ? isSetBut[2] : undefined) ?? first;
  const secret = (SECRET_VARIABLES as readonly string[]).includes(name);
  const where = `in the environment or the service's EnvironmentFile${
    secret ? ` (or ${name}_FILE, a file holding it)` : ""
  }`;
  return /required|is set but/.test(problem)
    ? `set ${name} ${where}; ${see}`
    : `correct ${name} ${where}; ${see}`;
}

const WEAK_SECRET_LENGTH = 20;

function checkConfig(
  env: Record<string, string | undefined>,
  readFile: ((path: string) => string) | undefined,
  report: Report,
): RunnerConfig | null {
  try {
    const config = loadConfig(["server", "worker"], env, readFile);
    report.ok(
      "config",
      `valid for server and worker: Jira ${config.jira.baseUrl}, GitHub ${config.github.apiUrl} ` +
        `(${
          config.github.app ? "GitHub App" : "token"
        }), LLM ${config.llm.provider}/${config.llm.model}, ` +
        `DATA_DIR ${config.dataDir}`,
    );
    const secrets = {
      JIRA_WEBHOOK_SECRET: config.jira.webhookSecret,
      GITHUB_WEBHOOK_SECRET: config.github.webhookSecret,
      DASHBOARD_TOKEN: config.dashboardToken ?? "",
    };
    for (const [name, value] of Object.entries(secrets)) {
      if (value && value.length < WEAK_SECRET_LENGTH) {
        report.warn(
          "config",
          `${name} is short (${value.length} characters)`,
          "use at least 32 random characters, e.g. the output of `openssl rand -hex 32`",
        );
      }
    }
    if (!config.dashboardToken) {
      report.warn(
        "config",
        "DASHBOARD_TOKEN is not set: the dashboard cannot be opened",
        "set one",
      );
    }
    return config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) report.fail("config", problem, configFix(problem));
    return null;
  }
}

async function checkRouting(config: RunnerConfig, report: Report): Promise<RoutingConfig | null> {
  try {
    const routing = await loadRouting(config.runnerConfigPath, false);
    const repos = routing.repos.map((r) =>
      `${r.id} → ${r.github}${r.match ? "" : " (default)"}${
        r.validate.length ? "" : " (no validation)"
      }`
    );
    report.ok("routing", `${config.runnerConfigPath}: ${repos.join(", ")}`);
    if (!routing.repos.some((r) => !r.match)) {
      report.warn(
        "routing",
        'no repo without "match": issues that match no rule fail their run',
        'add a default repo (one without "match") last',
      );
    }
    return routing;
  } catch (error) {
    report.fail(
      "routing",
      (error as Error).message,
      "fix the file (runner.config.schema.json describes it; runner.config.example.json is an " +
        "example), or point RUNNER_CONFIG at the right one",
    );
    return null;
  }
}

/** Runs every check; answers the lines and the exit code (1 when any check failed). */
export async function runDoctor(options: DoctorOptions = {}): Promise<DoctorResult> {
  const env = options.env ?? Deno.env.toObject();
  const fromEnv = SECRET_VARIABLES.map((name) => env[name]).filter((v): v is string => !!v);
  let redactor = new Redactor(fromEnv);
  const report = new Report({ redact: (t) => redactor.redact(t), onLine: options.onLine });

  if (options.issueKey !== undefined && !ISSUE_KEY_PATTERN.test(options.issueKey)) {
    report.fail("transitions", `"${options.issueKey}" is not an issue key`, "pass --issue ABC-123");
  }
  const config = checkConfig(env, options.readFile, report);
  if (!config) {
    report.skip(
      "connections",
      "Jira, GitHub, git, the LLM and the database need a valid configuration",
    );
    return { lines: report.lines, exitCode: report.exitCode };
  }
  redactor = new Redactor([...fromEnv, ...config.secrets]); // *_FILE secrets too
  const routing = await checkRouting(config, report);
  await checkJiraDeployment(config, report, options.fetch);
  const jira = await checkJiraLogin(config, report);
  await checkTransitions(
    config,
    jira,
    ISSUE_KEY_PATTERN.test(options.issueKey ?? "") ? options.issueKey : undefined,
    report,
  );
  let github = null;
  try {
    github = doctorGitHubClient(config);
  } catch (error) {
    report.fail("github", (error as Error).message, "set GITHUB_TOKEN or the GitHub App variables");
  }
  if (routing && github) {
    await checkGitHub(config, routing, github, report);
    await checkMergeGates(config, routing, github, report);
  } else if (!routing) report.skip("github", "needs a valid routing file (see above)");
  if (routing) await checkGit(config, routing, github, report);
  else report.skip("git", "needs a valid routing file (see above)");
  await checkPrices(config, report);
  await checkLlm(config, report);
  await checkDatabase(config, report);
  await checkSandbox(config, report, options.sandbox);
  await checkWebhooks(config, env.PUBLIC_URL || undefined, report, options.fetch);
  return { lines: report.lines, exitCode: report.exitCode };
}

/** `deno task doctor [--issue KEY]`: prints each line as it is known. */
export async function doctorCommand(args: string[]): Promise<number> {
  const parsed = parseArgs(args, ["issue"]);
  const issue = parsed.flags.get("issue");
  const color = Deno.stdout.isTerminal() && !Deno.noColor;
  console.log("AI Runner doctor: configuration and every outside connection\n");
  const result = await runDoctor({
    issueKey: typeof issue === "string" ? issue : undefined,
    onLine: (line) => console.log(formatLine(line, color)),
  });
  const failed = result.lines.filter((l) => l.status === "fail").length;
  const warned = result.lines.filter((l) => l.status === "warn" || l.status === "skip").length;
  console.log(
    `\n${failed ? `${failed} check(s) failed` : "every check passed"}${
      warned ? `, ${warned} warning(s)` : ""
    }.`,
  );
  return result.exitCode;
}
