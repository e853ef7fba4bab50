/**
 * The Data Center converters: wiki markup → text on a corpus of markup as
 * people write it on Jira DC, Markdown → wiki markup on the runner's own
 * comments, and the escaping that keeps quoted (hostile) text from turning
 * into mentions, images, macros or script links.
 */
import assert from "node:assert/strict";
import { escapeWiki, markdownToWiki } from "../../adapters/jira/datacenter/markdown_to_wiki.ts";
import { wikiToText } from "../../adapters/jira/datacenter/wiki_to_text.ts";
import { failureComment, resultComment } from "../../domain/workflow/messages.ts";
import corpus from "../fixtures/jira/wiki_corpus.json" with { type: "json" };

for (const { name, wiki, text } of corpus as { name: string; wiki: string; text: string }[]) {
  Deno.test(`wiki → text: ${name}`, () => {
    assert.equal(wikiToText(wiki), text);
  });
}

Deno.test("wiki → text: nothing, null and non-strings are empty", () => {
  assert.equal(wikiToText(null), "");
  assert.equal(wikiToText(undefined), "");
  assert.equal(wikiToText({ type: "doc" }), "");
  assert.equal(wikiToText("  \n "), "");
});

Deno.test("wiki → text: an unclosed code block keeps its text", () => {
  assert.equal(wikiToText("{code:java}\nint x;\nint y;"), "```java\nint x;\nint y;\n```");
});

const REPORT = {
  issueKey: "MWC-42",
  runId: "01JABCDEF",
  summary: "Fixed the typo in the install guide.",
  filesChanged: ["docs/install.md", "docs/usage_guide.md"],
  validation: { configured: true, passed: true, repairs: 1 },
  branch: "ai/MWC-42",
  pr: { number: 7, url: "https://github.com/acme/online-docs/pull/7", draft: false, opened: true },
  spend: "1.2k tokens in, 340 out, ~$0.01 at list prices",
  jiraFeedback: [{
    id: "10001",
    author: { accountId: "leigh", displayName: "Leigh Reviewer" },
    bodyText: 'Please replace "dashbord" with *dashboard* [~admin]',
    created: "2025-01-01T00:00:00.000Z",
    updated: "2025-01-01T00:00:00.000Z",
  }],
  prFeedback: [],
};

