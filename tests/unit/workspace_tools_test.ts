import assert from "node:assert/strict";
import {
  createWorkspaceTools,
  type ValidationReport,
  WORKSPACE_TOOL_DEFINITIONS,
  WORKSPACE_TOOL_SCHEMAS,
  type WorkspaceToolLimits,
  type WorkspaceTools,
} from "../../adapters/workspace/tools.ts";

/** A temp worktree with files, and another temp dir outside it. */
async function withWorktree(
  files: Record<string, string | Uint8Array>,
  fn: (ctx: { root: string; outside: string; tools: WorkspaceTools }) => Promise<void>,
  options: { limits?: Partial<WorkspaceToolLimits>; validation?: () => Promise<ValidationReport> } =
    {},
): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "ws-tools-" });
  const outside = await Deno.makeTempDir({ prefix: "ws-outside-" });
  try {
    for (const [path, content] of Object.entries(files)) {
      const abs = `${root}/${path}`;
      await Deno.mkdir(abs.slice(0, abs.lastIndexOf("/")), { recursive: true });
      if (typeof content === "string") await Deno.writeTextFile(abs, content);
      else await Deno.writeFile(abs, content);
    }
    const tools = await createWorkspaceTools({
      root,
      limits: options.limits,
      runValidation: options.validation,
    });
    await fn({ root, outside, tools });
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(outside, { recursive: true });
  }
}

const exists = (path: string) => Deno.lstat(path).then(() => true, () => false);

Deno.test("paths: '..', absolute, backslash and .git paths are refused by every tool", async () => {
  await withWorktree({ "a.txt": "a\n", ".git/config": "[core]\n" }, async ({ tools }) => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ["read_file", { path: "../etc/passwd" }, /contains "\.\."/],
      ["read_file", { path: "src/../../x" }, /contains "\.\."/],
      ["read_file", { path: "/etc/passwd" }, /is absolute/],
      ["write_file", { path: "/tmp/x.txt", content: "x" }, /is absolute/],
      ["read_file", { path: "C:/Windows/win.ini" }, /is absolute/],
      ["read_file", { path: "~/.ssh/id_rsa" }, /is absolute/],
      ["read_file", { path: "a\\b.txt" }, /forward slashes/],
      ["read_file", { path: ".git/config" }, /inside \.git/],
      ["write_file", { path: "sub/.git/hooks/pre-commit", content: "x" }, /inside \.git/],
      ["delete_file", { path: ".GIT/config" }, /inside \.git/],
      ["list_files", { path: ".git" }, /inside \.git/],
      ["search", { pattern: "core", path: ".git" }, /inside \.git/],
      ["edit_file", { path: "../a.txt", old_string: "a", new_string: "b" }, /"\.\."/],
      ["read_file", { path: 42 }, /must be a string/],
      ["read_file", {}, /`path` is required/],
    ];
    for (const [tool, input, expected] of cases) {
      const out = await tools.execute(tool, input);
      assert.equal(out.isError, true, `${tool} ${JSON.stringify(input)} should be refused`);
      assert.match(out.content, expected, `${tool} ${JSON.stringify(input)}: ${out.content}`);
    }
    assert.deepEqual(await tools.filesChanged(), []);
  });
});

Deno.test("paths: symlinks are refused, including one pointing outside the worktree", async () => {
  await withWorktree({ "docs/a.md": "inside\n" }, async ({ root, outside, tools }) => {
    await Deno.writeTextFile(`${outside}/secret.txt`, "outside secret\n");
    await Deno.symlink(outside, `${root}/escape`); // a directory link to outside
    await Deno.symlink(`${outside}/secret.txt`, `${root}/secret.txt`); // a file link to outside
    await Deno.symlink(`${root}/docs/a.md`, `${root}/docs/inner.md`); // a link that stays inside

    for (
      const [tool, input] of [
        ["read_file", { path: "escape/secret.txt" }],
        ["read_file", { path: "secret.txt" }],
        ["read_file", { path: "docs/inner.md" }],
        ["write_file", { path: "escape/new.txt", content: "pwned" }],
        ["write_file", { path: "secret.txt", content: "pwned" }],
        ["edit_file", { path: "secret.txt", old_string: "outside", new_string: "pwned" }],
        ["delete_file", { path: "secret.txt" }],
        ["list_files", { path: "escape" }],
        ["search", { pattern: "secret", path: "escape" }],
      ] as const
    ) {
      const out = await tools.execute(tool, { ...input });
      assert.equal(out.isError, true, `${tool} ${JSON.stringify(input)} should be refused`);
      assert.match(out.content, /symbolic link/);
    }
    assert.equal(await Deno.readTextFile(`${outside}/secret.txt`), "outside secret\n");
    assert.equal(await exists(`${outside}/new.txt`), false);
    assert.equal(await exists(`${root}/secret.txt`), true, "the link itself was not deleted");

    // Listing and searching the root never follow the links.
    const list = await tools.execute("list_files", {});
    assert.match(list.content, /^escape \(symlink, not followed\)$/m);
    assert.doesNotMatch(list.content, /escape\/secret\.txt/);
    const found = await tools.execute("search", { pattern: "secret" });
    assert.doesNotMatch(found.content, /outside secret/);
  });
});

