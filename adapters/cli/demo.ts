/**
 * `deno task demo`: the whole loop on stand-ins, no accounts needed. A ticket
 * is filed in a fake Jira, assigned to the AI user (the Jira webhook, over HTTP,
 * to the real server), worked by the real worker against a real git remote, a
 * fake GitHub and a scripted fake LLM; then a reviewer's comment and a second
 * iteration, the merge (a signed GitHub webhook) and Done, the audit timeline
 * and the dashboard. Everything lives in a temp dir and stays up until Ctrl-C
 * (unless `--no-wait`, `CI`, or stdin is not a terminal).
 *
 * @module
 */
import { issueStream, type RecordedEvent } from "../../domain/events.ts";
import {
  dcIssueAssignedWebhook,
  FAKE_DC_REVIEWER,
  type FakeJiraDc,
} from "../standins/jira_dc_server.ts";
import { git, PILOT_REPO, type WorldJira } from "../standins/world.ts";
import { parseArgs } from "./args.ts";
import { timelineCommand } from "./audit.ts";
import { followStream } from "./demo_follow.ts";
import { describeEvent, endsRun, Narrator } from "./demo_narrate.ts";
import { SandboxUnavailable } from "../../domain/ports/sandbox.ts";
import { BwrapSandbox } from "../sandbox/bwrap.ts";
import { type Stage, startStage } from "./demo_stage.ts";

/** The demo's ticket. */
export const DEMO_ISSUE = {
  key: "MWC-1",
  summary: "Fix typos in the install guide",
  description: "The install guide has a typo that customers keep reporting.\n\n" +
    'Please replace "recieve" with "receive" in docs/install.md.',
};

/** The reviewer's feedback for the second iteration. */
export const DEMO_FEEDBACK =
  'Thanks! Please also replace "dashbord" with "dashboard" in the usage guide.';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Keep everything up until Ctrl-C after the story. */
  wait: boolean;
  color: boolean;
  print?: (line: string) => void;
  provider?: "anthropic" | "openai";
  /** Which Jira stand-in to start: Cloud (default) or Data Center. */
  jira?: WorldJira;
  /** Longest wait for one run (a safety net); default 120 s. */
  runTimeoutMs?: number;
  /** Keep the demo's directory (database, repositories, log) at the end, and say where. */
  keep?: boolean;
}

/** The demo's story, told by `n` against `stage`; throws {@link DemoIncomplete} when a step fails. */
class Story {
  #lastVersion = 0;
  readonly stream = issueStream(DEMO_ISSUE.key);

  readonly #names: Record<string, string>;

