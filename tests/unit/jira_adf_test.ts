import assert from "node:assert/strict";
import { Ajv } from "ajv";
import { markdownToAdf as rawMarklassian } from "marklassian";
import {
  type AdfDoc,
  type AdfNode,
  adfToText,
  markdownToAdf,
  validateAdf,
} from "../../adapters/jira/adf.ts";
import schema from "../../adapters/standins/adf-schema-full.json" with { type: "json" };
import description from "../fixtures/jira/description.adf.json" with { type: "json" };

// Atlassian's schema is draft-04 but uses no draft-04-only keyword, so Ajv's
// default draft reads it once the `$schema` marker is dropped.
const { $schema: _draft, ...schemaBody } = schema as Record<string, unknown>;
const ajv = new Ajv({ strict: false, allErrors: true });
const schemaValid = ajv.compile(schemaBody);

function assertSchemaValid(doc: unknown, label: string): void {
  const ok = schemaValid(doc);
  assert.ok(ok, `${label}: ${JSON.stringify(schemaValid.errors?.slice(0, 3))}`);
}

function walk(
  node: AdfNode,
  visit: (n: AdfNode, parent: AdfNode | null) => void,
  parent: AdfNode | null = null,
) {
  visit(node, parent);
  for (const child of node.content ?? []) walk(child, visit, node);
}

const TRICKY_MARKDOWN: Record<string, string> = {
  "empty": "",
  "whitespace only": "   \n\n  ",
  "everything": [
    "# Title",
    "",
    "para **b** *e* `c` [l](https://x.example) ~~s~~",
    "",
    "- a",
    "- b",
    "  - c",
    "",
    "3. three",
    "4. four",
    "",
    "```ts",
    "const x = 1;",
    "```",
    "",
    "> quote",
    "",
    "| a | b |",
    "|---|---|",
    "| 1 | `2` |",
    "",
    "line1  ",
    "line2",
    "",
    "---",
    "",
    "- [ ] task",
    "- [x] done",
  ].join("\n"),
  "empty code block": "```\n\n```",
  "image": "![diagram](https://x.example/d.png)",
  "image in list": "- ![i](https://x.example/y.png)",
  "empty link": "[](https://x.example)",
  "heading, rule, quote and table in a quote":
    "> # head\n> ---\n> > nested\n>\n> | a |\n> |---|\n> | b |",
  "heading, quote and table in list items": "- # head\n- > quote\n- | a |\n  |---|\n  | b |",
  "nested task list": "- [ ] outer with `code` and **b**\n  - [x] inner",
  "code in bold": "**bold `code` x** and **`c`**",
  "list starting with a list": "- - x",
  "html": "<b>html</b> and <!-- a comment -->",
  "empty cell": "| a | b |\n|---|---|\n|   | x |",
};

