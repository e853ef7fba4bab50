/**
 * A whole outside world on loopback, for the end-to-end tests and the demo:
 * fake Jira (Cloud by default, or Data Center with `jira: "datacenter"`), fake
 * GitHub and a fake LLM (the scripted editor), a real git repository
 * `online-docs` behind a local bare remote, and the environment (DESIGN §7
 * names) that points AI Runner at all of it.
 *
 * @module
 */
import { FAKE_GITHUB_TOKEN, type FakeGitHub, startFakeGitHub } from "./github_server.ts";
import {
  FAKE_AI_USER,
  FAKE_JIRA_API_TOKEN,
  FAKE_JIRA_EMAIL,
  FAKE_REPORTER,
  FAKE_REVIEWER,
  type FakeIssueInit,
  type FakeJira,
  SCREENED_WORKFLOW,
  startFakeJira,
} from "./jira_server.ts";
import {
  FAKE_DC_AI_USER,
  FAKE_DC_PAT,
  FAKE_DC_REPORTER,
  FAKE_DC_REVIEWER,
  type FakeDcIssueInit,
  type FakeJiraDc,
  startFakeJiraDc,
} from "./jira_dc_server.ts";
import { type FakeLlm, type FakeTurn, startFakeLlm } from "./llm_server.ts";
import { scriptedEditor } from "./scripted_model.ts";

/** The pilot repository's files. */
export const SEED_FILES: Record<string, string> = {
  "README.md": "# Online docs\n\nThe product documentation, published from `docs/`.\n",
  "AGENTS.md": "Write plain English. One sentence per line in docs/.\n",
  "docs/install.md": "# Install\n\nRun the installer and wait to recieve the confirmation email.\n",
  "docs/usage.md":
    "# Usage\n\nOpen the dashbord to see your runs.\nEach run links to its pull request.\n",
  "scripts/check.sh":
    '#!/bin/sh\n# The docs\' validation: no unfinished TODO markers.\nif grep -rn "TODO" docs; then echo "docs contain TODO markers"; exit 1; fi\necho "docs ok"\n',
};

/** The GitHub repository of the pilot. */
export const PILOT_REPO = "acme/online-docs";

/** A person of the loopback Jira, named as the runner's configuration names them. */
export interface WorldPerson {
  /** accountId on Cloud, username on Data Center. */
  id: string;
  displayName: string;
}

/** What tests and the demo use of either loopback Jira's state (Cloud or Data Center). */
export interface LoopbackJiraState {
  createIssue(init: {
    key: string;
    summary?: string;
    description?: string;
    reporter?: string;
    assignee?: string | null;
    status?: string;
    labels?: string[];
    components?: string[];
  }): unknown;
  issue(key: string): {
    key: string;
    updated: string;
    status: { name: string; categoryKey: string };
    assignee: { displayName: string } | null;
  };
  addComment(
    key: string,
    init: { author: string; body: string; created?: Date | string; updated?: Date | string },
  ): { id: string; text: string };
  editComment(key: string, id: string, body: string, updated?: Date | string): void;
  comments(key: string): { id: string; text: string }[];
  postedComments(key: string): { id: string; text: string }[];
  setAssignee(key: string, id: string | null): void;
  setStatus(key: string, statusName: string): void;
}

/** Either loopback Jira, as tests and the demo drive it. */
export interface LoopbackJira {
  url: string;
  state: LoopbackJiraState;
  requests: { method: string; path: string; status: number }[];
  close(): Promise<void>;
}

/** Which Jira a world plays. */
export type WorldJira = "cloud" | "datacenter";

/** Options of {@link startWorld}. */
export interface WorldOptions {
  provider?: "anthropic" | "openai";
  /** Which Jira to play (default `cloud`). */
  jira?: WorldJira;
  /** Issues to seed; on Data Center descriptions are wiki markup strings, people usernames. */
  issues?: FakeIssueInit[] | FakeDcIssueInit[];
  /**
   * Data Center only: whether "Close Issue" (→ Done) requires a Resolution.
   * Default false until the workflow sends `JIRA_TRANSITION_DONE_FIELDS` (set in
   * the world's environment already); the client tests cover the required case.
   */
  jiraRequireResolution?: boolean;
  /** LLM script; default the scripted editor. */
  script?: FakeTurn[];
  /** Validation commands of the repo; default `sh scripts/check.sh`. */
  validate?: string[];
  /** More fields of the pilot repo's routing entry (e.g. `dailyBudgetUsd`, `setup`). */
  route?: Record<string, unknown>;
  /** Where to put everything; default a new temp dir. */
  dir?: string;
}