Deno.test("markdown → wiki: the runner's result comment", () => {
  const wiki = markdownToWiki(resultComment(REPORT));
  assert.match(
    wiki,
    /^\*AI Runner opened a pull request for this issue:\* \[#7\|https:\/\/github\.com\/acme\/online-docs\/pull\/7\]/,
  );
  assert.match(wiki, /^\* \{\{docs\/install\.md\}\}$/m);
  assert.match(wiki, /^\* \{\{docs\/usage\\_guide\.md\}\}$/m);
  assert.match(wiki, /^\* \*Validation:\* passed after 1 repair\(s\)$/m);
  // The quoted feedback is Markdown-ish like on Cloud (*…* is emphasis), but its [~admin]
  // is escaped: no mention.
  assert.match(wiki, /_dashboard_ \\\[\\~admin\\\]/);
  // Read back, it is the Markdown-ish text the Cloud adapter produces, marker intact.
  const text = wikiToText(wiki);
  assert.match(text, /^\*\*AI Runner opened a pull request for this issue:\*\* \[#7\]\(https:/);
  assert.ok(text.includes("`ai-runner-run:01JABCDEF`"), text);
  assert.ok(text.includes('"Please replace "dashbord" with *dashboard* [~admin]"'), text);
  assert.doesNotMatch(text, /@admin/);
});

Deno.test("markdown → wiki: the failure comment", () => {
  const wiki = markdownToWiki(
    failureComment("MWC-42", "01JABCDEF", "validate", "exit 1", "permanent"),
  );
  assert.match(wiki, /^\*AI Runner could not finish MWC\\?-42\*/);
  assert.ok(wikiToText(wiki).includes("ai-runner-run:01JABCDEF"));
});

const MARKDOWN_CORPUS: [string, string, string][] = [
  ["headings", "# One\n###### Six", "h1. One\n\nh6. Six"],
  [
    "emphasis",
    "**bold**, *it*, _it_, ~~gone~~ and `code`",
    "*bold*, _it_, _it_, -gone- and {{code}}",
  ],
  ["snake_case is not emphasis", "use my_var_name here", "use my\\_var\\_name here"],
  ["nested lists", "- a\n  - b\n    - c\n- d", "* a\n** b\n*** c\n* d"],
  ["ordered and mixed", "1. one\n2. two\n   - sub", "# one\n# two\n#* sub"],
  ["task list", "- [ ] todo\n- [x] done", "* (?) todo\n* (/) done"],
  ["code block with language", "```ts\nconst a = 1;\n```", "{noformat}\nconst a = 1;\n{noformat}"],
  ["code block alias", "```sh\nls -la\n```", "{code:sh}\nls -la\n{code}"],
  ["code block with a closing tag inside", "```\n{code}\n```", "{noformat}\n{ code}\n{noformat}"],
  ["quote", "> a\n> b", "{quote}\na b\n{quote}"],
  [
    "table",
    "| h1 | h2 |\n| --- | :-: |\n| `a\\|b` | [x](https://e.com) |",
    "||h1||h2||\n|{{a\\|b}}|[x|https://e.com]|",
  ],
  ["rule", "a\n\n---\n\nb", "a\n\n----\n\nb"],
  [
    "bare and angle URLs",
    "see https://e.com/a_b and <https://e.com/c>",
    "see [https://e.com/a_b] and [https://e.com/c]",
  ],
  ["hard break", "line one  \nline two", "line one \\\\ line two"],
  ["mention", "thanks [@Leigh](mention:leigh)", "thanks [~leigh]"],
  ["html comment dropped", "a <!-- hidden --> b", "a  b"],
];

for (const [name, markdown, wiki] of MARKDOWN_CORPUS) {
  Deno.test(`markdown → wiki: ${name}`, () => {
    assert.equal(markdownToWiki(markdown), wiki);
  });
}

Deno.test("markdown → wiki (attacker): quoted text cannot become markup", () => {
  const hostile = [
    "[~admin] please look",
    "!https://evil.example/pixel.png!",
    "{html}<script>alert(1)</script>{html}",
    "[click|javascript:alert(1)]",
    "{color:red}red{color} {panel}x{panel}",
    "h1. Fake heading",
    "bq. fake quote",
    "# fake list",
    "---- fake rule",
    "??cite?? ^sup^ ~sub~ +under+ -strike-",
  ];
  for (const text of hostile) {
    const wiki = markdownToWiki(text);
    // Read back as Jira would render it: exactly the text, no mention, image, macro or link.
    assert.equal(wikiToText(wiki), text.replace(/<[^>]+>/g, ""), `${text} → ${wiki}`);
    assert.doesNotMatch(wiki, /(?<!\\)\[~|(?<!\\)!http|(?<!\\)\{html/);
  }
});

Deno.test("markdown → wiki (attacker): links keep only http(s) and mailto targets", () => {
  assert.equal(markdownToWiki("[x](javascript:alert(1))"), "x)");
  assert.equal(markdownToWiki("[x](data:text/html,hi)"), "x");
  assert.equal(markdownToWiki("[mail](mailto:a@b.c)"), "[mail|mailto:a@b.c]");
  // An image is a link, never embedded (no tracking pixel fetched by every reader).
  assert.equal(markdownToWiki("![logo](https://e.com/l.png)"), "[logo|https://e.com/l.png]");
  // Pipes and brackets in a target cannot end the link early.
  assert.equal(markdownToWiki("[x](https://e.com/a|b)"), "[x|https://e.com/a%7Cb]");
  // A mention target must look like a username.
  assert.equal(markdownToWiki("[@x](mention:a]b)"), "@x");
});

Deno.test("markdown → wiki (attacker): inline code cannot close its {{…}} early", () => {
  const wiki = markdownToWiki("`a}}[~admin]{{b`");
  assert.equal(wiki, "{{a\\}\\}\\[\\~admin\\]\\{\\{b}}");
  assert.equal(wikiToText(wiki), "`a}}[~admin]{{b`");
});

Deno.test("escapeWiki: word-internal hyphens and pluses stay readable", () => {
  assert.equal(escapeWiki("re-run C++ 2024-05-01"), "re-run C\\+\\+ 2024-05-01");
  assert.equal(escapeWiki("-x- +y+"), "\\-x\\- \\+y\\+");
});

Deno.test("markdown → wiki (attacker): deeply nested quotes flatten instead of recursing", () => {
  // Jira's {quote} does not nest; 20,000 levels once overflowed the stack.
  assert.equal(markdownToWiki(`${"> ".repeat(20_000)}x`), "{quote}\nx\n{quote}");
});

Deno.test("converters (attacker): long runs of openers without closers stay text", () => {
  // Every span the converters match is bounded, so these stay linear-ish in the input.
  assert.equal(markdownToWiki("[".repeat(5000)), "\\[".repeat(5000));
  assert.equal(markdownToWiki("**a ".repeat(2000)).split("\\*\\*a").length, 2001);
  assert.equal(wikiToText("{{".repeat(5000)), "{{".repeat(5000));
  assert.equal(wikiToText("[".repeat(5000)), "[".repeat(5000));
});
