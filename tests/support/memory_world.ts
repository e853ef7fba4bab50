/**
 * In-memory ports for workflow specs: Jira, GitHub, git, the workspace and a
 * scripted model, small enough to read in one sitting, with every outside
 * effect counted. A step can be made to crash right after its effect took
 * place (`crashAfter`), as a killed worker would: the effect happened, its
 * event was never recorded.
 *
 * The git stand-in keeps files as maps; its "diff" is a canonical JSON of the
 * changed files, which is all the workflow needs: it stores, hashes and
 * re-applies diffs without reading them.
 *
 * @module
 */
import type { ToolExecutor, ToolOutcome } from "../../domain/agent/tool_executor.ts";
import type {
  GitHubClient,
  NewPullRequest,
  PullRequest,
  PullRequestUpdate,
} from "../../domain/ports/github.ts";
import type {
  CommitRequest,
  GitWorkspaces,
  PrepareWorkspace,
  Worktree,
} from "../../domain/ports/git.ts";
import type {
  JiraClient,
  JiraComment,
  JiraIssue,
  JiraTransition,
} from "../../domain/ports/jira.ts";
import type { Completion, CompletionRequest, LlmClient } from "../../domain/ports/llm.ts";
import type { RunTools, ValidationRun, Workspace } from "../../domain/ports/workspace.ts";

/** A simulated crash: the effect happened, the worker died before recording it. */
export class Crash extends Error {
  constructor(what: string) {
    super(`crashed after ${what}`);
    this.name = "Crash";
  }
}

type Files = Record<string, string>;

const sha = async (text: string) => {
  const d = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
};

/** Every outside effect, counted by kind. */
export interface Effects {
  prsOpened: number;
  prsUpdated: number;
  comments: number;
  transitions: number;
  assigns: number;
  pushes: number;
}

/** The in-memory world. */
export class MemoryWorld {
  readonly effects: Effects = {
    prsOpened: 0,
    prsUpdated: 0,
    comments: 0,
    transitions: 0,
    assigns: 0,
    pushes: 0,
  };
  /**
   * Effect names to crash right after, once: `addComment`, `createPullRequest`,
   * `transition`, `assign`, `push`, or `model_after_edit` (the model's next call
   * after its edit).
   */
  crashAfter = new Set<string>();
  readonly commits = new Map<string, { tree: Files; parent: string | null }>();
  /** The remote's branches: name → commit. */
  readonly remote = new Map<string, string>();
  readonly worktrees = new Map<string, { files: Files; head: string; base: Files }>();
  /** Tree objects by id. */
  readonly trees = new Map<string, Files>();
  issue: JiraIssue;
  comments: JiraComment[] = [];
  pulls: PullRequest[] = [];
  readonly transitionsTo: JiraTransition[] = [
    { id: "21", name: "In Testing", toStatus: "In Testing", toCategoryKey: "indeterminate" },
    { id: "31", name: "Done", toStatus: "Done", toCategoryKey: "done" },
  ];

  constructor(issueKey: string, description: string, files: Files) {
    this.issue = {
      key: issueKey,
      id: "10001",
      summary: "Fix the typo",
      descriptionText: description,
      status: { name: "To Do", categoryKey: "new" },
      labels: [],
      components: [],
      assignee: { accountId: "acc-ai", displayName: "AI Runner" },
      updated: "2026-11-23T10:00:00.000Z",
    };
    const root = "0".repeat(40);
    this.commits.set(root, { tree: files, parent: null });
    this.remote.set("main", root);
  }

