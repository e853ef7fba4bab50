/**
 * The one place that picks the Jira adapter: Jira Cloud (`HttpJiraClient`,
 * REST v3) or Jira Data Center / Server (`DataCenterJiraClient`, REST v2),
 * by `JIRA_DEPLOYMENT`, with the credentials each one takes.
 *
 * @module
 */
import type { JiraClient, JiraDirectory } from "../../domain/ports/jira.ts";
import type { JiraProbe } from "../../domain/ports/probes.ts";
import type { Logger } from "../../domain/ports/logger.ts";
import type { RunnerConfig } from "../config/env.ts";
import { HttpJiraClient } from "../jira/client.ts";
import { DataCenterJiraClient } from "../jira/datacenter/client.ts";

/** Tuning shared by both adapters (the doctor gives up sooner than the worker). */
export interface JiraClientTuning {
  logger?: Logger;
  customFields?: string[];
  maxRetries?: number;
  initialDelayMs?: number;
  maxDelayMs?: number;
  maxRetryAfterMs?: number;
  requestTimeoutMs?: number;
  fetch?: typeof fetch;
}

/** True when the configuration has what a Jira client needs to log in. */
export function jiraConfigured(config: RunnerConfig): boolean {
  const j = config.jira;
  if (!j.baseUrl || !j.apiToken) return false;
  if (j.deployment === "cloud") return j.email !== "";
  return j.auth === "pat" || j.username !== "";
}

/** The Jira client the configuration asks for. */
export function buildJiraClient(
  config: RunnerConfig,
  tuning: JiraClientTuning = {},
): JiraClient & JiraDirectory & JiraProbe {
  const j = config.jira;
  if (j.deployment === "datacenter") {
    return new DataCenterJiraClient({
      baseUrl: j.baseUrl,
      auth: j.auth === "pat"
        ? { kind: "pat", token: j.apiToken }
        : { kind: "basic", username: j.username, password: j.apiToken },
      ...tuning,
    });
  }
  return new HttpJiraClient({
    baseUrl: j.baseUrl,
    email: j.email,
    apiToken: j.apiToken,
    ...tuning,
  });
}
