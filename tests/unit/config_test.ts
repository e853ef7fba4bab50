import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../../adapters/config/env.ts";

const serverEnv = {
  JIRA_WEBHOOK_SECRET: "jira-secret-123",
  GITHUB_WEBHOOK_SECRET: "gh-secret-456",
  JIRA_ASSIGNEE_AI_ACCOUNT_ID: "acc-ai",
};
const noFiles = (path: string): string => {
  throw new Deno.errors.NotFound(path);
};

function problemsOf(roles: ("store" | "server" | "worker")[], env: Record<string, string>) {
  try {
    loadConfig(roles, env, noFiles);
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e.problems;
  }
  return [];
}

Deno.test("config: defaults for the store role", () => {
  const c = loadConfig(["store"], {}, noFiles);
  assert.equal(c.databaseUrl, "sqlite:data/runner.db");
  assert.equal(c.host, "127.0.0.1");
  assert.equal(c.port, 8088);
  assert.equal(c.jira.transitionInTesting, "In Testing");
  assert.equal(c.jira.transitionDone, "Done");
  assert.equal(c.github.apiUrl, "https://api.github.com");
});

Deno.test("config: DATA_DIR moves the default database", () => {
  const c = loadConfig(["store"], { DATA_DIR: "/var/lib/runner/" }, noFiles);
  assert.equal(c.databaseUrl, "sqlite:/var/lib/runner/runner.db");
});

Deno.test("config: the server lists every missing variable at once", () => {
  const problems = problemsOf(["server"], {});
  assert.equal(problems.length, 3);
  assert.ok(problems.some((p) => p.startsWith("JIRA_WEBHOOK_SECRET is required")));
  assert.ok(problems.some((p) => p.startsWith("GITHUB_WEBHOOK_SECRET is required")));
  assert.ok(problems.some((p) => p.startsWith("JIRA_ASSIGNEE_AI_ACCOUNT_ID is required")));
});

Deno.test("config: malformed values are named with what they should look like", () => {
  const problems = problemsOf(["server"], {
    ...serverEnv,
    PORT: "eighty",
    DATABASE_URL: "mysql://x",
    LLM_PROVIDER: "llama",
    GITHUB_API_URL: "ftp://x",
  });
  assert.equal(problems.length, 4);
  assert.ok(problems.some((p) => p.includes('PORT must be a port number 0–65535 (got "eighty")')));
  assert.ok(problems.some((p) => p.includes("DATABASE_URL must start with sqlite:")));
  assert.ok(problems.some((p) => p.includes('LLM_PROVIDER must be "anthropic" or "openai"')));
});

Deno.test("config: the worker needs Jira, GitHub and the LLM key of its provider", () => {
  const problems = problemsOf(["worker"], { LLM_PROVIDER: "openai" });
  for (
    const name of [
      "JIRA_BASE_URL",
      "JIRA_EMAIL",
      "JIRA_API_TOKEN",
      "JIRA_ASSIGNEE_LEIGH_ACCOUNT_ID",
      "GITHUB_TOKEN",
      "OPENAI_API_KEY",
    ]
  ) {
    assert.ok(problems.some((p) => p.startsWith(name)), `${name} missing from ${problems}`);
  }
  assert.ok(!problems.some((p) => p.startsWith("ANTHROPIC_API_KEY")));
});

Deno.test("config: secrets may come from *_FILE, and never both ways", () => {
  const files: Record<string, string> = { "/run/secrets/jira": "from-file-secret\n" };
  const c = loadConfig(
    ["server"],
    { ...serverEnv, JIRA_WEBHOOK_SECRET: "", JIRA_WEBHOOK_SECRET_FILE: "/run/secrets/jira" },
    (p) => files[p] ?? noFiles(p),
  );
  assert.equal(c.jira.webhookSecret, "from-file-secret");
  assert.ok(c.secrets.includes("from-file-secret"));
  const problems = problemsOf(["server"], { ...serverEnv, GITHUB_WEBHOOK_SECRET_FILE: "/nope" });
  assert.ok(
    problems.some((p) => p.includes("GITHUB_WEBHOOK_SECRET and GITHUB_WEBHOOK_SECRET_FILE")),
  );
  assert.ok(problems.some((p) => p.includes("GITHUB_WEBHOOK_SECRET_FILE=/nope cannot be read")));
});

Deno.test("config: error messages never contain secret values", () => {
  const problems = problemsOf(["server", "worker"], {
    ...serverEnv,
    GITHUB_APP_PRIVATE_KEY: "-----BEGIN PRIVATE KEY-----abc",
  });
  assert.ok(
    problems.some((p) => p.includes("GITHUB_APP_PRIVATE_KEY is set but GITHUB_APP_ID is not")),
  );
  for (const p of problems) {
    assert.ok(!p.includes("jira-secret-123") && !p.includes("BEGIN PRIVATE KEY"));
  }
});

Deno.test("config: transition screen fields are JSON objects, refused otherwise", () => {
  const c = loadConfig(["store"], {
    JIRA_TRANSITION_DONE_FIELDS: '{"resolution": {"name": "Fixed"}, "customfield_1": "x"}',
  }, noFiles);
  assert.deepEqual(c.jira.transitionDoneFields, {
    resolution: { name: "Fixed" },
    customfield_1: "x",
  });
  assert.deepEqual(c.jira.transitionInTestingFields, {});
  const problems = problemsOf(["store"], {
    JIRA_TRANSITION_DONE_FIELDS: "{resolution: Fixed}",
    JIRA_TRANSITION_IN_TESTING_FIELDS: '["resolution"]',
  });
  assert.equal(problems.length, 2);
  assert.match(problems[0], /JIRA_TRANSITION_IN_TESTING_FIELDS must be a JSON object/);
  assert.match(problems[1], /JIRA_TRANSITION_DONE_FIELDS must be a JSON object/);
});