  constructor(readonly n: Narrator, readonly stage: Stage, readonly runTimeoutMs: number) {
    const { ai, reviewer, reporter } = stage.world.people;
    this.#names = Object.fromEntries(
      [ai, reviewer, reporter].map((p) => [p.id, p.displayName]),
    );
  }

  get jira() {
    return this.stage.world.jira.state;
  }

  get people() {
    return this.stage.world.people;
  }

  /** A display name for an account id (username on Data Center). */
  readonly nameOf = (accountId: string): string => this.#names[accountId] ?? accountId;

  /** Prints events until `until` matches; throws on timeout. */
  async follow(until: (e: RecordedEvent) => boolean, what: string): Promise<RecordedEvent> {
    const { ended, lastVersion } = await followStream(this.stage.store, this.stream, {
      afterVersion: this.#lastVersion,
      until,
      timeoutMs: this.runTimeoutMs,
      onEvent: (e) => {
        const text = describeEvent(e, this.nameOf);
        if (text) this.n.step(text, e.type !== "RunFailed");
      },
    });
    this.#lastVersion = lastVersion;
    if (!ended) throw new DemoIncomplete(`${what} did not happen within ${this.runTimeoutMs} ms`);
    return ended;
  }

  /**
   * Assigns the issue to the AI user and sends Jira's request: Automation's
   * custom body on Cloud, the native signed `jira:issue_updated` webhook on
   * Data Center.
   */
  async assignToAi(): Promise<string> {
    const { ai, reviewer } = this.people;
    this.jira.setAssignee(DEMO_ISSUE.key, ai.id);
    this.n.act(`${reviewer.displayName} assigns ${DEMO_ISSUE.key} to ${ai.displayName}`);
    const issue = this.jira.issue(DEMO_ISSUE.key);
    let res;
    if (this.stage.world.deployment === "datacenter") {
      const body = dcIssueAssignedWebhook(
        this.stage.world.jira as FakeJiraDc,
        DEMO_ISSUE.key,
        FAKE_DC_REVIEWER,
        null,
      );
      this.n.act(
        `Jira DC webhook: POST ${this.stage.server.url}/jira/webhook ` +
          `(X-Hub-Signature: sha256=…) jira:issue_updated, changelog assignee → ${ai.id}`,
      );
      res = await this.stage.jiraSignedWebhook(body);
    } else {
      const body = {
        issueKey: issue.key,
        assigneeAccountId: ai.id,
        updated: issue.updated,
        initiator: { accountId: reviewer.id, displayName: reviewer.displayName },
      };
      this.n.act(
        `Jira Automation: POST ${this.stage.server.url}/jira/webhook ` +
          `(X-Jira-Webhook-Secret: ••••) ${JSON.stringify({ issueKey: body.issueKey })}`,
      );
      res = await this.stage.jiraWebhook(body);
    }
    this.n.act(`server answered ${res.status} ${JSON.stringify(res.json)}`);
    if (res.status !== 200 || typeof res.json.runId !== "string") {
      throw new DemoIncomplete(`the Jira webhook was not accepted (${res.status})`);
    }
    return res.json.runId;
  }

  /** Follows a run to its end; throws unless it succeeded. */
  async run(runId: string): Promise<void> {
    const end = await this.follow((e) => endsRun(e, runId), `the end of run ${runId}`);
    if (end.type !== "RunSucceeded") {
      throw new DemoIncomplete(`run ${runId} ended with ${end.type}`);
    }
  }

  /** Shows the commit the last run pushed, from the remote. */
  async showCommit(): Promise<void> {
    const events = await this.stage.store.readStream(this.stream);
    const commit = events.findLast((e) => e.type === "ChangesCommitted");
    if (commit?.type !== "ChangesCommitted") throw new DemoIncomplete("no commit was recorded");
    const shown = await git(
      this.stage.world.dir,
      "--git-dir",
      this.stage.world.remote,
      "show",
      "--no-color",
      "--format=commit %H%nAuthor: %an <%ae>%n%n    %s",
      commit.data.sha,
    );
    this.n.line(`  The branch ai/${DEMO_ISSUE.key} on the git remote (git show):`);
    this.n.block(shown);
  }

  /** Shows the pull request as fake GitHub serves it; returns its number. */
  showPullRequest(): number {
    const prs = this.stage.world.github.pullRequests(PILOT_REPO);
    if (prs.length !== 1) {
      throw new DemoIncomplete(`expected one pull request, found ${prs.length}`);
    }
    const pr = prs[0];
    this.n.line(`  Pull request on GitHub (stand-in): ${this.n.style.bold(String(pr.html_url))}`);
    this.n.block(
      `#${pr.number} ${pr.title}\n${pr.head.ref} → ${pr.base.ref}, ${pr.state}${
        pr.draft ? " (draft)" : ""
      }\n\n${String(pr.body ?? "").split("\n").slice(0, 14).join("\n")}`,
    );
    return pr.number;
  }

  /** Shows the runner's latest Jira comment, the status and the assignee. */
  showJira(expectedComments: number): void {
    const comments = this.jira.postedComments(DEMO_ISSUE.key);
    if (comments.length !== expectedComments) {
      throw new DemoIncomplete(
        `expected ${expectedComments} Jira comment(s) from the runner, found ${comments.length}`,
      );
    }
    const issue = this.jira.issue(DEMO_ISSUE.key);
    this.n.line(`  Jira comment by ${this.people.ai.displayName} on ${DEMO_ISSUE.key}:`);
    this.n.block(comments[comments.length - 1].text);
    this.n.line(
      `  Jira status: ${this.n.style.bold(issue.status.name)}, assignee: ${
        issue.assignee?.displayName ?? "nobody"
      }`,
    );
  }

  /** Merges the PR in the git remote (as GitHub would) and delivers the signed webhook. */
  /** The reviewer approves the pull request on GitHub; the webhook records who. */
  async approve(prNumber: number): Promise<void> {
    const delivery = this.stage.world.github.addReview(PILOT_REPO, prNumber, {
      user: "leigh",
      state: "APPROVED",
      body: "Looks good to me.",
    });
    this.n.act(`leigh approves PR #${prNumber} on GitHub`);
    const res = await this.stage.githubWebhook(delivery);
    this.n.act(`server answered ${res.status} ${JSON.stringify(res.json)}`);
    if (res.status >= 300) {
      throw new DemoIncomplete(`the review webhook was refused (${res.status})`);
    }
    await this.follow((e) => e.type === "PrReviewed", "PrReviewed");
  }

  async merge(prNumber: number): Promise<void> {
    const { world } = this.stage;
    const clone = await world.personClone();
    await git(clone, "fetch", "-q", "origin", `ai/${DEMO_ISSUE.key}`);
    await git(
      clone,
      "merge",
      "-q",
      "--no-ff",
      "-m",
      `Merge pull request #${prNumber} from ${PILOT_REPO}/ai/${DEMO_ISSUE.key}`,
      "FETCH_HEAD",
    );
    await git(clone, "push", "-q", "origin", "HEAD:refs/heads/main");
    const mergeSha = await git(clone, "rev-parse", "HEAD");
    const delivery = world.github.mergePullRequest(PILOT_REPO, prNumber, {
      mergedBy: "leigh",
      mergeCommitSha: mergeSha,
    });
    this.n.act(`leigh merges PR #${prNumber} on GitHub (merge commit ${mergeSha.slice(0, 7)})`);
    this.n.act(
      `GitHub: POST ${this.stage.server.url}/github/webhook (X-GitHub-Event: ${delivery.event}, ` +
        `X-Hub-Signature-256: sha256=…)`,
    );
    const res = await this.stage.githubWebhook(delivery);
    this.n.act(`server answered ${res.status} ${JSON.stringify(res.json)}`);
    if (res.status >= 300) {
      throw new DemoIncomplete(`the GitHub webhook was refused (${res.status})`);
    }
    await this.follow((e) => e.type === "PrMerged", "PrMerged");
  }

  /** Waits a few seconds for the ticket to reach Done; says what happened either way. */
  async awaitDone(waitMs: number): Promise<void> {
    const { ended } = await followStream(this.stage.store, this.stream, {
      afterVersion: this.#lastVersion,
      until: () => this.jira.issue(DEMO_ISSUE.key).status.categoryKey === "done",
      timeoutMs: waitMs,
      onEvent: (e) => {
        this.#lastVersion = e.version;
        const text = describeEvent(e, this.nameOf);
        if (text) this.n.step(text, e.type !== "RunFailed");
      },
    });
    const status = this.jira.issue(DEMO_ISSUE.key).status;
    if (ended || status.categoryKey === "done") {
      this.n.step(`Jira status: ${this.n.style.bold(status.name)}`);
    } else {
      this.n.warn(
        `Jira status is still ${status.name} ${waitMs / 1000} s after the merge: ` +
          "this build records PrMerged but did not move the ticket to Done",
      );
    }
  }
}

