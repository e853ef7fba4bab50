/**
 * The run workflow: one claimed run from ticket to pull request and back to
 * Jira, each outcome recorded as a step event by the lease holder.
 *
 * Restart-safe: every step looks at what the stream already recorded and
 * continues after it; every outside effect is made idempotent against the
 * outside world (the worktree of a killed attempt is reused, the PR is found by
 * branch before one is created, the Jira comment is found by its run marker
 * before one is posted, the status is read before transitioning).
 *
 * @module
 */
import { runToolLoop, ToolLoopError } from "../agent/tool_loop.ts";
import { handleCommand } from "../command_handler.ts";
import {
  type ArtifactRef,
  type EventData,
  issueStream,
  type RecordedEvent,
  type TokenUsage,
} from "../events.ts";
import type { ArtifactStore, EventStore } from "../ports/event_store.ts";
import type { GitHubClient } from "../ports/github.ts";
import type { GitWorkspaces, Worktree } from "../ports/git.ts";
import {
  findTransition,
  type JiraClient,
  type JiraComment,
  type JiraIssue,
  statusMatches,
} from "../ports/jira.ts";
import type { LlmClient } from "../ports/llm.ts";
import type { Logger } from "../ports/logger.ts";
import type { ValidationRun, Workspace } from "../ports/workspace.ts";
import type { StepEvent } from "../run/commands.ts";
import { isDomainError } from "../run/errors.ts";
import { evolve, initialState, type IssueState, type StepName } from "../run/state.ts";
import { type RepoRoute, routeIssue, type RoutingConfig } from "../routing.ts";
import {
  type PullRequestFeedback,
  runMarker,
  selectJiraFeedback,
  selectPullRequestFeedback,
  type SkippedComment,
} from "./feedback.ts";
import { LeaseLost, RunStopped } from "./failure.ts";
import { noChangeComment, pullRequestBody, pullRequestTitle, resultComment } from "./messages.ts";
import {
  commitTitle,
  type PreviousIteration,
  type PromptInput,
  repairPrompt,
  systemPrompt,
  taskPrompt,
} from "./prompt.ts";
import type { WorkflowSettings } from "./settings.ts";

/** Text redaction and secret detection (the runner's secrets and token shapes). */
export interface SecretFilter {
  redact(text: string): string;
  contains(text: string): boolean;
}

/** Everything the workflow works through. */
export interface WorkflowDeps {
  store: EventStore;
  artifacts: ArtifactStore;
  jira: JiraClient;
  github: GitHubClient;
  git: GitWorkspaces;
  llm: LlmClient;
  workspace: Workspace;
  routing: RoutingConfig;
  secrets: SecretFilter;
  settings: WorkflowSettings;
  clock: () => Date;
  logger: Logger;
  workerId: string;
}

/** The run being worked on. */
export interface RunHandle {
  issueKey: string;
  runId: string;
  leaseId: string;
  /** Aborted when the lease is lost or the worker stops. */
  signal: AbortSignal;
  /** The step being worked on, for failure reports. */
  step: string;
}

/** How a run ended well. */
export type RunOutcome = "pr_opened" | "pr_updated" | "no_changes" | "completed";

/** What the ticket looked like to this run: stored as an artifact. */
export interface IssueSnapshot {
  issue: JiraIssue;
  jiraFeedback: JiraComment[];
  prFeedback: PullRequestFeedback[];
  skipped: SkippedComment[];
  requesterAccountId: string | null;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

async function putJson(artifacts: ArtifactStore, value: unknown, mediaType = "application/json") {
  const bytes = encoder.encode(JSON.stringify(value));
  const { sha256, size } = await artifacts.put(bytes, mediaType);
  return { sha256, size, mediaType } satisfies ArtifactRef;
}

/** Stores text as it is (a patch must come back byte for byte, not as a JSON string). */
async function putText(artifacts: ArtifactStore, text: string, mediaType: string) {
  const { sha256, size } = await artifacts.put(encoder.encode(text), mediaType);
  return { sha256, size, mediaType } satisfies ArtifactRef;
}

async function getText(artifacts: ArtifactStore, ref: ArtifactRef): Promise<string> {
  const found = await artifacts.get(ref.sha256);
  if (!found) throw new RunStopped("resume", "permanent", `artifact ${ref.sha256} is missing`);
  return decoder.decode(found.content);
}

/** Runs (or resumes) one claimed run to its end; throws for the worker to classify. */
export class RunWorkflow {
  readonly #d: WorkflowDeps;
  readonly #run: RunHandle;
  readonly #log: Logger;
  #events: RecordedEvent[] = [];
  #state: IssueState = initialState();

