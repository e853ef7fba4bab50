/**
 * What every step of a run works with: the ports, the run's recorded history,
 * and the few things a step derives from that history (the ticket snapshot, the
 * routed repository, the worktree). Steps read their inputs only from recorded
 * events; nothing passes between steps in memory.
 *
 * @module
 */
import type { ToolLoopTotals } from "../agent/tool_loop.ts";
import { handleCommand } from "../command_handler.ts";
import { type ArtifactRef, type EventData, issueStream, type RecordedEvent } from "../events.ts";
import type { ArtifactStore, EventStore } from "../ports/event_store.ts";
import type { GitHubClient } from "../ports/github.ts";
import type { GitWorkspaces, Worktree } from "../ports/git.ts";
import type { JiraClient, JiraComment, JiraIssue } from "../ports/jira.ts";
import type { LlmClient } from "../ports/llm.ts";
import type { Logger } from "../ports/logger.ts";
import type { SecretFilter } from "../ports/secrets.ts";
import type { SetupRun, Workspace } from "../ports/workspace.ts";
import type { PreparedAttachments } from "../attachments.ts";
import type { StepEvent } from "../run/commands.ts";
import { isDomainError } from "../run/errors.ts";
import {
  evolve,
  initialState,
  type IssueState,
  type RunPhase,
  type RunState,
  type StepName,
} from "../run/state.ts";
import { type RepoRoute, routeIssue, type RoutingConfig } from "../routing.ts";
import type { PullRequestFeedback, SeenComment, SkippedComment } from "./feedback.ts";
import { LeaseLost, RunStopped } from "./failure.ts";
import type { WorkflowSettings } from "./settings.ts";

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
  /** Uniform in [0, 1): backoff jitter. */
  random: () => number;
  /** A new unique id (lease ids, follow-up runs). */
  newId: () => string;
  /** Waits `ms` (polling an outside system), or until `signal` aborts. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** The model of the self-review (default: `llm`), e.g. a cheaper one. */
  reviewLlm?: LlmClient;
  logger: Logger;
  workerId: string;
  /** What a repository's runs spent on the LLM on a UTC day (`YYYY-MM-DD`), in USD. */
  spentOnDay?: (repoId: string, day: string) => Promise<number>;
}

/** The run being worked on. */
export interface RunHandle {
  issueKey: string;
  runId: string;
  leaseId: string;
  /** Aborted when the lease is lost or the worker stops. */
  signal: AbortSignal;
  /** The step being worked on, for failure reports. */
  step: RunPhase;
  /** The model's work so far in this attempt (turns, tool calls, usage, cost), for heartbeats. */
  progress?: ToolLoopTotals;
}

/** What the ticket looked like to this run: stored as an artifact. */
export interface IssueSnapshot {
  issue: JiraIssue;
  jiraFeedback: JiraComment[];
  prFeedback: PullRequestFeedback[];
  skipped: SkippedComment[];
  requesterAccountId: string | null;
  seen?: SeenComment[];
  /** The ticket's attachments, ready for the prompt (images as base64). */
  attachments?: PreparedAttachments;
  /** Linked issues, parent and sub-tasks as Markdown. */
  related?: string;
  /** PR review threads holding new trusted feedback, each with its hunk, as Markdown. */
  threads?: string[];
  /** Checks that failed on the open PR's head, as Markdown. */
  failedChecks?: string;
}

/** The step event of a given type, as recorded. */
type Recorded<T extends StepEvent["type"]> = EventData<T>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One run's context: its history, its deps, and how to record a step. */
export class RunContext {
  readonly deps: WorkflowDeps;
  readonly run: RunHandle;
  readonly log: Logger;
  events: RecordedEvent[] = [];
  state: IssueState = initialState();
  #snapshot: IssueSnapshot | null = null;
  #worktree: Worktree | null = null;

  constructor(deps: WorkflowDeps, run: RunHandle) {
    this.deps = deps;
    this.run = run;
    this.log = deps.logger.child({ issueKey: run.issueKey, runId: run.runId });
  }