/** Raised when the loop did not complete. */
export class DemoIncomplete extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DemoIncomplete";
  }
}

/** Resolves on the first SIGINT or SIGTERM from now on; `dispose` stops listening. */
function interruption(): { signal: Promise<void>; dispose(): void } {
  const { promise, resolve } = Promise.withResolvers<void>();
  const done = () => resolve();
  Deno.addSignalListener("SIGINT", done);
  Deno.addSignalListener("SIGTERM", done);
  return {
    signal: promise,
    dispose() {
      Deno.removeSignalListener("SIGINT", done);
      Deno.removeSignalListener("SIGTERM", done);
    },
  };
}

async function tell(story: Story): Promise<void> {
  const { n, stage } = story;
  const key = DEMO_ISSUE.key;

  n.section("1. A ticket is filed in Jira");
  const { reporter, reviewer } = story.people;
  story.jira.createIssue({ ...DEMO_ISSUE, reporter: reporter.id });
  n.act(`${reporter.displayName} files ${key} "${DEMO_ISSUE.summary}":`);
  n.block(DEMO_ISSUE.description);

  n.section("2. Assigned to the AI user: Jira Automation calls the runner");
  const firstRun = await story.assignToAi();

  n.section("3. The worker at work (live, from the event log)");
  await story.run(firstRun);

  n.section("4. The result: a branch, a pull request, a Jira comment");
  await story.showCommit();
  const prNumber = story.showPullRequest();
  story.showJira(1);

  n.section("5. Review: the reviewer asks for more on Jira and assigns it back");
  story.jira.addComment(key, { author: reviewer.id, body: DEMO_FEEDBACK });
  n.act(`${reviewer.displayName} comments on ${key}:`);
  n.block(DEMO_FEEDBACK);
  const secondRun = await story.assignToAi();

  n.section("6. The second iteration, on the same branch and pull request");
  await story.run(secondRun);
  await story.showCommit();
  if (story.showPullRequest() !== prNumber) throw new DemoIncomplete("a second PR was opened");
  story.showJira(2);

  n.section("7. Approval and merge on GitHub → PrMerged → Done");
  await story.approve(prNumber);
  await story.merge(prNumber);
  await story.awaitDone(8_000);

  n.section(`8. The audit timeline (deno task audit ${key})`);
  await timelineCommand(stage.store, key, false, (line) => n.line(`  ${line}`));
}