Deno.test("adfToText renders a realistic description as Markdown-ish text", () => {
  const text = adfToText(description);
  assert.match(text, /^## Context\n\nHi @Leigh Reviewer, the \*\*install page\*\*/);
  assert.match(
    text,
    /run `npm i -g docs-cli`\. Please follow \[the style guide\]\(https:\/\/docs\.example\.com\/style\) and keep it \*short\*\./,
  );
  assert.match(text, /\nTracking: https:\/\/github\.com\/acme\/online-docs\/issues\/12 🚀\n/);
  assert.ok(
    text.includes(
      "- Replace the install command\n- Update the examples:\n  1. quick start\n  2. CI setup",
    ),
    text,
  );
  assert.ok(text.includes("```yaml\nsteps:\n  - run: npx docs-cli build\n```"), text);
  assert.ok(text.includes("> The old command was removed in v3."), text);
  assert.ok(text.includes("> **Warning:** Do not touch the changelog."), text);
  assert.ok(text.includes("| Page | Owner |\n| --- | --- |\n| install.md | docs team |"), text);
  assert.ok(text.includes("Due 2025-01-01 [READY]"), text);
  assert.ok(
    text.includes("Text inside a node type nobody knows yet."),
    "unknown nodes keep their text",
  );
  assert.ok(text.includes("- [x] draft\n- [ ] review"), text);
  assert.ok(!/\n{3,}/.test(text), "no runs of blank lines");
});

Deno.test("adfToText tolerates what is not a document", () => {
  assert.equal(adfToText(null), "");
  assert.equal(adfToText(undefined), "");
  assert.equal(adfToText(42), "");
  assert.equal(adfToText("already text"), "already text");
  assert.equal(adfToText({ type: "doc", version: 1 }), "");
  assert.equal(
    adfToText({
      type: "doc",
      version: 1,
      content: [{ type: "paragraph", content: [null, { type: "sparkle", text: "odd" }, "x"] }],
    }),
    "odd",
  );
});

Deno.test("adfToText renders marks, mentions without @ and bare links", () => {
  const doc = {
    type: "doc",
    version: 1,
    content: [{
      type: "paragraph",
      content: [
        { type: "text", text: "bold ", marks: [{ type: "strong" }] },
        { type: "text", text: "more", marks: [{ type: "strong" }] },
        { type: "text", text: " " },
        { type: "text", text: "a`b", marks: [{ type: "code" }] },
        { type: "text", text: " " },
        { type: "mention", attrs: { id: "acc-1", text: "Sam" } },
        { type: "text", text: " " },
        { type: "mention", attrs: { id: "acc-2" } },
        { type: "text", text: " " },
        {
          type: "text",
          text: "https://x.example/a",
          marks: [{ type: "link", attrs: { href: "https://x.example/a" } }],
        },
      ],
    }],
  };
  assert.equal(adfToText(doc), "**bold more** ``a`b`` @Sam @acc-2 https://x.example/a");
});

Deno.test("markdownToAdf output is valid against Atlassian's schema and the structural check", () => {
  for (const [label, markdown] of Object.entries(TRICKY_MARKDOWN)) {
    const doc = markdownToAdf(markdown);
    assert.equal(doc.type, "doc", label);
    assert.equal(doc.version, 1, label);
    assert.ok(doc.content.length > 0, `${label}: content is never empty`);
    assertSchemaValid(doc, label);
    assert.deepEqual(validateAdf(doc), [], label);
    walk(doc, (node, parent) => {
      if (node.type === "text") {
        assert.ok(typeof node.text === "string" && node.text.length > 0, `${label}: empty text`);
        if (parent?.type === "codeBlock") {
          assert.equal(node.marks, undefined, `${label}: marks in code`);
        }
      }
    });
  }
});

Deno.test("the post-pass is needed: raw marklassian output breaks the schema on tricky input", () => {
  for (
    const label of [
      "empty code block",
      "heading, rule, quote and table in a quote",
      "heading, quote and table in list items",
      "nested task list",
    ]
  ) {
    const raw = rawMarklassian(TRICKY_MARKDOWN[label]);
    assert.equal(schemaValid(raw), false, `the schema accepts raw ${label}`);
    assert.notDeepEqual(validateAdf(raw), [], `validateAdf accepts raw ${label}`);
    const fixed = markdownToAdf(TRICKY_MARKDOWN[label]);
    assert.ok(schemaValid(fixed), label);
  }
});

Deno.test("markdownToAdf of nothing is a doc with one empty paragraph", () => {
  assert.deepEqual(markdownToAdf(""), {
    type: "doc",
    version: 1,
    content: [{ type: "paragraph", content: [] }],
  });
});

Deno.test("markdownToAdf keeps the words of content it has to reshape", () => {
  const quoted = adfToText(
    markdownToAdf(TRICKY_MARKDOWN["heading, rule, quote and table in a quote"]),
  );
  assert.equal(quoted, "> **head**\n>\n> nested\n>\n> a\n>\n> b");
  const tasks = adfToText(markdownToAdf(TRICKY_MARKDOWN["nested task list"]));
  assert.equal(tasks, "- [ ] outer with `code` and **b**\n  - [x] inner");
  const image = markdownToAdf(TRICKY_MARKDOWN["image"]);
  assert.equal(adfToText(image), "[diagram](https://x.example/d.png)");
});

Deno.test("validateAdf and Atlassian's schema agree on broken documents", () => {
  const p = (content: unknown[]) => ({ type: "doc", version: 1, content });
  const broken: Record<string, unknown> = {
    "not a doc root": { type: "paragraph", content: [] },
    "wrong version": { type: "doc", version: 2, content: [] },
    "empty text node": p([{ type: "paragraph", content: [{ type: "text", text: "" }] }]),
    "marks in a code block": p([{
      type: "codeBlock",
      content: [{ type: "text", text: "x", marks: [{ type: "strong" }] }],
    }]),
    "code with strong": p([{
      type: "paragraph",
      content: [{ type: "text", text: "x", marks: [{ type: "code" }, { type: "strong" }] }],
    }]),
    "heading level 7": p([{ type: "heading", attrs: { level: 7 }, content: [] }]),
    "empty list item": p([{ type: "bulletList", content: [{ type: "listItem", content: [] }] }]),
    "paragraph in a list": p([{ type: "bulletList", content: [{ type: "paragraph" }] }]),
    "mention without id": p([{ type: "paragraph", content: [{ type: "mention", attrs: {} }] }]),
    "link without href": p([{
      type: "paragraph",
      content: [{ type: "text", text: "x", marks: [{ type: "link", attrs: {} }] }],
    }]),
    "text at the root": p([{ type: "text", text: "loose" }]),
    "heading in a quote": p([{
      type: "blockquote",
      content: [{ type: "heading", attrs: { level: 1 }, content: [] }],
    }]),
    "unknown node": p([{ type: "futureWidget" }]),
  };
  for (const [label, doc] of Object.entries(broken)) {
    assert.notDeepEqual(validateAdf(doc), [], `validateAdf accepts ${label}`);
    assert.equal(schemaValid(doc), false, `the schema accepts ${label}`);
  }
  const known = {
    ...description,
    content: description.content.filter((n) => n.type !== "futureWidget"),
  };
  assert.deepEqual(validateAdf(known), []);
  assertSchemaValid(known, "description fixture");
});

Deno.test("Markdown → ADF → text keeps the meaning of a result comment", () => {
  const markdown = [
    "## AI Runner: changes ready for review",
    "",
    "Opened [PR #17](https://github.com/acme/online-docs/pull/17) on branch `ai/MWC-42`.",
    "",
    "- Updated **install.md**: replaced `npm i -g docs-cli` with *npx*",
    "- Fixed the example:",
    "  1. quick start",
    "  2. CI setup",
    "",
    "```bash",
    "npx docs-cli build",
    "```",
    "",
    "> Validation passed: `npm test`",
    "",
    "_ai-runner run r-01HZX_",
  ].join("\n");
  const doc: AdfDoc = markdownToAdf(markdown);
  assertSchemaValid(doc, "result comment");
  const text = adfToText(doc);
  assert.equal(text, markdown.replace("_ai-runner run r-01HZX_", "*ai-runner run r-01HZX*"));
  assert.equal(adfToText(markdownToAdf(text)), text, "text is a fixed point");
});

Deno.test("ADF → text → ADF → text is stable for the description fixture", () => {
  const once = adfToText(description);
  const twice = adfToText(markdownToAdf(once));
  for (
    const kept of [
      "## Context",
      "@Leigh Reviewer",
      "[the style guide](https://docs.example.com/style)",
      "```yaml\nsteps:\n  - run: npx docs-cli build\n```",
      "  1. quick start",
      "> The old command was removed in v3.",
      "| Page | Owner |",
      "- [x] draft",
    ]
  ) {
    assert.ok(twice.includes(kept), `lost ${JSON.stringify(kept)} in:\n${twice}`);
  }
});

Deno.test("adfToText keeps the fallback text of extension and inlineExtension nodes", () => {
  const doc: AdfDoc = {
    type: "doc",
    version: 1,
    content: [
      {
        type: "extension",
        attrs: {
          extensionType: "com.atlassian.confluence.macro.core",
          extensionKey: "toc",
          text: "Table of contents: Install, Configure",
        },
      },
      {
        type: "paragraph",
        content: [
          { type: "text", text: "Build " },
          {
            type: "inlineExtension",
            attrs: {
              extensionType: "com.example.app",
              extensionKey: "badge",
              text: "v2.1 passing",
            },
          },
        ],
      },
    ],
  };
  assertSchemaValid(doc, "extension doc");
  assert.equal(adfToText(doc), "Table of contents: Install, Configure\n\nBuild v2.1 passing");
});