/** A running world. */
export interface World<J extends LoopbackJira = FakeJira> extends AsyncDisposable {
  dir: string;
  dataDir: string;
  /** The bare repository acting as GitHub's git remote. */
  remote: string;
  /** Which Jira it plays. */
  deployment: WorldJira;
  jira: J;
  /** The AI user, the reviewer and a reporter, as the configuration names them. */
  people: { ai: WorldPerson; reviewer: WorldPerson; reporter: WorldPerson };
  github: FakeGitHub;
  llm: FakeLlm;
  /** Environment for `loadConfig` (DESIGN §7 names). */
  env: Record<string, string>;
  /** Runs git in a fresh clone of the remote (a person's machine). */
  personClone(): Promise<string>;
  /** The remote branch's head, or null. */
  remoteHead(branch: string): Promise<string | null>;
  /** The text of a file on a remote branch. */
  remoteFile(branch: string, path: string): Promise<string>;
  close(): Promise<void>;
}

/** Secrets of the world (so tests can check none of them leaks). */
export const WORLD_SECRETS = {
  jiraWebhook: "jira-webhook-secret-7f3a9c",
  githubWebhook: "github-webhook-secret-2b8e1d",
  llmKey: "sk-ant-fake-0123456789abcdefghij",
  dashboard: "dashboard-token-5c1e7a",
};