function lookAround(n: Narrator, stage: Stage, wait: boolean, keep: boolean): void {
  const { config, server, world } = stage;
  n.section("Look around");
  n.line(`  Dashboard:   ${n.style.bold(`${server.url}/`)}`);
  n.line(`               token ${config.dashboardToken} (demo only; sign in with it, or send`);
  n.line(`               "Authorization: Bearer <token>")`);
  n.line(`  Health:      ${server.url}/healthz   metrics: ${server.url}/metrics`);
  n.line(
    `  Stand-ins:   Jira${
      world.deployment === "datacenter" ? " Data Center" : ""
    } ${world.jira.url}, GitHub ${world.github.url}, LLM ${world.llm.baseURL}`,
  );
  n.line(`  Git remote:  ${world.remote}`);
  n.line(`  Data:        ${config.dataDir} (SQLite ${config.databaseUrl})`);
  n.line(`  Runner log:  ${stage.logPath}`);
  n.line(`  Audit:       DATABASE_URL=${config.databaseUrl} deno task audit ${DEMO_ISSUE.key}`);
  n.line("");
  const after = keep
    ? `the directory ${stage.world.dir} is kept (--keep): remove it when done`
    : "the temp dir is removed (--keep keeps it)";
  n.line(
    wait
      ? n.style.bold(`Everything stays up until Ctrl-C; then ${after}.`)
      : `Exiting (--no-wait): the stand-ins stop and ${after}.`,
  );
}

