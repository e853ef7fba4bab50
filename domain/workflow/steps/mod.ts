/**
 * Every step of a run, by name: the effect each performs and the event it
 * returns for the workflow to record. Which step runs next is decided by
 * `domain/run/steps.ts`.
 *
 * @module
 */
import type { StepEvent } from "../../run/commands.ts";
import type { StepName } from "../../run/state.ts";
import type { RunContext } from "../run_context.ts";
import { awaitChecks } from "./await_checks.ts";
import { commit } from "./commit.ts";
import { fetchIssue } from "./fetch_issue.ts";
import { generateChanges } from "./generate_changes.ts";
import { jiraAssign } from "./jira_assign.ts";
import { jiraComment } from "./jira_comment.ts";
import { jiraTransition } from "./jira_transition.ts";
import { prepareWorkspace } from "./prepare_workspace.ts";
import { pullRequest } from "./pull_request.ts";
import { push } from "./push.ts";
import { scanDiff } from "./scan_diff.ts";
import { validate } from "./validate.ts";

/** A step: performs its effect (idempotently) and returns the event to record. */
export type Step = (ctx: RunContext) => Promise<StepEvent>;

/** The steps by name. */
export const STEPS: Record<StepName, Step> = {
  fetch_issue: fetchIssue,
  prepare_workspace: prepareWorkspace,
  generate_changes: generateChanges,
  validate,
  scan_diff: scanDiff,
  commit,
  push,
  pull_request: pullRequest,
  await_checks: awaitChecks,
  jira_comment: jiraComment,
  jira_transition: jiraTransition,
  jira_assign: jiraAssign,
};