  constructor(deps: WorkflowDeps, run: RunHandle) {
    this.#d = deps;
    this.#run = run;
    this.#log = deps.logger.child({ issueKey: run.issueKey, runId: run.runId });
  }

  get #steps(): Partial<Record<StepName, { type: string; data: unknown }>> {
    return this.#state.runs[this.#run.runId]?.steps ?? {};
  }

  #recorded<S extends StepEvent["type"]>(step: StepName, type: S): EventData<S> | null {
    const e = this.#steps[step];
    return e && e.type === type ? (e.data as EventData<S>) : null;
  }

  #enter(step: string): void {
    if (this.#run.signal.aborted) throw new LeaseLost(this.#run.runId, "the lease was lost");
    this.#run.step = step;
  }

  async #record(step: StepEvent): Promise<void> {
    const result = await handleCommand(
      this.#d.store,
      this.#run.issueKey,
      {
        type: "RecordStep",
        runId: this.#run.runId,
        leaseId: this.#run.leaseId,
        now: this.#d.clock().toISOString(),
        step,
      },
      { actor: `worker:${this.#d.workerId}` },
    );
    if (!result.ok) {
      if (isDomainError(result.error) && result.error.code === "step_already_recorded") return;
      throw new LeaseLost(this.#run.runId, result.error.message);
    }
    this.#state = result.state;
    this.#events.push(...result.events);
    this.#log.info(`step ${step.type}`, { step: step.type });
  }

  async #load(): Promise<void> {
    this.#events = await this.#d.store.readStream(issueStream(this.#run.issueKey));
    this.#state = this.#events.reduce(evolve, initialState());
  }

  /** Runs every step not yet recorded. Returns the outcome for `RunSucceeded`. */
  async execute(): Promise<{ outcome: RunOutcome; summary: string }> {
    await this.#load();
    if (this.#state.runs[this.#run.runId]?.kind === "completion") return await this.#completion();
    const snapshot = await this.#fetchIssue();
    this.#enter("route");
    const repo = routeIssue(this.#d.routing, snapshot.issue);
    if (!repo) {
      throw new RunStopped(
        "route",
        "config",
        `no repository in RUNNER_CONFIG matches ${this.#run.issueKey} and there is no default`,
      );
    }
    const token = await this.#gitToken(repo);
    const worktree = await this.#prepare(repo, token);
    try {
      const generated = await this.#generate(repo, worktree, snapshot);
      const validation = await this.#validate(repo, worktree, generated);
      this.#enter("scan_diff");
      const startSha = this.#recorded("prepare_workspace", "WorkspacePrepared")!.startSha;
      const diff = await this.#d.git.diff(worktree, { from: startSha });
      if (diff.trim() === "") return await this.#noChanges(generated.summary);
      this.#scanDiff(diff);
      const commit = await this.#commit(worktree, snapshot, generated);
      await this.#push(worktree, commit, token);
      const pr = await this.#pullRequest(repo, snapshot, generated, validation);
      await this.#comment("result", () =>
        resultComment({
          issueKey: this.#run.issueKey,
          runId: this.#run.runId,
          summary: generated.summary,
          filesChanged: commit.filesChanged,
          validation: {
            configured: repo.validate.length > 0,
            passed: validation.passed,
            repairs: validation.repairs,
          },
          branch: worktree.branch,
          pr,
          tokens: { input: generated.usage.inputTokens, output: generated.usage.outputTokens },
          jiraFeedback: snapshot.jiraFeedback,
          prFeedback: snapshot.prFeedback,
        }));
      await this.#transition(this.#d.settings.transitionInTesting);
      await this.#assignReviewer();
      await this.#d.git.remove(worktree).catch(() => {});
      return { outcome: pr.opened ? "pr_opened" : "pr_updated", summary: generated.summary };
    } catch (error) {
      // Keep the worktree of a run that may resume; drop it on a definite stop.
      if (error instanceof RunStopped) await this.#d.git.remove(worktree).catch(() => {});
      throw error;
    }
  }

  // --- steps ---------------------------------------------------------------------------

  async #fetchIssue(): Promise<IssueSnapshot> {
    this.#enter("fetch_issue");
    const recorded = this.#recorded("fetch_issue", "IssueFetched");
    if (recorded?.snapshot) {
      return JSON.parse(await getText(this.#d.artifacts, recorded.snapshot)) as IssueSnapshot;
    }
    const { jira, settings } = this.#d;
    const key = this.#run.issueKey;
    const [issue, comments] = await Promise.all([jira.getIssue(key), jira.listComments(key)]);
    const requested = this.#events.find((e) =>
      e.type === "RunRequested" && e.data.runId === this.#run.runId
    );
    const requestedAt = requested?.type === "RunRequested"
      ? requested.data.requestedAt
      : this.#d.clock().toISOString();
    const requesterAccountId = requested?.type === "RunRequested"
      ? requested.data.requestedBy?.accountId ?? null
      : null;
    const since = this.#previousFetchTime();
    const trusted = new Set([
      settings.reviewerAccountId,
      ...settings.trustedAccountIds,
      ...(requesterAccountId ? [requesterAccountId] : []),
    ]);
    const { feedback, skipped } = selectJiraFeedback(comments, {
      aiAccountId: settings.aiAccountId,
      trustedAccountIds: trusted,
      since,
      requestedAt,
    });
    const prFeedback = await this.#prFeedback(issue, since);
    const feedbackFrom = [
      ...feedback.map((c) => ({
        source: "jira" as const,
        id: c.id,
        displayName: c.author.displayName || c.author.accountId,
      })),
      ...prFeedback.map((f) => ({ source: "github" as const, id: f.id, displayName: f.author })),
    ];
    const snapshot: IssueSnapshot = {
      issue,
      jiraFeedback: feedback,
      prFeedback,
      skipped,
      requesterAccountId,
    };
    const ref = await putJson(this.#d.artifacts, snapshot);
    await this.#record({
      type: "IssueFetched",
      data: {
        runId: this.#run.runId,
        summary: issue.summary.slice(0, 2000),
        status: issue.status.name,
        issueType: issue.issueType,
        labels: issue.labels,
        components: issue.components,
        assigneeAccountId: issue.assignee?.accountId ?? null,
        commentCount: comments.length,
        feedbackCommentIds: feedback.map((c) => c.id),
        feedbackFrom,
        snapshot: ref,
      },
    });
    return snapshot;
  }

  /** When the latest earlier run fetched the issue (feedback after it is new). */
  #previousFetchTime(): string | null {
    let at: string | null = null;
    for (const e of this.#events) {
      if (e.type === "IssueFetched" && e.data.runId !== this.#run.runId) at = e.recordedAt;
    }
    return at;
  }

  async #prFeedback(issue: JiraIssue, since: string | null): Promise<PullRequestFeedback[]> {
    const pr = this.#state.pullRequest;
    const repo = routeIssue(this.#d.routing, issue);
    if (!pr || pr.state !== "open" || !repo) return [];
    const [comments, reviews] = await Promise.all([
      this.#d.github.listReviewComments(repo.github, pr.number),
      this.#d.github.listReviews(repo.github, pr.number),
    ]);
    const seen = new Set<string>();
    for (const e of this.#events) {
      if (e.type !== "IssueFetched") continue;
      for (const f of e.data.feedbackFrom ?? []) if (f.source === "github") seen.add(f.id);
    }
    return selectPullRequestFeedback(comments, reviews, since, seen);
  }

  async #gitToken(repo: RepoRoute): Promise<string | undefined> {
    const url = this.#d.settings.cloneUrl(repo);
    return /^https?:\/\//.test(url) ? await this.#d.github.tokenForGit() : undefined;
  }

  async #prepare(repo: RepoRoute, token: string | undefined): Promise<Worktree> {
    this.#enter("prepare_workspace");
    const worktree = await this.#d.git.prepare({
      repoId: repo.id,
      cloneUrl: this.#d.settings.cloneUrl(repo),
      token,
      baseBranch: repo.baseBranch,
      branch: `ai/${this.#run.issueKey}`,
      runId: this.#run.runId,
    });
    if (!this.#recorded("prepare_workspace", "WorkspacePrepared")) {
      await this.#record({
        type: "WorkspacePrepared",
        data: {
          runId: this.#run.runId,
          repoId: repo.id,
          github: repo.github,
          branch: worktree.branch,
          baseBranch: repo.baseBranch,
          startSha: worktree.startSha,
          continued: worktree.continued,
        },
      });
    } else if (!worktree.reused) {
      await this.#restoreChanges(worktree);
    }
    return worktree;
  }

  /**
   * A resumed run on a fresh worktree (another host, or the old one was lost):
   * put back the changes the model already made, from the stored patch.
   */
  async #restoreChanges(worktree: Worktree): Promise<void> {
    const generated = this.#recorded("generate_changes", "ChangesGenerated");
    if (!generated?.patch || this.#recorded("push", "BranchPushed")) return;
    const patch = await getText(this.#d.artifacts, generated.patch);
    await this.#d.git.applyPatch(worktree, patch);
  }

  async #generate(
    repo: RepoRoute,
    worktree: Worktree,
    snapshot: IssueSnapshot,
  ): Promise<EventData<"ChangesGenerated"> & { validationRun?: ValidationRun; repairs: number }> {
    this.#enter("generate_changes");
    const recorded = this.#recorded("generate_changes", "ChangesGenerated");
    if (recorded) return { ...recorded, repairs: 0 };
    const { workspace, llm, settings, secrets } = this.#d;
    const validate = repo.validate.length
      ? (signal?: AbortSignal) =>
        workspace.validate(worktree.path, repo.validate, repo.validateTimeoutSeconds, signal)
      : undefined;
    const tools = await workspace.openTools(worktree.path, validate);
    const context = await workspace.context(worktree.path);
    const prompt: PromptInput = {
      issue: snapshot.issue,
      repo: {
        github: repo.github,
        baseBranch: repo.baseBranch,
        branch: worktree.branch,
        continued: worktree.continued,
      },
      instructions: context.instructions,
      fileTree: context.fileTree,
      hasValidation: !!validate,
      previousIterations: this.#previousIterations(),
      jiraFeedback: snapshot.jiraFeedback,
      prFeedback: snapshot.prFeedback,
    };
    const startedAt = Date.now();
    let usage: TokenUsage = { inputTokens: 0, outputTokens: 0 };
    let turns = 0;
    let summary = "";
    let userPrompt = taskPrompt(prompt);
    const transcripts: unknown[] = [];
    let validationRun: ValidationRun | undefined;
    let repairs = 0;
    for (;;) {
      const budgets = {
        ...settings.budgets,
        maxTurns: settings.budgets.maxTurns - turns,
        maxTokens: settings.budgets.maxTokens - usage.inputTokens - usage.outputTokens,
        wallTimeMs: settings.budgets.wallTimeMs - (Date.now() - startedAt),
      };
      let result;
      try {
        result = await runToolLoop({
          llm,
          system: systemPrompt(prompt),
          userPrompt,
          tools,
          budgets,
          now: Date.now,
          signal: this.#run.signal,
          redact: (t) => secrets.redact(t),
        });
      } catch (error) {
        if (error instanceof ToolLoopError) {
          transcripts.push(error.partial.transcript);
        }
        throw error;
      }
      transcripts.push(result.transcript);
      turns += result.turns;
      usage = {
        inputTokens: usage.inputTokens + result.usage.inputTokens,
        outputTokens: usage.outputTokens + result.usage.outputTokens,
      };
      if (result.outcome === "stopped") throw new LeaseLost(this.#run.runId, "stopped");
      if (result.outcome === "budget_exceeded") {
        throw new RunStopped("generate_changes", "budget", result.reason ?? "a budget ran out");
      }
      summary = result.summary ?? (summary || "The model ended without a summary.");
      if (!validate) break;
      validationRun = await validate(this.#run.signal);
      if (validationRun.passed || repairs >= settings.maxRepairs) break;
      repairs++;
      userPrompt = repairPrompt(validationRun.output, repairs, settings.maxRepairs);
    }
    const filesChanged = await tools.filesChanged();
    const startSha = this.#recorded("prepare_workspace", "WorkspacePrepared")!.startSha;
    const patchText = await this.#d.git.diff(worktree, { from: startSha });
    const transcript = await putJson(this.#d.artifacts, transcripts);
    const patch = patchText
      ? await putText(this.#d.artifacts, patchText, "text/x-diff")
      : undefined;
    const data: EventData<"ChangesGenerated"> = {
      runId: this.#run.runId,
      summary: secrets.redact(summary).slice(0, 10_000),
      filesChanged,
      turns,
      usage,
      provider: llm.provider,
      model: llm.model,
      transcript,
      patch,
    };
    await this.#record({ type: "ChangesGenerated", data });
    return { ...data, validationRun, repairs };
  }

  #previousIterations(): PreviousIteration[] {
    const out: PreviousIteration[] = [];
    for (const e of this.#events) {
      if (e.type === "ChangesGenerated" && e.data.runId !== this.#run.runId) {
        out.push({
          runId: e.data.runId,
          summary: e.data.summary,
          filesChanged: e.data.filesChanged,
        });
      }
    }
    return out.slice(-10);
  }

  async #validate(
    repo: RepoRoute,
    worktree: Worktree,
    generated: { validationRun?: ValidationRun; repairs: number },
  ): Promise<{ passed: boolean; repairs: number }> {
    this.#enter("validate");
    const recorded = this.#recorded("validate", "ValidationCompleted");
    if (recorded) return { passed: recorded.passed, repairs: recorded.repairs };
    const run = generated.validationRun ??
      (repo.validate.length
        ? await this.#d.workspace.validate(
          worktree.path,
          repo.validate,
          repo.validateTimeoutSeconds,
          this.#run.signal,
        )
        : { passed: true, commands: [], output: "" });
    const log = run.output
      ? await putText(this.#d.artifacts, this.#d.secrets.redact(run.output), "text/plain")
      : undefined;
    await this.#record({
      type: "ValidationCompleted",
      data: {
        runId: this.#run.runId,
        passed: run.passed,
        commands: run.commands,
        repairs: generated.repairs,
        log,
      },
    });
    return { passed: run.passed, repairs: generated.repairs };
  }

  #scanDiff(diff: string): void {
    const { secrets, settings } = this.#d;
    const bytes = encoder.encode(diff).length;
    if (bytes > settings.maxDiffBytes) {
      throw new RunStopped(
        "scan_diff",
        "budget",
        `the change is ${bytes} bytes, over the largest diff allowed (${settings.maxDiffBytes})`,
      );
    }
    if (!secrets.contains(diff)) return;
    const files = diff.split(/^diff --git /m).filter((part) => secrets.contains(part))
      .map((part) => part.split("\n")[0].split(" b/")[1] ?? "?");
    throw new RunStopped(
      "scan_diff",
      "permanent",
      `the change contains what looks like a secret (in ${
        [...new Set(files)].join(", ")
      }); nothing was pushed`,
    );
  }

  async #commit(
    worktree: Worktree,
    snapshot: IssueSnapshot,
    generated: { summary: string },
  ): Promise<{ sha: string; filesChanged: string[] }> {
    this.#enter("commit");
    const recorded = this.#recorded("commit", "ChangesCommitted");
    if (recorded && (worktree.reused || this.#recorded("push", "BranchPushed"))) {
      return { sha: recorded.sha, filesChanged: recorded.filesChanged };
    }
    const key = this.#run.issueKey;
    const message = commitTitle(key, generated.summary, snapshot.issue.summary);
    const requester = snapshot.requesterAccountId;
    const made = await this.#d.git.commit(worktree, {
      message: `${message}\n\n${this.#d.secrets.redact(generated.summary)}`.slice(0, 9_000),
      author: this.#d.settings.commitAuthor,
      trailers: [
        `Jira-Issue: ${key}`,
        `AI-Runner-Run: ${this.#run.runId}`,
        ...(requester ? [`Requested-by: jira:${requester}`] : []),
      ],
    });
    // Nothing to commit after a resume: the commit was made before the crash.
    const sha = made?.sha ?? await this.#d.git.head(worktree);
    const filesChanged = made?.filesChanged ?? recorded?.filesChanged ?? [];
    if (!recorded) {
      await this.#record({
        type: "ChangesCommitted",
        data: { runId: this.#run.runId, sha, message, filesChanged },
      });
    }
    return { sha, filesChanged };
  }

  async #push(worktree: Worktree, commit: { sha: string }, token: string | undefined) {
    this.#enter("push");
    if (this.#recorded("push", "BranchPushed")) return;
    const pushed = await this.#d.git.push(worktree, { branch: worktree.branch, token });
    await this.#record({
      type: "BranchPushed",
      data: { runId: this.#run.runId, branch: worktree.branch, sha: pushed.sha ?? commit.sha },
    });
  }

  async #pullRequest(
    repo: RepoRoute,
    snapshot: IssueSnapshot,
    generated: { summary: string },
    validation: { passed: boolean; repairs: number },
  ): Promise<{ number: number; url: string; draft: boolean; opened: boolean }> {
    this.#enter("pull_request");
    const opened = this.#recorded("pull_request", "PullRequestOpened");
    if (opened) {
      return { number: opened.number, url: opened.url, draft: opened.draft, opened: true };
    }
    const updated = this.#recorded("pull_request", "PullRequestUpdated");
    if (updated) return { number: updated.number, url: updated.url, draft: false, opened: false };
    const { github, secrets, settings } = this.#d;
    const key = this.#run.issueKey;
    const branch = `ai/${key}`;
    const title = pullRequestTitle(key, snapshot.issue.summary);
    const body = secrets.redact(pullRequestBody({
      issueKey: key,
      issueUrl: settings.issueUrl(key),
      runId: this.#run.runId,
      summary: generated.summary,
      validation: {
        configured: repo.validate.length > 0,
        passed: validation.passed,
        repairs: validation.repairs,
      },
      iterations: [
        ...this.#previousIterations(),
        { runId: this.#run.runId, summary: generated.summary, filesChanged: [] },
      ],
    }));
    const existing = await github.findOpenPullRequest(repo.github, branch);
    if (existing) {
      const pr = await github.updatePullRequest({
        repo: repo.github,
        number: existing.number,
        title,
        body,
      });
      await this.#record({
        type: "PullRequestUpdated",
        data: { runId: this.#run.runId, number: pr.number, url: pr.url },
      });
      return { number: pr.number, url: pr.url, draft: pr.draft, opened: false };
    }
    const draft = !validation.passed;
    const { pullRequest: pr, created } = await github.createPullRequest({
      repo: repo.github,
      head: branch,
      base: repo.baseBranch,
      title,
      body,
      draft,
    });
    if (created) {
      await this.#record({
        type: "PullRequestOpened",
        data: {
          runId: this.#run.runId,
          number: pr.number,
          url: pr.url,
          draft: pr.draft,
          head: branch,
          base: repo.baseBranch,
        },
      });
    } else {
      await this.#record({
        type: "PullRequestUpdated",
        data: { runId: this.#run.runId, number: pr.number, url: pr.url },
      });
    }
    return { number: pr.number, url: pr.url, draft: pr.draft, opened: created };
  }

  /** Posts the run's one Jira comment, unless a comment with its marker already exists. */
  async #comment(
    purpose: EventData<"JiraCommented">["purpose"],
    body: () => string,
  ): Promise<void> {
    this.#enter("jira_comment");
    if (this.#recorded("jira_comment", "JiraCommented")) return;
    const key = this.#run.issueKey;
    const marker = runMarker(this.#run.runId);
    const existing = (await this.#d.jira.listComments(key)).find((c) =>
      c.bodyText.includes(marker)
    );
    const id = existing?.id ??
      (await this.#d.jira.addComment(key, this.#d.secrets.redact(body()))).id;
    await this.#record({
      type: "JiraCommented",
      data: { runId: this.#run.runId, commentId: id, purpose },
    });
  }

  async #transition(target: string, fallback?: "done"): Promise<void> {
    this.#enter("jira_transition");
    if (this.#recorded("jira_transition", "JiraTransitioned")) return;
    const key = this.#run.issueKey;
    const issue = await this.#d.jira.getIssue(key);
    if (statusMatches(issue.status, target, fallback)) {
      await this.#record({
        type: "JiraTransitioned",
        data: {
          runId: this.#run.runId,
          transitionId: "-",
          transitionName: "",
          toStatus: issue.status.name,
          alreadyThere: true,
        },
      });
      return;
    }
    const transitions = await this.#d.jira.listTransitions(key);
    const t = findTransition(transitions, target, fallback);
    if (!t) {
      throw new RunStopped(
        "jira_transition",
        "config",
        `no transition to "${target}" from "${issue.status.name}" (available: ${
          transitions.map((x) => `${x.name} → ${x.toStatus}`).join(", ") || "none"
        }); set ${fallback ? "JIRA_TRANSITION_DONE" : "JIRA_TRANSITION_IN_TESTING"}`,
      );
    }
    await this.#d.jira.transition(key, t.id);
    await this.#record({
      type: "JiraTransitioned",
      data: {
        runId: this.#run.runId,
        transitionId: t.id,
        transitionName: t.name,
        toStatus: t.toStatus,
        alreadyThere: false,
      },
    });
  }

  async #assignReviewer(): Promise<void> {
    this.#enter("jira_assign");
    if (this.#recorded("jira_assign", "JiraAssigned")) return;
    const reviewer = this.#d.settings.reviewerAccountId;
    await this.#d.jira.assign(this.#run.issueKey, reviewer);
    await this.#record({
      type: "JiraAssigned",
      data: { runId: this.#run.runId, accountId: reviewer },
    });
  }

  /**
   * A completion run: the PR was merged (comment with the merge commit and who
   * merged, then Done; nothing at all when the ticket is already Done, as when
   * a reviewer closed it by hand) or closed unmerged (a comment, no transition).
   */
  async #completion(): Promise<{ outcome: RunOutcome; summary: string }> {
    const requestedAt = this.#events.findIndex((e) =>
      e.type === "RunRequested" && e.data.runId === this.#run.runId
    );
    const fact = this.#events.slice(0, requestedAt).findLast((e) =>
      e.type === "PrMerged" || e.type === "PrClosed"
    );
    if (!fact || (fact.type !== "PrMerged" && fact.type !== "PrClosed")) {
      throw new RunStopped("completion", "permanent", "no merged or closed pull request to report");
    }
    const key = this.#run.issueKey;
    const marker = `\`${runMarker(this.#run.runId)}\``;
    if (fact.type === "PrClosed") {
      const d = fact.data;
      await this.#comment("closed", () =>
        [
          `**The pull request [#${d.number}](${d.url}) was closed without merging** by ` +
          `${d.closedBy ?? "someone"}.`,
          "",
          `The branch \`ai/${key}\` is kept. To try again, comment here with what should change ` +
          "and assign the issue to the AI Runner user.",
          "",
          marker,
        ].join("\n"));
      return { outcome: "completed", summary: `PR #${d.number} closed unmerged` };
    }
    const d = fact.data;
    const done = this.#d.settings.transitionDone;
    if (!this.#recorded("jira_comment", "JiraCommented")) {
      this.#enter("jira_transition");
      const issue = await this.#d.jira.getIssue(key);
      if (statusMatches(issue.status, done, "done")) {
        // Already closed by a person (pilot option B): record the fact, touch nothing.
        await this.#transition(done, "done");
        return {
          outcome: "completed",
          summary: `PR #${d.number} merged; the issue was already ${issue.status.name}`,
        };
      }
    }
    await this.#comment("merged", () =>
      [
        `**The pull request [#${d.number}](${d.url}) was merged** by ${d.mergedBy ?? "someone"}` +
        (d.mergeSha ? ` as commit \`${d.mergeSha.slice(0, 12)}\`` : "") + ".",
        "",
        `Moving the issue to ${done}.`,
        "",
        marker,
      ].join("\n"));
    await this.#transition(done, "done");
    return { outcome: "completed", summary: `PR #${d.number} merged by ${d.mergedBy ?? "?"}` };
  }

  async #noChanges(summary: string) {
    await this.#comment(
      "no_changes",
      () => noChangeComment(this.#run.issueKey, this.#run.runId, summary),
    );
    await this.#assignReviewer();
    return { outcome: "no_changes" as const, summary };
  }

  /**
   * After a failure: the run's one Jira comment says what went wrong and the
   * ticket goes to the reviewer, so nothing stalls silently. Best effort: a
   * failure here is logged, and the run still ends as failed.
   */
  async reportFailure(body: string): Promise<void> {
    try {
      await this.#load();
      await this.#comment("failure", () => body);
      await this.#assignReviewer();
    } catch (error) {
      if (error instanceof LeaseLost) throw error;
      this.#log.error("could not report the failure on Jira", { error });
    }
  }
}
