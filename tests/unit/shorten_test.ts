import assert from "node:assert/strict";
import { shortenMiddle } from "../../domain/shorten.ts";
import { adfSize, fitComment, JIRA_COMMENT_LIMIT } from "../../adapters/jira/comment_limit.ts";
import { adfToText, validateAdf } from "../../adapters/jira/adf.ts";
import { fitPullRequestBody, GITHUB_BODY_LIMIT } from "../../adapters/github/client.ts";

const TAIL = "- **Pull request:** https://github.com/o/r/pull/7\n\n`ai-runner-run:run-42`";

function longReport(lines: number): string {
  const body = Array.from(
    { length: lines },
    (_, i) => `- reviewer said: "line ${i} ${"x".repeat(60)}"`,
  );
  return ["**AI Runner opened a pull request**", "", ...body, "", TAIL].join("\n");
}

Deno.test("shortenMiddle: short text is left alone", () => {
  assert.equal(shortenMiddle("hello", 10), "hello");
});

Deno.test("shortenMiddle: keeps the head and the tail, marks the cut, stays within the limit", () => {
  const text = longReport(2000);
  const out = shortenMiddle(text, 10_000);
  assert.ok(out.length <= 10_000, `${out.length}`);
  assert.ok(out.startsWith("**AI Runner opened a pull request**"));
  assert.ok(out.endsWith(TAIL), "the tail (links, run marker) is kept");
  assert.match(out, /… shortened: [\d,]+ characters left out/);
});

Deno.test("shortenMiddle: a code fence cut open is closed before the marker and reopened after", () => {
  const text = ["intro", "```", ...Array.from({ length: 3000 }, (_, i) => `code ${i}`), "```", TAIL]
    .join("\n");
  const out = shortenMiddle(text, 5_000);
  const [head, tail] = out.split(/\*\*… shortened[^\n]*\n/);
  assert.equal((head.match(/^```/gm) ?? []).length % 2, 0, "head fences balanced");
  assert.equal((tail.match(/^```/gm) ?? []).length % 2, 0, "tail fences balanced");
  assert.ok(out.endsWith(TAIL));
});

Deno.test("fitComment: a comment over Jira's limit becomes valid ADF within it, tail kept", () => {
  const markdown = longReport(3000); // ~200k characters
  const { adf, shortened } = fitComment(markdown);
  assert.equal(shortened, true);
  assert.ok(adfSize(adf) <= JIRA_COMMENT_LIMIT, `${adfSize(adf)}`);
  assert.deepEqual(validateAdf(adf), []);
  const text = adfToText(adf);
  assert.match(text, /ai-runner-run:run-42/);
  assert.match(text, /https:\/\/github.com\/o\/r\/pull\/7/);
  assert.match(text, /shortened/);
  const small = fitComment("all good");
  assert.equal(small.shortened, false);
});

Deno.test("fitPullRequestBody: within GitHub's limit, tail kept", () => {
  const body = longReport(3000);
  const out = fitPullRequestBody(body);
  assert.ok(body.length > GITHUB_BODY_LIMIT);
  assert.ok(out.length <= GITHUB_BODY_LIMIT);
  assert.ok(out.endsWith(TAIL));
  assert.equal(fitPullRequestBody("short"), "short");
});