/** Runs the demo; answers the exit code (0 when the whole loop completed). */
export async function runDemo(options: DemoOptions): Promise<number> {
  const n = new Narrator(options.color, options.print);
  n.line(n.style.bold("AI Runner — DEMO ON STAND-INS"));
  n.line(
    n.style.yellow(
      "Jira, GitHub and the LLM are local fakes on loopback (the ones the tests use, with a\n" +
        "scripted model). No accounts, no network: nothing leaves this machine. The server,\n" +
        "worker, event store, git work and webhooks are the real ones, configured exactly\n" +
        "like production (loadConfig from the environment).",
    ),
  );
  if (options.jira === "datacenter") {
    n.line(n.style.dim("Jira: the Jira Data Center stand-in (REST v2, wiki markup, PAT)"));
  }
  // Validation runs in the bubblewrap sandbox, as in production. On a machine without
  // it (the Quick start needs only Node.js and git) the demo says so and runs it
  // unconfined: its model is the scripted stand-in and its repository a local one.
  let sandbox: "bwrap" | "off" = "bwrap";
  try {
    await new BwrapSandbox().check();
    n.line(n.style.dim("Sandbox: bubblewrap (validation runs confined, as in production)."));
  } catch (error) {
    if (!(error instanceof SandboxUnavailable)) throw error;
    sandbox = "off";
    n.warn(
      `bubblewrap cannot start here (${error.fix}); the demo runs validation with ` +
        "SANDBOX=off (UNCONFINED), which production refuses to do",
    );
  }
  const keepDir = options.keep ? await Deno.makeTempDir({ prefix: "ai-runner-demo-" }) : undefined;
  const stage = await startStage([], options.provider, options.jira, sandbox, keepDir);
  n.line(n.style.dim(`Server listening on ${stage.server.url}; data in ${stage.config.dataDir}`));
  const story = new Story(n, stage, options.runTimeoutMs ?? 120_000);
  // Ctrl-C at any point stops everything cleanly (and removes the temp dir).
  const interrupt = interruption();
  const stopped = interrupt.signal.then(() => "interrupted" as const);
  try {
    const telling = tell(story).then(() => "told" as const);
    telling.catch(() => {}); // after an interruption its failure is expected and moot
    const told = await Promise.race([telling, stopped]);
    if (told === "interrupted") {
      n.warn("interrupted: stopping");
      return 130;
    }
    lookAround(n, stage, options.wait, options.keep ?? false);
    if (options.wait) await stopped;
    return 0;
  } catch (error) {
    if (!(error instanceof DemoIncomplete)) throw error;
    n.line("");
    n.fail(n.style.red(`The loop did not complete: ${error.message}`));
    n.line(`  Runner log: ${stage.logPath}`);
    try {
      n.line("  Log tail:");
      n.block((await Deno.readTextFile(stage.logPath)).split("\n").slice(-15).join("\n"));
    } catch { /* no log */ }
    return 1;
  } finally {
    interrupt.dispose();
    await stage.stop();
  }
}

/** `deno task demo [--no-wait] [--keep] [--provider openai] [--jira datacenter]`. */
export async function demoCommand(args: string[]): Promise<number> {
  const parsed = parseArgs(args, ["provider", "jira"]);
  const provider = parsed.flags.get("provider") ?? "anthropic";
  if (provider !== "anthropic" && provider !== "openai") {
    throw new Error(`--provider must be anthropic or openai (got ${provider})`);
  }
  const jira = parsed.flags.get("jira") ?? "cloud";
  if (jira !== "cloud" && jira !== "datacenter") {
    throw new Error(`--jira must be cloud or datacenter (got ${jira})`);
  }
  const wait = !parsed.flags.has("no-wait") && !Deno.env.get("CI") && Deno.stdin.isTerminal();
  return await runDemo({
    wait,
    color: Deno.stdout.isTerminal() && !Deno.noColor,
    provider,
    jira,
    keep: parsed.flags.has("keep"),
  });
}
