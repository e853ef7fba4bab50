/**
 * The knobs of the run workflow, with their defaults.
 *
 * @module
 */
import type { ToolLoopBudgets } from "../agent/transcript.ts";
import type { ModelPrice } from "../pricing.ts";
import type { RepoRoute } from "../routing.ts";

/** Settings of the run workflow. */
export interface WorkflowSettings {
  /** The AI Runner's Jira account (its comments are never feedback). */
  aiAccountId: string;
  /** The reviewer the ticket is handed to after every run. */
  reviewerAccountId: string;
  /** More Jira accounts whose comments count as feedback (besides reviewer and requester). */
  trustedAccountIds: string[];
  transitionInTesting: string;
  transitionDone: string;
  /** Values for the In Testing transition's screen fields (see `fillTransitionFields`). */
  transitionInTestingFields: Record<string, unknown>;
  /** Values for the Done transition's screen fields (see `fillTransitionFields`). */
  transitionDoneFields: Record<string, unknown>;
  /** The issue's page, for PR bodies: `https://site.atlassian.net/browse/KEY`. */
  issueUrl: (issueKey: string) => string;
  /** Where a routed repo is cloned from. */
  cloneUrl: (repo: RepoRoute) => string;
  budgets: ToolLoopBudgets;
  /** Largest diff a run may push, in bytes. */
  maxDiffBytes: number;
  /** Validation repairs the model gets after its changes fail validation. */
  maxRepairs: number;
  /** Transient failures retried (with backoff) before the run fails. */
  maxRetries: number;
  commitAuthor: { name: string; email: string };
  /** `GITHUB_TRUSTED_LOGINS`: GitHub users whose reviews count whatever their access. */
  githubTrustedLogins?: string[];
  /** `JIRA_REQUESTER_ACCOUNT_IDS`: who may ask for work; empty (and no groups): anybody. */
  requesterAccountIds?: string[];
  /** `JIRA_REQUESTER_GROUPS`: Jira groups whose members may ask for work. */
  requesterGroups?: string[];
  /** The configured model's prices and context window; null: not in the price table. */
  pricing?: ModelPrice | null;
  /** Most tokens of one model reply. */
  maxOutputTokens?: number;
  /** Whether a reviewer in a fresh context checks the change before hand-over (default on). */
  selfReview?: boolean;
  /** How often `awaitChecks` asks GitHub about the PR's checks, in ms (default 30 s). */
  checksPollMs?: number;
}

/** Default budgets: generous for a docs pilot, bounded for cost. */
export const DEFAULT_BUDGETS: ToolLoopBudgets = {
  maxTurns: 40,
  maxTokens: 400_000,
  wallTimeMs: 15 * 60_000,
  maxDiffBytes: 500_000,
};

/** Settings with defaults for everything not site-specific. */
export function workflowSettings(
  site:
    & Pick<WorkflowSettings, "aiAccountId" | "reviewerAccountId" | "issueUrl" | "cloneUrl">
    & Partial<WorkflowSettings>,
): WorkflowSettings {
  return {
    trustedAccountIds: [],
    transitionInTesting: "In Testing",
    transitionDone: "Done",
    transitionInTestingFields: {},
    transitionDoneFields: {},
    budgets: DEFAULT_BUDGETS,
    maxDiffBytes: DEFAULT_BUDGETS.maxDiffBytes!,
    maxRepairs: 2,
    maxRetries: 5,
    commitAuthor: { name: "AI Runner", email: "ai-runner@users.noreply.github.com" },
    ...site,
  };
}
