/**
 * The doctor's Jira checks: the login (`/myself`) and that both transitions
 * the runner takes are reachable from a sample issue's current status, with
 * every field their screens require filled (configured, or a default
 * Resolution).
 *
 * @module
 */
import { type JiraClient, JiraError } from "../../domain/ports/jira.ts";
import type { JiraProbe } from "../../domain/ports/probes.ts";
import { fillTransitionFields, findTransition, statusMatches } from "../../domain/transitions.ts";
import type { RunnerConfig } from "../config/env.ts";
import { buildJiraClient } from "./jira_client.ts";
import type { Report } from "./doctor_report.ts";

/** A Jira client that gives up quickly (the doctor is interactive). */
export function doctorJiraClient(config: RunnerConfig): JiraClient & JiraProbe {
  return buildJiraClient(config, {
    maxRetries: 1,
    initialDelayMs: 500,
    maxDelayMs: 2_000,
    maxRetryAfterMs: 5_000,
    requestTimeoutMs: 15_000,
  });
}

/** The fix for a failed Jira call. */
export function jiraFix(
  error: unknown,
  issueKey?: string,
  deployment: "cloud" | "datacenter" = "cloud",
): string {
  const status = error instanceof JiraError ? error.status : null;
  if (deployment === "datacenter") return dataCenterFix(status, issueKey);
  switch (status) {
    case 401:
      return "Jira refused JIRA_EMAIL + JIRA_API_TOKEN: create an API token for that account at " +
        "https://id.atlassian.com/manage-profile/security/api-tokens, set JIRA_API_TOKEN to it, " +
        "and check that JIRA_EMAIL is the same account's email";
    case 403:
      return "the account is not allowed: check it has Jira access (product access in admin.atlassian.com) " +
        "and log in once in a browser (a CAPTCHA after failed logins blocks the API)";
    case 404:
      return issueKey
        ? `check the key ${issueKey}, and that the AI user has the Browse projects permission on its project`
        : "JIRA_BASE_URL is not a Jira Cloud site: use https://<your-site>.atlassian.net without a path";
    case null:
      return "no answer from JIRA_BASE_URL: check the URL, DNS, any HTTPS proxy and the firewall " +
        "(outbound HTTPS to <your-site>.atlassian.net)";
    default:
      return `Jira answered ${status}: try again later, and see https://status.atlassian.com`;
  }
}

/** The fix for a failed Jira Data Center / Server call. */
function dataCenterFix(status: number | null, issueKey?: string): string {
  switch (status) {
    case 401:
      return "Jira refused the credentials: create a personal access token as the AI Runner user " +
        "(Profile → Personal Access Tokens) and set JIRA_API_TOKEN to it, or, on a Server without " +
        "PATs, set JIRA_DC_AUTH=basic with JIRA_USERNAME and the password in JIRA_API_TOKEN";
    case 403:
      return "the account is not allowed: check it has the Jira Software/Core application access, " +
        "and log in once in a browser (a CAPTCHA after failed logins blocks the API)";
    case 404:
      return issueKey
        ? `check the key ${issueKey}, and that the AI user has the Browse projects permission on its project`
        : "JIRA_BASE_URL does not serve /rest/api/2: include the context path (e.g. https://example.com/jira)";
    case null:
      return "no answer from JIRA_BASE_URL: check the URL, DNS, any HTTPS proxy and the firewall";
    default:
      return `Jira answered ${status}: try again later, and check the Jira server's health`;
  }
}

/** Checks the login; returns the client when it works, else null. */
export async function checkJiraLogin(
  config: RunnerConfig,
  report: Report,
): Promise<JiraClient | null> {
  const jira = doctorJiraClient(config);
  try {
    const me = await jira.myself();
    report.ok("jira", `logged in to ${config.jira.baseUrl} as ${me.displayName} (${me.accountId})`);
    if (me.accountId !== config.jira.aiAccountId) {
      report.warn(
        "jira",
        `the API token belongs to ${me.displayName} (${me.accountId}), not to ` +
          `JIRA_ASSIGNEE_AI_ACCOUNT_ID ${config.jira.aiAccountId}: the runner's comments will ` +
          "appear as that account, and its own comments will not be told apart from people's",
        "use an API token of the AI Runner user, or set JIRA_ASSIGNEE_AI_ACCOUNT_ID to its accountId",
      );
    }
    return jira;
  } catch (error) {
    report.fail(
      "jira",
      (error as Error).message,
      jiraFix(error, undefined, config.jira.deployment),
    );
    return null;
  }
}

