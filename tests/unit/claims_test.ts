/** Honest hand-over: the model's summary against the diff. */
import assert from "node:assert/strict";
import {
  checkClaims,
  formatClaimFindings,
  mentionedPaths,
  summaryContradictsDiff,
} from "../../domain/workflow/claims.ts";

Deno.test("claims: 'No change made' on a non-empty diff is flagged", () => {
  for (
    const summary of [
      "No change made.",
      "No changes were needed because the docs already say it.",
      "I made no changes.",
      "Nothing to change: the page is correct",
      "I did not change anything",
    ]
  ) {
    const findings = checkClaims({ summary, changedFiles: ["docs/install.md"] });
    assert.equal(findings[0]?.kind, "no_change_but_diff", summary);
    assert.ok(summaryContradictsDiff(findings));
    assert.match(findings[0].message, /1 file\(s\) changed: `docs\/install\.md`/);
  }
});

Deno.test("claims: qualified 'no change' phrases are not a no-change claim", () => {
  for (
    const summary of [
      "Fixed the crash in login. No changes to the public API.",
      "Updated the parser; no change needed elsewhere",
    ]
  ) {
    const findings = checkClaims({ summary, changedFiles: ["src/login.ts", "src/parser.ts"] });
    assert.ok(!findings.some((f) => f.kind === "no_change_but_diff"), summary);
  }
});

Deno.test("claims: work described on an empty diff is flagged; an honest no-change is not", () => {
  const findings = checkClaims({ summary: "Fixed the typo in README.md", changedFiles: [] });
  assert.deepEqual(findings.map((f) => f.kind), ["change_but_empty_diff"]);
  assert.deepEqual(checkClaims({ summary: "No change made.", changedFiles: [] }), []);
});

Deno.test("claims: files named but not touched are listed, with whether they exist", () => {
  const findings = checkClaims({
    summary:
      "Updated `docs/install.md` and install.md, fixed src/app.ts and added tests in tests/app_test.ts. See https://example.com/guide/setup.md, e.g. node.js.",
    changedFiles: ["docs/install.md", "src/other.ts"],
    repoFiles: ["docs/install.md", "src/other.ts", "src/app.ts"],
  });
  assert.equal(findings.length, 1);
  assert.equal(findings[0].kind, "mentioned_not_changed");
  assert.deepEqual(findings[0].paths, [
    { path: "src/app.ts", exists: true },
    { path: "tests/app_test.ts", exists: false },
  ]);
  assert.match(findings[0].message, /not in the repository: `tests\/app_test\.ts`/);
  assert.equal(summaryContradictsDiff(findings), false);
  assert.match(formatClaimFindings(findings), /^\*\*The runner checked the summary/);
  assert.equal(formatClaimFindings([]), "");
});

Deno.test("claims: path mentions ignore URLs, abbreviations and version numbers", () => {
  assert.deepEqual(
    mentionedPaths("see http://x.io/a/b.md, v1.2.3, e.g. this; edit ./lib/util.py and README.md."),
    ["lib/util.py", "README.md"],
  );
});
