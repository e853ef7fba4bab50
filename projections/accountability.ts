/**
 * The `accountability` read model: per issue, the story of {@link evolveStory}
 * (who asked for each run, what each run did and what needs attention, who gave
 * feedback, who reviewed, who approved, who merged or closed the PR, with
 * times). The same fold `deno task audit <KEY>` and the dashboard build from
 * the stream, stored so readers need not replay it.
 *
 * @module
 */
import { issueKeyOfStream } from "../domain/events.ts";
import { evolveStory, type IssueStory } from "./issue_story.ts";
import type { Projection } from "./projection.ts";

/** The accountability record of one issue: its story. */
export type AccountabilityDoc = IssueStory;

/** The `accountability` projection. */
export const accountabilityProjection: Projection<AccountabilityDoc> = {
  name: "accountability",
  version: 3,
  keys(e) {
    const key = issueKeyOfStream(e.stream);
    return key ? [key] : [];
  },
  evolve: (doc, e, id) => evolveStory(doc, e, id),
};
