/**
 * One suite for every adapter of the `JiraClient` port (Jira Cloud over REST
 * v3 and Jira Data Center over REST v2), each against its loopback fake: what
 * the worker relies on must hold on both.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type JiraClient as JiraPort, JiraError } from "../../domain/ports/jira.ts";
import type { JiraProbe } from "../../domain/ports/probes.ts";

/** A client of the port that the doctor can probe too. */
type JiraClient = JiraPort & JiraProbe;
import { findTransition } from "../../domain/transitions.ts";

/** A client under test, its fake, and how to seed and inspect the fake. */
export interface JiraSubject {
  client: JiraClient;
  /** The AI user, reviewer and reporter as the client names them (accountId / username). */
  people: { ai: string; reviewer: string; reporter: string };
  /** Creates an issue; `description` is plain text (valid in both ADF-from-Markdown and wiki). */
  seedIssue(init: {
    key: string;
    summary: string;
    description: string;
    labels?: string[];
    components?: string[];
    assignee?: string | null;
    reporter?: string;
  }): void;
  seedComment(key: string, author: string, text: string, created: Date): void;
  status(key: string): string;
  assignee(key: string): string | null;
  /** The next `times` requests whose path contains `path` answer 429 with `Retry-After`. */
  rateLimit(path: string, retryAfterSeconds: number, times?: number): void;
  /** Every wait the client slept, in ms. */
  sleeps: number[];
  /** A client of the same site with a wrong token. */
  wrongTokenClient(): JiraClient;
  /** The token in use (must never appear in an error). */
  token: string;
  close(): Promise<void>;
}

async function rejection(promise: Promise<unknown>): Promise<JiraError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof JiraError, `not a JiraError: ${error}`);
    return error;
  }
  assert.fail("expected a rejection");
}