const WANTED = [
  { variable: "JIRA_TRANSITION_IN_TESTING", after: "a run opens or updates a PR" },
  { variable: "JIRA_TRANSITION_DONE", after: "the PR merges" },
] as const;

/** Checks that both transitions are available from `issueKey`'s current status. */
export async function checkTransitions(
  config: RunnerConfig,
  jira: JiraClient | null,
  issueKey: string | undefined,
  report: Report,
): Promise<void> {
  if (!issueKey) {
    report.skip(
      "transitions",
      'no sample issue given: run "deno task doctor --issue KEY" with an issue in the status ' +
        "tickets have when they are assigned to the AI user (e.g. To Do)",
    );
    return;
  }
  if (!jira) {
    report.skip("transitions", "needs a working Jira login (see above)");
    return;
  }
  let status, transitions;
  try {
    status = (await jira.getIssue(issueKey)).status;
    transitions = await jira.listTransitions(issueKey);
  } catch (error) {
    report.fail(
      "transitions",
      (error as Error).message,
      jiraFix(error, issueKey, config.jira.deployment),
    );
    return;
  }
  const available = transitions.map((t) => `"${t.name}" → ${t.toStatus}`).join(", ") || "none";
  for (const { variable, after } of WANTED) {
    const done = variable === "JIRA_TRANSITION_DONE";
    const wanted = done ? config.jira.transitionDone : config.jira.transitionInTesting;
    const fallback = done ? "done" as const : undefined;
    if (statusMatches(status, wanted, fallback)) {
      report.warn(
        "transitions",
        `${variable}="${wanted}": ${issueKey} already is in ${status.name}, so the transition ` +
          "cannot be seen from here",
        "run the doctor with an issue in an earlier status",
      );
      continue;
    }
    const found = findTransition(transitions, wanted, fallback);
    const fieldsVariable = `${variable}_FIELDS`;
    const filled = found
      ? fillTransitionFields(
        found,
        done ? config.jira.transitionDoneFields : config.jira.transitionInTestingFields,
        fieldsVariable,
      )
      : null;
    if (filled && !filled.ok) {
      report.fail(
        "transitions",
        `${variable}="${wanted}": ${filled.message}`,
        `set ${fieldsVariable} to a JSON object with a value for each required field (see ` +
          ".env.example), or take the field off the transition's screen or make it optional " +
          "(Project settings → Workflows)",
      );
      continue;
    }
    if (found) {
      const sent = filled?.ok ? Object.keys(filled.fields) : [];
      report.ok(
        "transitions",
        `${variable}="${wanted}": transition "${found.name}" (→ ${found.toStatus}) is available ` +
          `from ${issueKey}'s status ${status.name}` +
          (sent.length > 0 ? `, with its screen's fields ${sent.join(", ")} filled` : ""),
      );
      continue;
    }
    report.fail(
      "transitions",
      `${variable}="${wanted}": no transition of that name, or leading to a status of that name` +
        `${done ? " or in the Done category" : ""}, is available from ${issueKey}'s current ` +
        `status ${status.name} (available: ${available})`,
      `Jira lists transitions from an issue's current status, and the runner takes this one after ` +
        `${after}${done ? " (usually from In Testing)" : ""}. If ${issueKey} is not in such a ` +
        `status, run the doctor with one that is. Otherwise set ${variable} to the transition's ` +
        "name (or its target status) in your workflow, or add the transition to the workflow " +
        "(Project settings → Workflows)",
    );
  }
}