  get issueKey(): string {
    return this.run.issueKey;
  }

  get runId(): string {
    return this.run.runId;
  }

  /** The run as the decider sees it. */
  get runState(): RunState {
    const run = this.state.runs[this.run.runId];
    if (!run) {
      throw new RunStopped(this.run.step, "permanent", `run ${this.run.runId} is not recorded`);
    }
    return run;
  }

  /** Reads the issue's stream. */
  async load(): Promise<void> {
    this.events = await this.deps.store.readStream(issueStream(this.run.issueKey));
    this.state = this.events.reduce(evolve, initialState());
  }

  /** The data of a recorded step event, or null. */
  recorded<T extends StepEvent["type"]>(step: StepName, type: T): Recorded<T> | null {
    const e = this.state.runs[this.run.runId]?.steps[step];
    return e && e.type === type ? (e.data as Recorded<T>) : null;
  }

  /** Like {@link recorded}, for a step an earlier step guarantees. */
  required<T extends StepEvent["type"]>(step: StepName, type: T): Recorded<T> {
    const data = this.recorded(step, type);
    if (!data) throw new RunStopped(step, "permanent", `step ${step} (${type}) is not recorded`);
    return data;
  }

  /** Starts a step: stops here if the lease is gone. */
  enter(step: RunPhase): void {
    if (this.run.signal.aborted) throw new LeaseLost(this.run.runId, "the lease was lost");
    this.run.step = step;
  }

  /** Records a step's event as the lease holder. */
  async record(step: StepEvent, options: { failureReport?: boolean } = {}): Promise<void> {
    const result = await handleCommand(
      this.deps.store,
      this.run.issueKey,
      {
        type: "RecordStep",
        runId: this.run.runId,
        leaseId: this.run.leaseId,
        now: this.deps.clock().toISOString(),
        step,
        failureReport: options.failureReport,
      },
      { actor: `worker:${this.deps.workerId}` },
    );
    if (!result.ok) {
      if (isDomainError(result.error) && result.error.code === "step_already_recorded") return;
      if (isDomainError(result.error) && result.error.code === "step_out_of_order") {
        throw new RunStopped(this.run.step, "permanent", result.error.message);
      }
      throw new LeaseLost(this.run.runId, result.error.message);
    }
    this.state = result.state;
    this.events.push(...result.events);
    this.log.info(`step ${step.type}`, { step: step.type });
  }

  // --- artifacts ------------------------------------------------------------------------

  /** Stores a value as JSON. */
  async putJson(value: unknown): Promise<ArtifactRef> {
    return await this.putText(JSON.stringify(value), "application/json");
  }

  /** Stores text as it is (a patch must come back byte for byte). */
  async putText(text: string, mediaType: string): Promise<ArtifactRef> {
    const { sha256, size } = await this.deps.artifacts.putArtifact(encoder.encode(text), mediaType);
    return { sha256, size, mediaType };
  }

  /** An artifact's text; a missing one stops the run. */
  async getText(ref: ArtifactRef): Promise<string> {
    const found = await this.deps.artifacts.getArtifact(ref.sha256);
    if (!found) {
      throw new RunStopped(this.run.step, "permanent", `artifact ${ref.sha256} is missing`);
    }
    return decoder.decode(found.content);
  }

  // --- what steps derive from the history ---------------------------------------------------

