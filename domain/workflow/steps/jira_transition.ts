/**
 * Step `jira_transition`: moves the issue to In Testing (a change run) or Done
 * (a completion run). The status is read first: an issue already there is
 * recorded as such and left alone.
 *
 * @module
 */
import type { EventOf } from "../../events.ts";
import { fillTransitionFields, findTransition, statusMatches } from "../../transitions.ts";
import { RunStopped } from "../failure.ts";
import type { RunContext } from "../run_context.ts";

/** Transitions the issue and records `JiraTransitioned`. */
export async function jiraTransition(ctx: RunContext): Promise<EventOf<"JiraTransitioned">> {
  const { jira, settings } = ctx.deps;
  const completion = ctx.runState.kind === "completion";
  const target = completion ? settings.transitionDone : settings.transitionInTesting;
  const fallback = completion ? "done" as const : undefined;
  const key = ctx.issueKey;
  const issue = await jira.getIssue(key);
  if (statusMatches(issue.status, target, fallback)) {
    return {
      type: "JiraTransitioned",
      data: {
        runId: ctx.runId,
        transitionId: "-",
        transitionName: "",
        toStatus: issue.status.name,
        alreadyThere: true,
      },
    };
  }
  const transitions = await jira.listTransitions(key);
  const t = findTransition(transitions, target, fallback);
  if (!t) {
    throw new RunStopped(
      "jira_transition",
      "config",
      `no transition to "${target}" from "${issue.status.name}" (available: ${
        transitions.map((x) => `${x.name} → ${x.toStatus}`).join(", ") || "none"
      }); set ${completion ? "JIRA_TRANSITION_DONE" : "JIRA_TRANSITION_IN_TESTING"}`,
    );
  }
  const filled = fillTransitionFields(
    t,
    completion ? settings.transitionDoneFields : settings.transitionInTestingFields,
    completion ? "JIRA_TRANSITION_DONE_FIELDS" : "JIRA_TRANSITION_IN_TESTING_FIELDS",
  );
  if (!filled.ok) throw new RunStopped("jira_transition", "config", filled.message);
  const fields = Object.keys(filled.fields);
  await jira.transition(key, t.id, fields.length ? filled.fields : undefined);
  return {
    type: "JiraTransitioned",
    data: {
      runId: ctx.runId,
      transitionId: t.id,
      transitionName: t.name,
      toStatus: t.toStatus,
      alreadyThere: false,
      ...(fields.length ? { fields } : {}),
    },
  };
}
