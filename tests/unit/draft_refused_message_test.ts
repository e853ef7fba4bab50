import assert from "node:assert/strict";
import { resultComment, type RunReport } from "../../domain/workflow/messages.ts";

const REPORT: RunReport = {
  issueKey: "MWC-7",
  runId: "r9",
  summary: "Did it",
  filesChanged: ["docs/a.md"],
  validation: { configured: true, passed: false, repairs: 1 },
  branch: "ai/MWC-7",
  pr: { number: 3, url: "https://github.com/o/r/pull/3", draft: true, opened: true },
  spend: "1 tokens in, 2 out",
  jiraFeedback: [],
  prFeedback: [],
};

Deno.test("result comment: a refused draft is said plainly; a draft is called a draft", () => {
  assert.match(
    resultComment(REPORT),
    /\*\*failed\*\* after 1 repair\(s\) \(the pull request is a draft\)/,
  );
  const refused = resultComment({
    ...REPORT,
    pr: { ...REPORT.pr, draft: false, draftRefused: true },
  });
  assert.match(refused, /does not allow draft pull requests/);
  assert.match(refused, /marked "\[validation failed\]": do not merge it/);
  assert.doesNotMatch(refused, /the pull request is a draft/);
});
