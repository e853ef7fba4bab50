/**
 * The repository map: ranked toward what the ticket names, within its budget,
 * with the top-level symbols of the relevant files from Universal Ctags, and
 * ctags run so that a hostile repository cannot steer it.
 */
import assert from "node:assert/strict";
import { buildRepoMap, runCtags } from "../../adapters/workspace/repo_map.ts";
import { readRepoContext } from "../../adapters/workspace/repo_context.ts";
import { focusWords, rankFiles, renderRepoMap } from "../../domain/repo_map.ts";

async function repo(files: Record<string, string>): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "repo-map-" });
  for (const [path, text] of Object.entries(files)) {
    const dir = path.split("/").slice(0, -1).join("/");
    if (dir) await Deno.mkdir(`${root}/${dir}`, { recursive: true });
    await Deno.writeTextFile(`${root}/${path}`, text);
  }
  return root;
}

const hasCtags = await new Deno.Command("ctags", { args: ["--version"], stdout: "null" })
  .output().then((o) => o.success).catch(() => false);

function bigRepo(): Record<string, string> {
  const files: Record<string, string> = {
    "README.md": "# Shop",
    "src/auth/login_form.ts":
      "export class LoginForm {\n  submit() {}\n}\nexport function validatePassword(p: string) { return p.length > 8; }\n",
    "src/auth/session.ts": "export const SESSION_TTL = 60;\n",
    "docs/install.md": "# Install\n",
  };
  for (let d = 0; d < 30; d++) {
    for (let f = 0; f < 40; f++) {
      files[`packages/pkg${d}/src/module_${f}.ts`] = `export function f${f}() {}\n`;
    }
  }
  return files;
}

Deno.test("repo map: the ticket's files rank first and the map stays within its budget", async () => {
  const root = await repo(bigRepo());
  try {
    const map = await buildRepoMap(root, {
      focus: {
        text: "The login form accepts short passwords. See docs/install.md for setup.",
      },
      budgetChars: 3000,
    });
    assert.ok(map.text.length <= 3000, String(map.text.length));
    assert.equal(map.totalFiles, 1204);
    assert.deepEqual(map.relevant.slice(0, 2), ["docs/install.md", "src/auth/login_form.ts"]);
    assert.match(map.text, /^1204 files in \d+ directories/);
    assert.match(map.text, /^src\/ \(2\)$/m);
    assert.match(map.text, /^ {2}auth\/ \(2\)$/m);
    assert.match(map.text, /^ {4}login_form\.ts$/m);
    assert.match(map.text, /^packages\/ \(1200\)$/m);
    assert.match(map.text, /^ {2}pkg0\/ \(40\)$/m); // directory sizes, not 1200 file lines
    if (hasCtags) {
      assert.equal(map.symbols, "ctags");
      assert.match(
        map.text,
        /^src\/auth\/login_form\.ts: class LoginForm, function validatePassword, method LoginForm\.submit$/m,
      );
    }
    for (const budget of [400, 1000, 8000]) {
      const small = await buildRepoMap(root, { focus: { text: "login" }, budgetChars: budget });
      assert.ok(small.text.length <= budget, `${small.text.length} > ${budget}`);
      assert.match(small.text, /login_form\.ts/);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("repo map: without ctags the ranked tree is the map", async () => {
  const root = await repo(bigRepo());
  try {
    const map = await buildRepoMap(root, {
      focus: { text: "login form" },
      ctags: "/nonexistent/ctags",
      budgetChars: 2000,
    });
    assert.equal(map.symbols, "none");
    assert.match(map.notes[0], /ctags is not installed/);
    assert.match(map.text, /login_form\.ts/);
    assert.doesNotMatch(map.text, /Top-level symbols/);
    const context = await readRepoContext(root, { text: "session", budgetChars: 1500 });
    assert.ok(context.fileTree.length <= 1500);
    assert.equal(context.map?.relevant[0], "src/auth/session.ts");
    assert.equal(context.map?.files.length, 1204);
    assert.ok(context.map?.files.includes("docs/install.md"));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test({
  name:
    "repo map attacker: the repository's ctags options, symlinks and huge files do not reach ctags",
  ignore: !hasCtags,
  async fn() {
    const outside = await repo({ "secret.ts": "export function TOPSECRET() {}\n" });
    const root = await repo({
      // A repository's option files: would add a parser tagging every line, and write a file.
      ".ctags": "--regex-typescript=/^(.*)$/\\1/x,injected/\n-o owned.tags\n",
      ".ctags.d/evil.ctags": "--regex-typescript=/^(.*)$/\\1/x,injected/\n",
      "src/login.ts": "export function login() {}\n",
      "src/huge_login.ts": "export function hugeLogin() {}\n" + "// x\n".repeat(200_000),
    });
    try {
      await Deno.symlink(`${outside}/secret.ts`, `${root}/src/login_link.ts`);
      const map = await buildRepoMap(root, { focus: { text: "login" }, budgetChars: 4000 });
      assert.equal(map.symbols, "ctags");
      assert.match(map.text, /src\/login\.ts: function login/);
      assert.doesNotMatch(map.text, /injected|TOPSECRET|login_link|hugeLogin/);
      await assert.rejects(Deno.stat(`${root}/owned.tags`), Deno.errors.NotFound);
    } finally {
      await Deno.remove(root, { recursive: true });
      await Deno.remove(outside, { recursive: true });
    }
  },
});

Deno.test({
  name: "repo map: ctags output and time are bounded",
  ignore: !hasCtags,
  async fn() {
    const files: Record<string, string> = {};
    for (let i = 0; i < 20; i++) {
      files[`m${i}.ts`] = Array.from({ length: 300 }, (_, j) => `export function fn${i}_${j}() {}`)
        .join("\n");
    }
    const root = await repo(files);
    try {
      const cut = await runCtags("ctags", await Deno.realPath(root), Object.keys(files), {
        timeoutMs: 60_000,
        maxOutputBytes: 2000,
      });
      assert.ok(cut.ok);
      assert.match(cut.ok ? cut.note ?? "" : "", /cut/);
      // A ctags that hangs (a parser looping on a hostile file) is killed at the timeout.
      const hang = `${root}/hang.sh`;
      await Deno.writeTextFile(hang, "#!/bin/sh\nexec sleep 600\n");
      await Deno.chmod(hang, 0o755);
      const slow = await runCtags(hang, root, ["m0.ts"], { timeoutMs: 50, maxOutputBytes: 10 });
      assert.equal(slow.ok, false);
      assert.match(slow.ok ? "" : slow.note, /stopped/);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test("repo map: words and paths from the ticket, camelCase split, stopwords dropped", () => {
  const words = focusWords("Fix the checkoutButton on the cart_page, please");
  assert.ok(words.includes("checkout") && words.includes("button") && words.includes("cart"));
  assert.ok(!words.includes("the") && !words.includes("fix") && !words.includes("please"));
  const ranked = rankFiles([
    { path: "src/cart/page.ts", size: 1 },
    { path: "src/checkout_button.ts", size: 1 },
    { path: "src/other.ts", size: 1 },
  ], { text: "the checkout button", paths: ["src/other.ts"] });
  assert.deepEqual(ranked.map((f) => f.path), [
    "src/other.ts",
    "src/checkout_button.ts",
    "src/cart/page.ts",
  ]);
  const text = renderRepoMap({
    files: ranked,
    ranked,
    symbols: new Map(),
    budgetChars: 200,
  });
  assert.ok(text.length <= 200);
});
