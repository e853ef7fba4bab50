/**
 * The order of a run's steps, as data: which step comes next is a pure function
 * of what the run has recorded. The workflow loops over it; the decider refuses
 * a step recorded out of this order.
 *
 * A change run: fetch the issue, prepare the workspace, generate and validate
 * the changes, scan the diff, then either hand over a pull request (commit,
 * push, pull request, comment, transition, assign) or, when nothing changed,
 * say so (comment, assign). A completion run reports a merged pull request
 * (comment, then move the issue to Done; when a person already closed the
 * issue, only that fact is recorded) or a closed one (comment). A notice run
 * tells a requester who may not ask for work why nothing happens (comment).
 *
 * @module
 */
import type { DomainEvent, EventType } from "../events.ts";
import { type RunState, STEP_OF_EVENT, type StepName } from "./state.ts";

/** How a run ended well. */
export type RunOutcome = "pr_opened" | "pr_updated" | "no_changes" | "completed" | "checks_repair";

/** What a run does next: a step, or nothing more (with how it ended). */
export type Next =
  | { done: false; step: StepName }
  | { done: true; outcome: RunOutcome };

/** The steps of a change run that ends with a pull request, in order. */
export const CHANGE_STEPS: readonly StepName[] = [
  "fetch_issue",
  "prepare_workspace",
  "generate_changes",
  "validate",
  "scan_diff",
  "commit",
  "push",
  "pull_request",
  "await_checks",
  "jira_comment",
  "jira_transition",
  "jira_assign",
];

/** The steps of a change run whose scan found no change. */
export const NO_CHANGE_STEPS: readonly StepName[] = [
  "fetch_issue",
  "prepare_workspace",
  "generate_changes",
  "validate",
  "scan_diff",
  "jira_comment",
  "jira_assign",
];

/** The steps of a completion run for a merged pull request. */
export const MERGED_STEPS: readonly StepName[] = ["jira_comment", "jira_transition"];

/** The steps of a notice run: one comment telling a requester who may not ask why nothing happens. */
export const NOTICE_STEPS: readonly StepName[] = ["jira_comment"];

/** The steps of a completion run for a pull request closed unmerged. */
export const CLOSED_STEPS: readonly StepName[] = ["jira_comment"];

function stepData<T extends EventType>(run: RunState, step: StepName, type: T) {
  const e = run.steps[step];
  return e && e.type === type ? e.data as Extract<typeof e, { type: T }>["data"] : null;
}

/** The step table that applies to the run, as far as it has got. */
export function stepsOf(run: RunState): readonly StepName[] {
  if (run.kind === "notice") return NOTICE_STEPS;
  if (run.kind === "completion") return run.completes === "closed" ? CLOSED_STEPS : MERGED_STEPS;
  return stepData(run, "scan_diff", "DiffScanned")?.empty ? NO_CHANGE_STEPS : CHANGE_STEPS;
}

/** The run's next step, or its outcome when every step it needs is recorded. */
export function nextStep(run: RunState): Next {
  const table = stepsOf(run);
  const prepared = stepData(run, "prepare_workspace", "WorkspacePrepared");
  for (const step of table) {
    if (run.steps[step]) continue;
    // Only a repository whose routing asks for it waits for the PR's checks.
    if (step === "await_checks" && !prepared?.awaitChecks) continue;
    // Failed checks with a repair round queued: that run hands over, this one ends here.
    if (stepData(run, "await_checks", "ChecksAwaited")?.repairQueued) {
      return { done: true, outcome: "checks_repair" };
    }
    // A merged PR whose issue a person had already closed: recorded as found, no comment.
    if (run.kind === "completion" && stepData(run, "jira_transition", "JiraTransitioned")) {
      return { done: true, outcome: "completed" };
    }
    return { done: false, step };
  }
  return { done: true, outcome: outcomeOf(run) };
}

function outcomeOf(run: RunState): RunOutcome {
  if (run.kind !== "change") return "completed";
  if (stepData(run, "scan_diff", "DiffScanned")?.empty) return "no_changes";
  return run.steps.pull_request?.type === "PullRequestOpened" ? "pr_opened" : "pr_updated";
}

/**
 * True when `event` may be recorded now: it is the run's next step, or it
 * belongs to the hand-over after a failure (the failure comment, then the
 * reviewer assigned), which may interrupt the table at any point, or it says a
 * merged PR's issue was already Done (a person closed it), which ends a
 * completion run before its comment.
 */
export function mayRecord(run: RunState, event: DomainEvent, failureReport: boolean): boolean {
  const step = STEP_OF_EVENT[event.type];
  if (!step) return false;
  if (failureReport) return step === "jira_comment" || step === "jira_assign";
  const next = nextStep(run);
  if (next.done) return false;
  if (next.step === step) return true;
  return run.kind === "completion" && next.step === "jira_comment" &&
    event.type === "JiraTransitioned" && event.data.alreadyThere;
}
