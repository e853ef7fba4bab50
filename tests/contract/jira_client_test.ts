/**
 * The `JiraClient` contract against both adapters: Jira Cloud (REST v3, ADF,
 * Basic email:token) and Jira Data Center (REST v2, wiki markup, PAT Bearer),
 * each on its loopback fake, with a virtual clock (no real waiting).
 */
import { HttpJiraClient } from "../../adapters/jira/client.ts";
import { DataCenterJiraClient } from "../../adapters/jira/datacenter/client.ts";
import {
  FAKE_AI_USER,
  FAKE_JIRA_API_TOKEN,
  FAKE_JIRA_EMAIL,
  FAKE_REPORTER,
  FAKE_REVIEWER,
  startFakeJira,
} from "../../adapters/standins/jira_server.ts";
import {
  FAKE_DC_AI_USER,
  FAKE_DC_PAT,
  FAKE_DC_REPORTER,
  FAKE_DC_REVIEWER,
  startFakeJiraDc,
} from "../../adapters/standins/jira_dc_server.ts";
import { jiraClientContract, type JiraSubject } from "./jira_client_contract.ts";

function virtualTime() {
  const clock = { now: Date.parse("2025-03-01T09:00:00Z") };
  const sleeps: number[] = [];
  return {
    sleeps,
    tuning: {
      initialDelayMs: 100,
      maxDelayMs: 1000,
      perIssueWriteSpacingMs: 500,
      commentPageSize: 3,
      sleep: (ms: number) => {
        sleeps.push(ms);
        clock.now += ms;
        return Promise.resolve();
      },
      now: () => clock.now,
      random: () => 0.5,
    },
  };
}

jiraClientContract("cloud", async (): Promise<JiraSubject> => {
  const fake = await startFakeJira({ maxCommentsPerPage: 3 });
  const { sleeps, tuning } = virtualTime();
  const client = (apiToken: string) =>
    new HttpJiraClient({ baseUrl: fake.url, email: FAKE_JIRA_EMAIL, apiToken, ...tuning });
  return {
    client: client(FAKE_JIRA_API_TOKEN),
    people: {
      ai: FAKE_AI_USER.accountId,
      reviewer: FAKE_REVIEWER.accountId,
      reporter: FAKE_REPORTER.accountId,
    },
    seedIssue: (init) => fake.state.createIssue(init),
    seedComment: (key, author, text, created) =>
      fake.state.addComment(key, { author, body: text, created }),
    status: (key) => fake.state.issue(key).status.name,
    assignee: (key) => fake.state.issue(key).assignee?.accountId ?? null,
    rateLimit: (path, retryAfterSeconds, times = 1) =>
      fake.injectFault({ status: 429, path, retryAfterSeconds, times }),
    sleeps,
    wrongTokenClient: () => client("wrong-cloud-token-5e6f7a8b"),
    token: FAKE_JIRA_API_TOKEN,
    close: () => fake.close(),
  };
});

jiraClientContract("datacenter", async (): Promise<JiraSubject> => {
  const fake = await startFakeJiraDc({ maxCommentsPerPage: 3 });
  const { sleeps, tuning } = virtualTime();
  const client = (token: string) =>
    new DataCenterJiraClient({ baseUrl: fake.url, auth: { kind: "pat", token }, ...tuning });
  return {
    client: client(FAKE_DC_PAT),
    people: {
      ai: FAKE_DC_AI_USER.name,
      reviewer: FAKE_DC_REVIEWER.name,
      reporter: FAKE_DC_REPORTER.name,
    },
    seedIssue: (init) => fake.state.createIssue(init),
    seedComment: (key, author, text, created) =>
      fake.state.addComment(key, { author, body: text, created }),
    status: (key) => fake.state.issue(key).status.name,
    assignee: (key) => fake.state.issue(key).assignee?.name ?? null,
    rateLimit: (path, retryAfterSeconds, times = 1) =>
      fake.injectFault({ status: 429, path, retryAfterSeconds, times }),
    sleeps,
    wrongTokenClient: () => client("wrong-dc-pat-0a1b2c3d4e5f"),
    token: FAKE_DC_PAT,
    close: () => fake.close(),
  };
});