  /** The ticket as `fetch_issue` recorded it. */
  async snapshot(): Promise<IssueSnapshot> {
    if (this.#snapshot) return this.#snapshot;
    const fetched = this.required("fetch_issue", "IssueFetched");
    if (!fetched.snapshot) {
      throw new RunStopped(this.run.step, "permanent", "the issue snapshot was not recorded");
    }
    this.#snapshot = JSON.parse(await this.getText(fetched.snapshot)) as IssueSnapshot;
    return this.#snapshot;
  }

  /** The routed repository: the one `prepare_workspace` recorded, else routing's choice. */
  async route(): Promise<RepoRoute> {
    const prepared = this.recorded("prepare_workspace", "WorkspacePrepared");
    const repo = prepared
      ? this.deps.routing.repos.find((r) => r.id === prepared.repoId)
      : routeIssue(this.deps.routing, (await this.snapshot()).issue);
    if (!repo) {
      throw new RunStopped(
        "prepare_workspace",
        "config",
        prepared
          ? `the repository ${prepared.repoId} this run worked on is no longer in RUNNER_CONFIG`
          : `no repository in RUNNER_CONFIG matches ${this.issueKey} and there is no default`,
      );
    }
    return repo;
  }

  /** A token for git when the repository is reached over HTTPS. */
  async gitToken(repo: RepoRoute): Promise<string | undefined> {
    const url = this.deps.settings.cloneUrl(repo);
    return /^https?:\/\//.test(url) ? await this.deps.github.tokenForGit() : undefined;
  }

  /**
   * The run's worktree, prepared once per attempt. A resumed run on a fresh
   * worktree (another host, or the old one was lost) is put back where the
   * recorded steps left it.
   */
  async worktree(): Promise<Worktree> {
    if (this.#worktree) return this.#worktree;
    const repo = await this.route();
    const worktree = await this.deps.git.prepare({
      repoId: repo.id,
      cloneUrl: this.deps.settings.cloneUrl(repo),
      token: await this.gitToken(repo),
      baseBranch: repo.baseBranch,
      branch: `ai/${this.issueKey}`,
      runId: this.runId,
    });
    const prepared = this.recorded("prepare_workspace", "WorkspacePrepared");
    // The worktree's start is the recorded one, whatever the remote branch says now.
    const ready = prepared ? { ...worktree, startSha: prepared.startSha } : worktree;
    // A new worktree gets the repository's setup (dependencies) before anything runs in it.
    // (A reused one whose prepare was never recorded may have died in the middle of it.)
    if (!worktree.reused || !prepared) this.setupRun = await this.#setup(repo, ready.path);
    if (prepared && !worktree.reused) await this.#restore(ready);
    this.#worktree = ready;
    return ready;
  }

  /** The setup this attempt ran on a new worktree (recorded by `prepare_workspace`). */
  setupRun: SetupRun | null = null;

  async #setup(repo: RepoRoute, root: string): Promise<SetupRun | null> {
    if (!repo.setup.length) return null;
    const run = await this.deps.workspace.setup(root, repo.setup, {
      allowHosts: repo.allowHosts,
      env: repo.env,
      timeoutSeconds: repo.setupTimeoutSeconds,
    }, this.run.signal);
    if (!run.passed) {
      const failed = run.commands.find((c) => c.exitCode !== 0) ?? run.commands.at(-1);
      throw new RunStopped(
        "prepare_workspace",
        "permanent",
        `the repository's setup failed (${failed?.command ?? "?"}: ${
          failed?.timedOut ? "timed out" : `exit ${failed?.exitCode}`
        }):\n${this.deps.secrets.redact(run.output).slice(-1_500)}`,
      );
    }
    return run;
  }

  /** Removes the worktree (a run that ended, or stopped for good). */
  async releaseWorktree(): Promise<void> {
    const worktree = this.#worktree;
    this.#worktree = null;
    if (worktree) await this.deps.git.remove(worktree).catch(() => {});
  }

  async #restore(worktree: Worktree): Promise<void> {
    if (this.recorded("push", "BranchPushed")) return;
    const { git } = this.deps;
    await git.reset(worktree, worktree.startSha, "hard");
    const scanned = this.recorded("scan_diff", "DiffScanned");
    const generated = this.recorded("generate_changes", "ChangesGenerated");
    const patch = scanned ? scanned.patch : generated?.patch;
    if (patch) await git.applyPatch(worktree, await this.getText(patch));
  }
}
