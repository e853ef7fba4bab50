import { timelineCommand, transcriptCommand } from "../../adapters/cli/audit.ts";
import { FAKE_REVIEWER } from "../fakes/jira_server.ts";
import { PILOT_REPO } from "../fakes/world.ts";
import { startLoop } from "../support/loop.ts";
Deno.test("scratch", async () => {
  await using loop = await startLoop({
    issues: [{
      key: "MWC-1",
      summary: "Fix the typos",
      description: 'replace "recieve" with "receive".',
    }],
  });
  const { runId } = await loop.assign("MWC-1");
  await loop.drain();
  loop.world.jira.state.addComment("MWC-1", {
    author: FAKE_REVIEWER.accountId,
    body: 'Please also replace "dashbord" with "dashboard".',
  });
  await loop.assign("MWC-1");
  await loop.drain();
  await loop.deliver(
    loop.world.github.addReview(PILOT_REPO, 1, { user: "leigh-gh", state: "APPROVED" }),
  );
  await loop.deliver(loop.world.github.mergePullRequest(PILOT_REPO, 1, { mergedBy: "leigh-gh" }));
  await timelineCommand(loop.store, "MWC-1", false);
  await transcriptCommand(loop.store, runId, {});
});
