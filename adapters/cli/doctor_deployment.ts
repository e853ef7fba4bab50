/**
 * The doctor's deployment check: `GET /rest/api/2/serverInfo` says what the
 * site is (`deploymentType` is `Cloud` on Jira Cloud and `Server` on both
 * Jira Server and Data Center), and the check says when `JIRA_DEPLOYMENT`
 * does not match, and when a Data Center is too old for personal access
 * tokens (8.14).
 *
 * @module
 */
import type { RunnerConfig } from "../config/env.ts";
import type { Report } from "./doctor_report.ts";

/** What the site said about itself. */
export interface ServerInfo {
  deploymentType: string;
  version: string;
}

/** Jira's answer to `/rest/api/2/serverInfo`, read with the configured credentials. */
export async function readServerInfo(
  config: RunnerConfig,
  fetchFn: typeof fetch = fetch,
): Promise<ServerInfo | { status: number | null; error: string }> {
  const j = config.jira;
  const headers: Record<string, string> = { Accept: "application/json" };
  const basic = (user: string, secret: string) =>
    `Basic ${btoa(String.fromCharCode(...new TextEncoder().encode(`${user}:${secret}`)))}`;
  if (j.deployment === "datacenter" && j.auth === "pat") {
    headers.Authorization = `Bearer ${j.apiToken}`;
  } else if (j.deployment === "datacenter") headers.Authorization = basic(j.username, j.apiToken);
  else if (j.email) headers.Authorization = basic(j.email, j.apiToken);
  let response: Response;
  try {
    response = await fetchFn(`${j.baseUrl}/rest/api/2/serverInfo`, {
      headers,
      signal: AbortSignal.timeout(15_000),
    });
  } catch (error) {
    return { status: null, error: (error as Error).name };
  }
  const text = await response.text().catch(() => "");
  if (!response.ok) return { status: response.status, error: `HTTP ${response.status}` };
  try {
    const json = JSON.parse(text) as Record<string, unknown>;
    if (typeof json.deploymentType !== "string") {
      return { status: response.status, error: "no deploymentType in the answer" };
    }
    return {
      deploymentType: json.deploymentType,
      version: typeof json.version === "string" ? json.version : "",
    };
  } catch {
    return { status: response.status, error: "the answer is not JSON" };
  }
}

function olderThan(version: string, major: number, minor: number): boolean {
  const [a, b] = version.split(".").map((n) => Number(n));
  if (!Number.isFinite(a)) return false;
  return a < major || (a === major && (Number.isFinite(b) ? b : 0) < minor);
}

/** Checks that `JIRA_DEPLOYMENT` matches what the site says it is. */
export async function checkJiraDeployment(
  config: RunnerConfig,
  report: Report,
  fetchFn?: typeof fetch,
): Promise<void> {
  const setting = config.jira.deployment;
  const info = await readServerInfo(config, fetchFn);
  if ("error" in info) {
    const line = `could not read ${config.jira.baseUrl}/rest/api/2/serverInfo (${info.error}), ` +
      `so JIRA_DEPLOYMENT=${setting} cannot be confirmed`;
    if (setting === "datacenter") {
      report.warn(
        "jira deployment",
        line,
        "check JIRA_BASE_URL (include the context path, e.g. https://example.com/jira)",
      );
    } else report.skip("jira deployment", line);
    return;
  }
  const site = info.deploymentType === "Cloud" ? "cloud" : "datacenter";
  const what = site === "cloud"
    ? "a Jira Cloud site"
    : `a Jira Data Center / Server${info.version ? ` ${info.version}` : ""}`;
  if (site !== setting) {
    report.fail(
      "jira deployment",
      `JIRA_BASE_URL is ${what} (serverInfo deploymentType "${info.deploymentType}"), but ` +
        `JIRA_DEPLOYMENT=${setting}`,
      site === "cloud"
        ? "set JIRA_DEPLOYMENT=cloud (or unset it), with JIRA_EMAIL and an Atlassian API token"
        : "set JIRA_DEPLOYMENT=datacenter, with a personal access token in JIRA_API_TOKEN and " +
          "usernames in the JIRA_ASSIGNEE_* settings",
    );
    return;
  }
  report.ok(
    "jira deployment",
    `JIRA_DEPLOYMENT=${setting} matches: ${what} (serverInfo deploymentType "${info.deploymentType}")`,
  );
  if (setting === "datacenter" && config.jira.auth === "pat" && olderThan(info.version, 8, 14)) {
    report.warn(
      "jira deployment",
      `Jira ${info.version} has no personal access tokens (they came with 8.14)`,
      "set JIRA_DC_AUTH=basic with JIRA_USERNAME and the password in JIRA_API_TOKEN, or upgrade",
    );
  }
}
