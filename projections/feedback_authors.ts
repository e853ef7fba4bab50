/**
 * Who wrote the feedback each run acted on, read from the issue snapshots the
 * runs stored (`IssueFetched.snapshot`), for events that do not name them
 * themselves.
 *
 * @module
 */
import type { RecordedEvent } from "../domain/events.ts";
import type { ArtifactStore } from "../domain/ports/event_store.ts";
import type { FeedbackAuthor } from "./issue_story.ts";

const decoder = new TextDecoder();

/** Feedback authors per run, read from the `IssueFetched` snapshot artifacts. */
export async function feedbackFromSnapshots(
  artifacts: ArtifactStore,
  events: readonly RecordedEvent[],
): Promise<Map<string, FeedbackAuthor[]>> {
  const out = new Map<string, FeedbackAuthor[]>();
  for (const e of events) {
    if (e.type !== "IssueFetched" || !e.data.snapshot) continue;
    // Events that name the feedback themselves need no snapshot.
    if ((e.data as { feedbackFrom?: unknown }).feedbackFrom !== undefined) continue;
    try {
      const found = await artifacts.getArtifact(e.data.snapshot.sha256);
      if (!found) continue;
      const snapshot = JSON.parse(decoder.decode(found.content)) as {
        jiraFeedback?: {
          id: string;
          author?: { accountId?: string; displayName?: string };
          created?: string;
        }[];
        prFeedback?: { id: string; author?: string; at?: string }[];
      };
      const authors: FeedbackAuthor[] = [];
      for (const c of snapshot.jiraFeedback ?? []) {
        authors.push({
          source: "jira",
          id: c.id,
          displayName: c.author?.displayName || c.author?.accountId || "someone",
          at: c.created,
        });
      }
      for (const c of snapshot.prFeedback ?? []) {
        authors.push({
          source: "github",
          id: c.id,
          displayName: c.author ?? "someone",
          at: c.at,
        });
      }
      out.set(e.data.runId, authors);
    } catch {
      // A missing or unreadable snapshot only means fewer names; verify reports damage.
    }
  }
  return out;
}