  #effect(name: string): void {
    if (this.crashAfter.delete(name)) throw new Crash(name);
  }

  /** The Jira port. */
  readonly jira: JiraClient = {
    getIssue: () => Promise.resolve(structuredClone(this.issue)),
    listComments: () => Promise.resolve(structuredClone(this.comments)),
    addComment: (_key, markdown) => {
      const id = String(this.comments.length + 1);
      const now = "2026-11-23T10:10:00.000Z";
      this.comments.push({
        id,
        author: { accountId: "acc-ai", displayName: "AI Runner" },
        bodyText: markdown,
        created: now,
        updated: now,
      });
      this.effects.comments++;
      this.#effect("addComment");
      return Promise.resolve({ id });
    },
    listTransitions: () => Promise.resolve(structuredClone(this.transitionsTo)),
    attachmentContent: () => Promise.reject(new Error("no attachments in the memory world")),
    briefIssues: () => Promise.resolve([]),
    transition: (_key, id) => {
      const t = this.transitionsTo.find((x) => x.id === id)!;
      this.issue.status = { name: t.toStatus, categoryKey: t.toCategoryKey };
      this.effects.transitions++;
      this.#effect("transition");
      return Promise.resolve();
    },
    assign: (_key, accountId) => {
      // Assigning the person who already has the issue changes nothing (as in Jira).
      if (this.issue.assignee?.accountId !== accountId) this.effects.assigns++;
      this.issue.assignee = accountId ? { accountId, displayName: accountId } : null;
      this.#effect("assign");
      return Promise.resolve();
    },
  };

  /** The GitHub port. */
  readonly github: GitHubClient = {
    findOpenPullRequest: (_repo, branch) =>
      Promise.resolve(this.pulls.find((p) => p.headRef === branch && p.state === "open") ?? null),
    createPullRequest: (r: NewPullRequest) => {
      const existing = this.pulls.find((p) => p.headRef === r.head && p.state === "open");
      if (existing) return Promise.resolve({ pullRequest: existing, created: false });
      const number = this.pulls.length + 1;
      const pr: PullRequest = {
        number,
        url: `https://github.com/${r.repo}/pull/${number}`,
        state: "open",
        merged: false,
        draft: r.draft ?? false,
        title: r.title,
        body: r.body,
        headRef: r.head,
        headLabel: `acme:${r.head}`,
        headSha: this.remote.get(r.head) ?? null,
        baseRef: r.base,
        author: "ai-runner",
        createdAt: "2026-11-23T10:05:00Z",
        updatedAt: "2026-11-23T10:05:00Z",
      };
      this.pulls.push(pr);
      this.effects.prsOpened++;
      this.#effect("createPullRequest");
      return Promise.resolve({ pullRequest: pr, created: true });
    },
    updatePullRequest: (u: PullRequestUpdate) => {
      const pr = this.pulls.find((p) => p.number === u.number)!;
      Object.assign(pr, u.title ? { title: u.title } : {}, u.body ? { body: u.body } : {});
      this.effects.prsUpdated++;
      this.#effect("updatePullRequest");
      return Promise.resolve(pr);
    },
    listReviewComments: () => Promise.resolve([]),
    listReviews: () => Promise.resolve([]),
    tokenForGit: () => Promise.resolve("unused"),
    getCollaboratorPermission: () => Promise.resolve({ permission: "write", roleName: "write" }),
    ownLogin: () => Promise.resolve("ai-runner"),
    getCommitChecks: (_repo, ref) =>
      Promise.resolve({ sha: ref, checkRuns: [], combinedState: "success", statuses: [] }),
  };

  #tree(commit: string): Files {
    return structuredClone(this.commits.get(commit)!.tree);
  }

  #wt(worktree: Worktree) {
    return this.worktrees.get(worktree.path)!;
  }

  #diff(base: Files, files: Files): string {
    const changed: Record<string, string | null> = {};
    for (const path of new Set([...Object.keys(base), ...Object.keys(files)])) {
      if (base[path] !== files[path]) changed[path] = files[path] ?? null;
    }
    const paths = Object.keys(changed).sort();
    return paths.length ? JSON.stringify(paths.map((p) => [p, changed[p]])) : "";
  }

  /** The git port. */
  readonly git: GitWorkspaces = {
    prepare: (r: PrepareWorkspace) => {
      const path = `/mem/${r.runId}`;
      const existing = this.worktrees.get(path);
      const onRemote = this.remote.get(r.branch);
      const start = onRemote ?? this.remote.get(r.baseBranch)!;
      if (!existing) {
        this.worktrees.set(path, {
          files: this.#tree(start),
          head: start,
          base: this.#tree(start),
        });
      }
      return Promise.resolve({
        path,
        repoId: r.repoId,
        branch: r.branch,
        baseBranch: r.baseBranch,
        startSha: existing ? existing.head : start,
        continued: onRemote !== undefined,
        reused: existing !== undefined,
      });
    },
    status: () => Promise.resolve([]),
    diff: (worktree, options) => {
      const from = options?.from ?? worktree.startSha;
      return Promise.resolve(this.#diff(this.#tree(from), this.#wt(worktree).files));
    },
    applyPatch: (worktree, patch) => {
      if (!patch) return Promise.resolve();
      const files = this.#wt(worktree).files;
      for (const [path, content] of JSON.parse(patch) as [string, string | null][]) {
        if (content === null) delete files[path];
        else files[path] = content;
      }
      return Promise.resolve();
    },
    snapshot: async (worktree, options) => {
      const wt = this.#wt(worktree);
      const files = structuredClone(wt.files);
      const tree = await sha(JSON.stringify(Object.entries(files).sort()));
      this.trees.set(tree, files);
      const diff = this.#diff(this.#tree(options?.from ?? worktree.startSha), files);
      const changed = this.#diff(this.#tree(wt.head), files);
      return {
        tree,
        diff,
        filesChanged: changed ? (JSON.parse(changed) as [string][]).map(([p]) => p) : [],
      };
    },
    commitTree: async (worktree, tree, request) => {
      const wt = this.#wt(worktree);
      const files = this.trees.get(tree)!;
      const diff = this.#diff(this.#tree(wt.head), files);
      if (!diff) return null;
      const id = await sha(JSON.stringify([tree, wt.head, request.message, request.date]));
      this.commits.set(id, { tree: structuredClone(files), parent: wt.head });
      wt.head = id;
      return { sha: id, filesChanged: (JSON.parse(diff) as [string][]).map(([p]) => p) };
    },
    head: (worktree) => Promise.resolve(this.#wt(worktree).head),
    mergeBase: (worktree) => Promise.resolve(worktree.startSha),
    reset: (worktree, to, mode) => {
      const wt = this.#wt(worktree);
      wt.head = to;
      if (mode === "hard") wt.files = this.#tree(to);
      return Promise.resolve();
    },
    commit: async (worktree, request: CommitRequest) => {
      const wt = this.#wt(worktree);
      const diff = this.#diff(this.#tree(wt.head), wt.files);
      if (!diff) return null;
      const id = await sha(JSON.stringify([wt.files, wt.head, request.message, request.date]));
      this.commits.set(id, { tree: structuredClone(wt.files), parent: wt.head });
      wt.head = id;
      return { sha: id, filesChanged: (JSON.parse(diff) as [string][]).map(([p]) => p) };
    },
    push: (worktree, request) => {
      const head = this.#wt(worktree).head;
      // A push of what the remote already has changes nothing (as in git).
      if (this.remote.get(request.branch) !== head) this.effects.pushes++;
      this.remote.set(request.branch, head);
      this.#effect("push");
      return Promise.resolve({ sha: head });
    },
    remove: (worktree) => {
      this.worktrees.delete(worktree.path);
      return Promise.resolve();
    },
  };

  /** The files on a remote branch. */
  remoteFiles(branch: string): Files {
    return this.#tree(this.remote.get(branch)!);
  }

  /** The workspace port: `write_file` and `finish` over the in-memory worktree. */
  readonly workspace: Workspace = {
    sandboxKind: "off",
    setup: (): Promise<ValidationRun> =>
      Promise.resolve({ passed: true, commands: [], output: "" }),
    openTools: (root, validate) => {
      const files = () => this.worktrees.get(root)!.files;
      const touched = new Set<string>();
      const tools: RunTools & ToolExecutor = {
        definitions: [
          { name: "write_file", description: "write", inputSchema: { type: "object" } },
          { name: "finish", description: "finish", inputSchema: { type: "object" } },
        ],
        execute: async (name, input): Promise<ToolOutcome> => {
          if (name === "write_file") {
            const path = String(input.path);
            files()[path] = (files()[path] ?? "") + String(input.content);
            touched.add(path);
            return { content: "written", isError: false };
          }
          if (name === "run_validation" && validate) {
            const v = await validate();
            return { content: v.output, isError: !v.passed };
          }
          return { content: "done", isError: false, finish: { summary: String(input.summary) } };
        },
        filesChanged: () => Promise.resolve([...touched]),
      };
      return Promise.resolve(tools);
    },
    context: () => Promise.resolve({ instructions: [], fileTree: "docs/install.md" }),
    validate: (): Promise<ValidationRun> =>
      Promise.resolve({ passed: true, commands: [], output: "" }),
  };

  /** The model: appends a line to a file, then finishes. */
  readonly llm: LlmClient = {
    provider: "anthropic",
    model: "scripted",
    complete: (request: CompletionRequest): Promise<Completion> => {
      const edited = request.messages.some((m) => m.role === "tool");
      // The worker dies while the model works, after its edit reached the worktree.
      if (edited) this.#effect("model_after_edit");
      return Promise.resolve({
        text: "",
        toolCalls: edited
          ? [{ id: "f", name: "finish", input: { summary: "Add the FAQ link\n\nAppended it." } }]
          : [{
            id: "w",
            name: "write_file",
            input: { path: "docs/install.md", content: " See also the FAQ." },
          }],
        stopReason: "tool_use",
        usage: { inputTokens: 100, outputTokens: 10 },
      });
    },
  };
}