/** Runs git, failing loudly. */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("git", {
    args,
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: {
      GIT_AUTHOR_NAME: "Leigh Reviewer",
      GIT_AUTHOR_EMAIL: "leigh@example.com",
      GIT_COMMITTER_NAME: "Leigh Reviewer",
      GIT_COMMITTER_EMAIL: "leigh@example.com",
    },
  }).output();
  if (!out.success) {
    throw new Error(`git ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout).trim();
}

async function seedRemote(dir: string): Promise<string> {
  const seed = `${dir}/seed`;
  const remote = `${dir}/remote/online-docs.git`;
  await Deno.mkdir(`${dir}/remote`, { recursive: true });
  await git(dir, "init", "-q", "--bare", "-b", "main", remote);
  await git(dir, "init", "-q", "-b", "main", seed);
  for (const [path, text] of Object.entries(SEED_FILES)) {
    const file = `${seed}/${path}`;
    await Deno.mkdir(file.slice(0, file.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(file, text);
  }
  await git(seed, "add", "-A");
  await git(seed, "commit", "-q", "-m", "Initial docs");
  await git(seed, "push", "-q", remote, "main");
  return remote;
}

function dcIssues(issues: FakeIssueInit[] | FakeDcIssueInit[]): FakeDcIssueInit[] {
  return issues.map((i) => {
    if (i.description !== undefined && typeof i.description !== "string") {
      throw new Error(`issue ${i.key}: a Data Center description is wiki markup (a string)`);
    }
    return i as FakeDcIssueInit;
  });
}

/** Starts a world playing Jira Data Center. */
export function startWorld(
  options: WorldOptions & { jira: "datacenter" },
): Promise<World<FakeJiraDc>>;
/** Starts a world playing Jira Cloud (the default). */
export function startWorld(options?: WorldOptions & { jira?: "cloud" }): Promise<World<FakeJira>>;
/** Starts a world playing either Jira (chosen at run time, e.g. by the demo). */
export function startWorld(options?: WorldOptions): Promise<World<FakeJira | FakeJiraDc>>;
export async function startWorld(
  options: WorldOptions = {},
): Promise<World<FakeJira | FakeJiraDc>> {
  const dir = options.dir ?? await Deno.makeTempDir({ prefix: "ai-runner-world-" });
  const dataDir = `${dir}/data`;
  await Deno.mkdir(dataDir, { recursive: true });
  const remote = await seedRemote(dir);
  const provider = options.provider ?? "anthropic";
  const remoteHead = async (branch: string) => {
    try {
      return await git(
        dir,
        "--git-dir",
        remote,
        "rev-parse",
        "--verify",
        "-q",
        `refs/heads/${branch}`,
      );
    } catch {
      return null;
    }
  };
  const deployment = options.jira ?? "cloud";
  const jira = deployment === "datacenter"
    ? await startFakeJiraDc({
      issues: dcIssues(options.issues ?? []),
      requireResolution: options.jiraRequireResolution ?? true,
    })
    // Done needs a Resolution, as on most real Jira workflows: the runner must fill the screen.
    : await startFakeJira({
      issues: (options.issues ?? []) as FakeIssueInit[],
      workflow: SCREENED_WORKFLOW,
    });
  const github = await startFakeGitHub({
    // The people who review in the tests and the demo have write access; others have none.
    repos: [{ fullName: PILOT_REPO, collaborators: { leigh: "write", sam: "maintain" } }],
    resolveHeadSha: (_repo, branch) => remoteHead(branch),
  });
  const llm = startFakeLlm({
    provider,
    script: options.script ?? scriptedEditor(),
    apiKey: WORLD_SECRETS.llmKey,
  });
  const routing = {
    repos: [{
      id: "online-docs",
      github: PILOT_REPO,
      cloneUrl: remote,
      baseBranch: "main",
      validate: options.validate ?? ["sh scripts/check.sh"],
      ...options.route,
    }],
  };
  await Deno.writeTextFile(`${dir}/runner.config.json`, JSON.stringify(routing, null, 2));
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    DATABASE_URL: `sqlite:${dataDir}/runner.db`,
    RUNNER_CONFIG: `${dir}/runner.config.json`,
    JIRA_BASE_URL: jira.url,
    ...(deployment === "datacenter"
      ? {
        JIRA_DEPLOYMENT: "datacenter",
        JIRA_API_TOKEN: FAKE_DC_PAT,
        JIRA_ASSIGNEE_AI_ACCOUNT_ID: FAKE_DC_AI_USER.name,
        JIRA_ASSIGNEE_LEIGH_ACCOUNT_ID: FAKE_DC_REVIEWER.name,
        JIRA_TRANSITION_DONE_FIELDS: JSON.stringify({ resolution: { name: "Done" } }),
      }
      : {
        JIRA_EMAIL: FAKE_JIRA_EMAIL,
        JIRA_API_TOKEN: FAKE_JIRA_API_TOKEN,
        JIRA_ASSIGNEE_AI_ACCOUNT_ID: FAKE_AI_USER.accountId,
        JIRA_ASSIGNEE_LEIGH_ACCOUNT_ID: FAKE_REVIEWER.accountId,
      }),
    JIRA_WEBHOOK_SECRET: WORLD_SECRETS.jiraWebhook,
    GITHUB_TOKEN: FAKE_GITHUB_TOKEN,
    GITHUB_WEBHOOK_SECRET: WORLD_SECRETS.githubWebhook,
    GITHUB_API_URL: github.url,
    // The stand-in has no secondary rate limits: no need to space writes a second apart.
    GITHUB_MIN_WRITE_INTERVAL_MS: "0",
    LLM_PROVIDER: provider,
    LLM_MODEL: provider === "openai" ? "gpt-fake" : "claude-fake",
    [provider === "openai" ? "OPENAI_API_KEY" : "ANTHROPIC_API_KEY"]: WORLD_SECRETS.llmKey,
    [provider === "openai" ? "OPENAI_BASE_URL" : "ANTHROPIC_BASE_URL"]: llm.baseURL,
    DASHBOARD_TOKEN: WORLD_SECRETS.dashboard,
    LEASE_SECONDS: "30",
  };
  let clones = 0;
  const close = async () => {
    await Promise.allSettled([jira.close(), github.close(), llm.close()]);
    if (!options.dir) await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  return {
    dir,
    dataDir,
    remote,
    deployment,
    jira,
    people: deployment === "datacenter"
      ? {
        ai: { id: FAKE_DC_AI_USER.name, displayName: FAKE_DC_AI_USER.displayName },
        reviewer: { id: FAKE_DC_REVIEWER.name, displayName: FAKE_DC_REVIEWER.displayName },
        reporter: { id: FAKE_DC_REPORTER.name, displayName: FAKE_DC_REPORTER.displayName },
      }
      : {
        ai: { id: FAKE_AI_USER.accountId, displayName: FAKE_AI_USER.displayName },
        reviewer: { id: FAKE_REVIEWER.accountId, displayName: FAKE_REVIEWER.displayName },
        reporter: { id: FAKE_REPORTER.accountId, displayName: FAKE_REPORTER.displayName },
      },
    github,
    llm,
    env,
    async personClone() {
      const path = `${dir}/person-${++clones}`;
      await git(dir, "clone", "-q", remote, path);
      return path;
    },
    remoteHead,
    remoteFile: (branch, path) =>
      git(dir, "--git-dir", remote, "show", `refs/heads/${branch}:${path}`),
    close,
    [Symbol.asyncDispose]: close,
  };
}