Deno.test("paths: a file hard-linked from outside the worktree is refused", async () => {
  await withWorktree({}, async ({ root, outside, tools }) => {
    await Deno.writeTextFile(`${outside}/key.pem`, "outside key\n");
    await Deno.link(`${outside}/key.pem`, `${root}/key.pem`);
    for (const tool of ["read_file", "write_file", "delete_file"]) {
      const out = await tools.execute(tool, { path: "key.pem", content: "pwned" });
      assert.equal(out.isError, true, tool);
      assert.match(out.content, /several hard links/);
    }
    assert.equal(await Deno.readTextFile(`${outside}/key.pem`), "outside key\n");
    const found = await tools.execute("search", { pattern: "outside key" });
    assert.match(found.content, /^No matches/);
  });
});

Deno.test("paths: a file used as a directory is refused", async () => {
  await withWorktree({ "a.txt": "a\n" }, async ({ tools }) => {
    const out = await tools.execute("write_file", { path: "a.txt/b.txt", content: "x" });
    assert.equal(out.isError, true);
    assert.match(out.content, /"a\.txt" is a file, not a directory/);
  });
});

Deno.test("list_files: recursive, sorted, skips .git (directory or file), bounded", async () => {
  await withWorktree({
    "b.txt": "b",
    "a/z.txt": "z",
    "a/c/d.txt": "d",
    ".git/HEAD": "ref: refs/heads/main\n",
    "vendor/sub/.git": "gitdir: ../../.git/modules/sub\n",
  }, async ({ tools }) => {
    const out = await tools.execute("list_files", {});
    assert.equal(out.isError, false);
    assert.deepEqual(out.content.split("\n").slice(1), ["a/c/d.txt", "a/z.txt", "b.txt"]);
    const sub = await tools.execute("list_files", { path: "a" });
    assert.deepEqual(sub.content.split("\n").slice(1), ["a/c/d.txt", "a/z.txt"]);
    const missing = await tools.execute("list_files", { path: "nope" });
    assert.equal(missing.isError, true);
  });
  const many = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}.txt`, "x"]));
  await withWorktree(many, async ({ tools }) => {
    const out = await tools.execute("list_files", {});
    assert.equal(out.content.split("\n").filter((l) => l.startsWith("f")).length, 10);
    assert.match(out.content, /listing stopped after 10 entries/);
  }, { limits: { maxListEntries: 10 } });
});

Deno.test("read_file: numbered lines, offset and limit, continuation hint, errors", async () => {
  const text = Array.from({ length: 50 }, (_, i) => `line ${i + 1}`).join("\n") + "\n";
  await withWorktree(
    { "f.txt": text, "empty.txt": "", "bin.dat": new Uint8Array([1, 0, 2]) },
    async ({ tools }) => {
      const all = await tools.execute("read_file", { path: "f.txt" });
      assert.match(all.content, /^f\.txt: lines 1-50 of 50\n1\tline 1\n/);
      assert.doesNotMatch(all.content, /more lines follow/);

      const page = await tools.execute("read_file", { path: "f.txt", offset: 10, limit: 3 });
      assert.equal(
        page.content,
        "f.txt: lines 10-12 of 50\n10\tline 10\n11\tline 11\n12\tline 12\n" +
          "[more lines follow; continue with offset 13]",
      );
      const asStrings = await tools.execute("read_file", { path: "f.txt", offset: "49" });
      assert.match(asStrings.content, /lines 49-50 of 50\n49\tline 49\n50\tline 50$/);

      const past = await tools.execute("read_file", { path: "f.txt", offset: 51 });
      assert.equal(past.isError, true);
      assert.match(past.content, /past the end of f\.txt, which has 50 lines/);
      const bad = await tools.execute("read_file", { path: "f.txt", offset: 0 });
      assert.match(bad.content, /`offset` must be a positive integer/);
      assert.match((await tools.execute("read_file", { path: "empty.txt" })).content, /is empty/);
      const bin = await tools.execute("read_file", { path: "bin.dat" });
      assert.equal(bin.isError, true);
      assert.match(bin.content, /binary file/);
      assert.match(
        (await tools.execute("read_file", { path: "nope.txt" })).content,
        /does not exist/,
      );
      assert.match((await tools.execute("read_file", { path: "." })).content, /must name a file/);
    },
  );
});

Deno.test("read_file: output is bounded (default lines, line length, total size, file size)", async () => {
  const long = "x".repeat(500);
  const text = Array.from({ length: 300 }, () => long).join("\n");
  await withWorktree({ "big.txt": text }, async ({ tools }) => {
    const out = await tools.execute("read_file", { path: "big.txt", limit: 1000 });
    assert.ok(out.content.length <= 3000 + 200, `answer is ${out.content.length} chars`);
    assert.match(out.content, /x{100}… \[400 more chars\]/);
    assert.match(out.content, /continue with offset \d+/);
    const deflt = await tools.execute("read_file", { path: "big.txt" });
    assert.match(deflt.content, /^big\.txt: lines 1-\d+ of 300/);
  }, { limits: { maxOutputChars: 3000, maxLineChars: 100, defaultReadLines: 5 } });
  await withWorktree({ "big.txt": "y".repeat(5000) }, async ({ tools }) => {
    const out = await tools.execute("read_file", { path: "big.txt" });
    assert.equal(out.isError, true);
    assert.match(out.content, /over the 1000-byte limit/);
  }, { limits: { maxFileBytes: 1000 } });
});

Deno.test("search: regex, literal fallback, path scope, skips .git and binaries, bounded", async () => {
  await withWorktree({
    "src/a.ts": "const alpha = 1;\nfunction beta() {}\n",
    "src/b.ts": "// alpha again\n",
    "docs/c.md": "Call beta( here\n",
    ".git/config": "alpha in git\n",
    "img.png": new Uint8Array([0x89, 0x50, 0, 0, 0x61, 0x6c, 0x70, 0x68, 0x61]),
  }, async ({ tools }) => {
    const regex = await tools.execute("search", { pattern: "al[p]ha" });
    assert.equal(regex.isError, false);
    assert.deepEqual(regex.content.split("\n").slice(1), [
      "src/a.ts:1: const alpha = 1;",
      "src/b.ts:1: // alpha again",
    ]);
    assert.match(regex.content, /^2 matches in 2 files/);

    const literal = await tools.execute("search", { pattern: "beta( h" });
    assert.match(literal.content, /searched as literal text/);
    assert.match(literal.content, /docs\/c\.md:1: Call beta\( here/);
    assert.doesNotMatch(literal.content, /src\/a\.ts/, "a.ts has no literal 'beta( h'");

    const scoped = await tools.execute("search", { pattern: "alpha", path: "src/b.ts" });
    assert.deepEqual(scoped.content.split("\n").slice(1), ["src/b.ts:1: // alpha again"]);
    const none = await tools.execute("search", { pattern: "gamma", path: "docs" });
    assert.match(none.content, /No matches for "gamma" in docs/);
    assert.equal((await tools.execute("search", { pattern: "" })).isError, true);
  });
  const many = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`f${i}.txt`, "hit\nhit\n"]));
  await withWorktree(many, async ({ tools }) => {
    const out = await tools.execute("search", { pattern: "hit" });
    assert.equal(out.content.split("\n").filter((l) => l.includes(": hit")).length, 4);
    assert.match(out.content, /stopped at 4 matches/);
  }, { limits: { maxSearchResults: 4 } });
});

Deno.test("write_file and delete_file: create nested, replace, delete; changes tracked", async () => {
  await withWorktree({ "keep.txt": "keep\n", "old.txt": "old\n" }, async ({ root, tools }) => {
    const created = await tools.execute("write_file", { path: "new/dir/n.txt", content: "a\nb\n" });
    assert.equal(created.content, "Created new/dir/n.txt (2 lines, 4 bytes).");
    assert.equal(await Deno.readTextFile(`${root}/new/dir/n.txt`), "a\nb\n");
    const replaced = await tools.execute("write_file", { path: "keep.txt", content: "keep\n" });
    assert.match(replaced.content, /^Replaced keep\.txt/);
    assert.equal((await tools.execute("delete_file", { path: "old.txt" })).isError, false);
    assert.equal(await exists(`${root}/old.txt`), false);
    assert.match((await tools.execute("delete_file", { path: "new" })).content, /is a directory/);
    assert.match((await tools.execute("delete_file", { path: "gone" })).content, /does not exist/);

    // keep.txt was rewritten with the same content: not a change.
    assert.deepEqual(await tools.filesChanged(), ["new/dir/n.txt", "old.txt"]);
    assert.equal(await tools.diffBytes(), "a\nb\n".length + "old\n".length);

    // A file created and then deleted is no change either.
    await tools.execute("write_file", { path: "tmp.txt", content: "t" });
    await tools.execute("delete_file", { path: "tmp.txt" });
    assert.deepEqual(await tools.filesChanged(), ["new/dir/n.txt", "old.txt"]);
  });
  await withWorktree({}, async ({ tools }) => {
    const big = await tools.execute("write_file", { path: "big.txt", content: "z".repeat(101) });
    assert.equal(big.isError, true);
    assert.match(big.content, /over the 100-byte limit/);
  }, { limits: { maxWriteBytes: 100 } });
});

Deno.test("edit_file: a unique match is replaced", async () => {
  await withWorktree({ "a.md": "# Title\n\nHello world.\nBye.\n" }, async ({ root, tools }) => {
    const out = await tools.execute("edit_file", {
      path: "a.md",
      old_string: "Hello world.",
      new_string: "Hello, reviewers.",
    });
    assert.deepEqual(out, { content: "Edited a.md at line 3.", isError: false });
    assert.equal(await Deno.readTextFile(`${root}/a.md`), "# Title\n\nHello, reviewers.\nBye.\n");
    assert.deepEqual(await tools.filesChanged(), ["a.md"]);
  });
});

Deno.test("edit_file: no match answers with the closest real lines and their numbers", async () => {
  const file = [
    "function add(a, b) {",
    "  return a + b;",
    "}",
    "",
    "function greet(name) {",
    '  const text = "Hello, " + name;',
    "  return text;",
    "}",
  ].join("\n") + "\n";
  await withWorktree({ "lib.js": file }, async ({ root, tools }) => {
    const out = await tools.execute("edit_file", {
      path: "lib.js",
      old_string: 'function greet(person) {\n    const text = "Hi, " + person;\n  return text;',
      new_string: "x",
    });
    assert.equal(out.isError, true);
    assert.match(out.content, /old_string was not found in lib\.js/);
    assert.match(out.content, /closest text is lines 5-7 \(\d+% similar\)/);
    assert.match(
      out.content,
      /\n5\tfunction greet\(name\) \{\n6\t {2}const text = "Hello, " \+ name;\n7\t {2}return text;\n/,
    );
    assert.equal(await Deno.readTextFile(`${root}/lib.js`), file, "the file is untouched");

    const unrelated = await tools.execute("edit_file", {
      path: "lib.js",
      old_string: "zzzz qqqq",
      new_string: "x",
    });
    assert.match(unrelated.content, /Nothing in the file looks like it/);
    assert.deepEqual(await tools.filesChanged(), []);
  });
});

Deno.test("edit_file: several matches say how many and where", async () => {
  await withWorktree({ "a.txt": "x = 1\ny = 2\nx = 1\n\nx = 1\n" }, async ({ root, tools }) => {
    const out = await tools.execute("edit_file", {
      path: "a.txt",
      old_string: "x = 1",
      new_string: "x = 3",
    });
    assert.equal(out.isError, true);
    assert.match(out.content, /occurs 3 times in a\.txt \(starting at lines 1, 3, 5\)/);
    assert.equal(await Deno.readTextFile(`${root}/a.txt`), "x = 1\ny = 2\nx = 1\n\nx = 1\n");
    const unique = await tools.execute("edit_file", {
      path: "a.txt",
      old_string: "y = 2\nx = 1",
      new_string: "y = 2\nx = 9",
    });
    assert.equal(unique.isError, false);
    assert.equal(await Deno.readTextFile(`${root}/a.txt`), "x = 1\ny = 2\nx = 9\n\nx = 1\n");
  });
});

Deno.test("edit_file: CRLF files match LF old_string and keep CRLF; bad inputs refused", async () => {
  await withWorktree({ "w.txt": "one\r\ntwo\r\nthree\r\n" }, async ({ root, tools }) => {
    const out = await tools.execute("edit_file", {
      path: "w.txt",
      old_string: "one\ntwo",
      new_string: "one\n2",
    });
    assert.equal(out.isError, false, out.content);
    assert.equal(await Deno.readTextFile(`${root}/w.txt`), "one\r\n2\r\nthree\r\n");
    const empty = await tools.execute("edit_file", {
      path: "w.txt",
      old_string: "",
      new_string: "x",
    });
    assert.match(empty.content, /use write_file/);
    const same = await tools.execute("edit_file", {
      path: "w.txt",
      old_string: "2",
      new_string: "2",
    });
    assert.match(same.content, /are the same/);
    const missing = await tools.execute("edit_file", { path: "w.txt", old_string: "2" });
    assert.match(missing.content, /`new_string` is required/);
  });
});

Deno.test("run_validation: calls the injected function, reports failures, is bounded", async () => {
  let calls = 0;
  const results: ValidationReport[] = [
    { passed: false, output: "error: broken link in docs/a.md" },
    { passed: true, output: "ok" },
  ];
  await withWorktree({}, async ({ tools }) => {
    const first = await tools.execute("run_validation", {});
    assert.equal(first.isError, true);
    assert.match(first.content, /^Validation FAILED/);
    assert.match(first.content, /broken link in docs\/a\.md/);
    const second = await tools.execute("run_validation", {});
    assert.deepEqual(second, { content: "Validation passed.\nok", isError: false });
    const third = await tools.execute("run_validation", {});
    assert.equal(third.isError, true);
    assert.match(third.content, /already used 2 times/);
    assert.equal(calls, 2);
  }, {
    limits: { maxValidationRuns: 2 },
    validation: () => Promise.resolve(results[calls++]),
  });
  await withWorktree({}, async ({ tools }) => {
    const out = await tools.execute("run_validation", {});
    assert.equal(out.isError, true);
    assert.match(out.content, /run_validation failed: runner crashed/);
  }, { validation: () => Promise.reject(new Error("runner crashed")) });
  await withWorktree({}, async ({ tools }) => {
    const out = await tools.execute("run_validation", {});
    assert.match(out.content, /No validation commands are configured/);
  });
});

Deno.test("finish and unknown tools: finish carries the summary; nothing throws", async () => {
  await withWorktree({}, async ({ tools }) => {
    const done = await tools.execute("finish", { summary: "  Fixed the typo.  " });
    assert.deepEqual(done, {
      content: "Finished.",
      isError: false,
      finish: { summary: "Fixed the typo." },
    });
    assert.equal((await tools.execute("finish", { summary: " " })).isError, true);
    assert.equal((await tools.execute("finish", {})).isError, true);
    const unknown = await tools.execute("shell", { command: "rm -rf /" });
    assert.deepEqual(unknown, { content: 'Unknown tool "shell".', isError: true });
    const weird = await tools.execute("read_file", null as unknown as Record<string, unknown>);
    assert.equal(weird.isError, true);
  });
});

Deno.test("schemas: the DESIGN §5 tool set, each an object schema naming its required fields", () => {
  assert.deepEqual(WORKSPACE_TOOL_DEFINITIONS.map((d) => d.name), [
    "list_files",
    "read_file",
    "search",
    "write_file",
    "edit_file",
    "delete_file",
    "run_command",
    "run_validation",
    "finish",
  ]);
  for (const def of WORKSPACE_TOOL_DEFINITIONS) {
    const schema = def.inputSchema as {
      type: string;
      properties: Record<string, unknown>;
      required?: string[];
    };
    assert.equal(schema, WORKSPACE_TOOL_SCHEMAS[def.name as keyof typeof WORKSPACE_TOOL_SCHEMAS]);
    assert.equal(schema.type, "object");
    for (const field of schema.required ?? []) assert.ok(field in schema.properties, field);
    assert.ok(def.description.length > 10);
  }
  assert.deepEqual(WORKSPACE_TOOL_SCHEMAS.edit_file.required, ["path", "old_string", "new_string"]);
});
