/**
 * The one Jira comment a refused run request gets (the `notice` run): why
 * nothing will happen and who can ask. Markdown, marked with the run's id so a
 * resumed notice run finds it instead of posting it twice.
 *
 * @module
 */
import type { EventData } from "../events.ts";
import { runMarker } from "./feedback.ts";

/** What the notice says. */
export interface RefusalNotice {
  issueKey: string;
  /** The notice run's id (its marker goes into the comment). */
  runId: string;
  /** The refusal as recorded. */
  refusal: EventData<"RunRequestRefused">;
  /**
   * Who can ask instead, as people should read them (display names, or a
   * sentence such as "the reviewer"); empty: a general pointer.
   */
  whoCanAsk: readonly string[];
}

/** Strips what would turn a display name into markup (links, mentions, emphasis). */
function plain(text: string): string {
  return text.replace(/[[\]()*_`#>|<@!\\]/g, " ").replace(/\s+/g, " ").trim().slice(0, 100);
}

/** The notice comment for a refused request. */
export function requestRefusedComment(n: RefusalNotice): string {
  const who = n.refusal.requestedBy?.displayName || n.refusal.requestedBy?.accountId;
  const ask = n.whoCanAsk.length > 0
    ? `To have AI Runner work on it, ask one of them to assign it to the AI Runner user: ${
      n.whoCanAsk.map(plain).join(", ")
    }.`
    : "To have AI Runner work on it, ask the reviewer or a person your Jira admins allowed " +
      "(JIRA_REQUESTER_ACCOUNT_IDS) to assign it to the AI Runner user.";
  return [
    `**AI Runner will not work on ${n.issueKey} for this request.** It was assigned to the ` +
    `AI Runner user${who ? ` by ${plain(who)}` : ""}, who is not among the people allowed to ` +
    "ask for AI Runner work, so nothing was changed and no run was started.",
    "",
    ask,
    "",
    `\`${runMarker(n.runId)}\``,
  ].join("\n");
}