/** Registers the contract tests for one adapter. */
export function jiraClientContract(name: string, start: () => Promise<JiraSubject>): void {
  const test = (title: string, fn: (s: JiraSubject) => Promise<void>) =>
    Deno.test(`jira client contract (${name}): ${title}`, async () => {
      const subject = await start();
      try {
        await fn(subject);
      } finally {
        await subject.close();
      }
    });

  test("myself names the AI user", async (s) => {
    const me = await s.client.myself();
    assert.equal(me.accountId, s.people.ai);
    assert.equal(me.displayName, "AI Runner");
  });

  test("getIssue reads summary, description text, labels, components, assignee, status", async (s) => {
    s.seedIssue({
      key: "MWC-1",
      summary: "Fix the install page",
      description: "The guide says recieve.",
      labels: ["docs"],
      components: ["online-docs"],
      assignee: s.people.ai,
      reporter: s.people.reporter,
    });
    const issue = await s.client.getIssue("MWC-1");
    assert.equal(issue.key, "MWC-1");
    assert.match(issue.id, /^\d+$/);
    assert.equal(issue.summary, "Fix the install page");
    assert.equal(issue.descriptionText, "The guide says recieve.");
    assert.deepEqual(issue.labels, ["docs"]);
    assert.deepEqual(issue.components, ["online-docs"]);
    assert.equal(issue.assignee?.accountId, s.people.ai);
    assert.equal(issue.reporter?.accountId, s.people.reporter);
    assert.deepEqual(issue.status, { name: "To Do", categoryKey: "new" });
    assert.match(issue.updated, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  test("a missing issue is a permanent 404", async (s) => {
    const error = await rejection(s.client.getIssue("NOPE-1"));
    assert.equal(error.status, 404);
    assert.equal(error.kind, "permanent");
  });

  test("listComments reads every page, oldest first, authors by id", async (s) => {
    s.seedIssue({ key: "MWC-1", summary: "s", description: "d" });
    const t0 = Date.parse("2025-03-01T09:00:00Z");
    for (let i = 0; i < 7; i++) {
      s.seedComment(
        "MWC-1",
        i % 2 ? s.people.reviewer : s.people.reporter,
        `comment ${i}`,
        new Date(t0 + i * 60_000),
      );
    }
    const comments = await s.client.listComments("MWC-1");
    assert.deepEqual(
      comments.map((c) => c.bodyText),
      [0, 1, 2, 3, 4, 5, 6].map((i) => `comment ${i}`),
    );
    assert.equal(comments[1].author.accountId, s.people.reviewer);
    assert.equal(comments[0].author.accountId, s.people.reporter);
    assert.equal(comments[0].created, "2025-03-01T09:00:00.000Z");
  });

  test("addComment writes Markdown that reads back as the same Markdown-ish text", async (s) => {
    s.seedIssue({ key: "MWC-1", summary: "s", description: "d" });
    const { id } = await s.client.addComment(
      "MWC-1",
      "**AI Runner opened a pull request:** [#1](https://github.example/pr/1)\n\n" +
        "- `docs/install.md`\n- **Validation:** passed\n\n`ai-runner-run:run_01-x`",
    );
    assert.match(id, /^\d+$/);
    const [comment] = await s.client.listComments("MWC-1");
    assert.equal(comment.id, id);
    assert.equal(comment.author.accountId, s.people.ai);
    assert.match(comment.bodyText, /\*\*AI Runner opened a pull request:\*\*/);
    assert.match(comment.bodyText, /\[#1\]\(https:\/\/github\.example\/pr\/1\)/);
    assert.match(comment.bodyText, /- `docs\/install\.md`/);
    assert.ok(comment.bodyText.includes("ai-runner-run:run_01-x"), comment.bodyText);
  });

  test("an empty comment is refused before anything is sent", async (s) => {
    s.seedIssue({ key: "MWC-1", summary: "s", description: "d" });
    const error = await rejection(s.client.addComment("MWC-1", "  \n"));
    assert.equal(error.status, null);
    assert.equal(error.kind, "permanent");
  });

  test("transitions are found by name or target and taken", async (s) => {
    s.seedIssue({ key: "MWC-1", summary: "s", description: "d" });
    const transitions = await s.client.listTransitions("MWC-1");
    const testing = findTransition(transitions, "In Testing");
    assert.ok(testing, JSON.stringify(transitions));
    assert.equal(testing.name, "Ready for Testing");
    assert.equal(findTransition(transitions, "Done", "done")?.toCategoryKey, "done");
    await s.client.transition("MWC-1", testing.id);
    assert.equal(s.status("MWC-1"), "In Testing");
    const invalid = await rejection(s.client.transition("MWC-1", "9999"));
    assert.equal(invalid.status, 400);
  });

  test("assign hands the issue to a person and back to nobody", async (s) => {
    s.seedIssue({ key: "MWC-1", summary: "s", description: "d", assignee: s.people.ai });
    await s.client.assign("MWC-1", s.people.reviewer);
    assert.equal(s.assignee("MWC-1"), s.people.reviewer);
    await s.client.assign("MWC-1", null);
    assert.equal(s.assignee("MWC-1"), null);
  });

  test("a 429 is retried after the Retry-After Jira asked for", async (s) => {
    s.seedIssue({ key: "MWC-1", summary: "s", description: "d" });
    s.rateLimit("/issue/MWC-1", 7, 2);
    const issue = await s.client.getIssue("MWC-1");
    assert.equal(issue.key, "MWC-1");
    assert.deepEqual(s.sleeps.slice(0, 2), [7000, 7000]);
  });

  test("a comment refused by a 429 is sent again (Jira did not process it)", async (s) => {
    s.seedIssue({ key: "MWC-1", summary: "s", description: "d" });
    s.rateLimit("/comment", 2);
    await s.client.addComment("MWC-1", "hello");
    assert.equal((await s.client.listComments("MWC-1")).length, 1);
  });

  test("wrong credentials: a permanent 401 that never shows the token", async (s) => {
    const error = await rejection(s.wrongTokenClient().myself());
    assert.equal(error.status, 401);
    assert.equal(error.kind, "permanent");
    assert.ok(!error.message.includes(s.token));
    assert.match(error.message, /JIRA_API_TOKEN/);
  });
}
