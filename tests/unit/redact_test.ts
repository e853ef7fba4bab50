/**
 * The secret scan and redaction of encoded forms: the runner's own secret
 * values as base64 (each byte alignment, wrapped or not), base64url, hex and
 * URL-encoded, and common token shapes. A finding names the file, never the value.
 *
 * @module
 */
import assert from "node:assert/strict";
import { base64Core, REDACTED, Redactor } from "../../adapters/log/redact.ts";

const TOKEN = "ghp_RunnerOwnToken000000000000000000042";
const JIRA = "jira-api-token-with/odd+chars &=?";
const redactor = new Redactor([TOKEN, JIRA]);
const bytes = (s: string) => new TextEncoder().encode(s);
const b64 = (s: string) => btoa(String.fromCharCode(...bytes(s)));

/** A unified diff adding `lines` to `file`. */
function diff(file: string, lines: string[]): string {
  return [
    `diff --git a/${file} b/${file}`,
    "new file mode 100644",
    "--- /dev/null",
    `+++ b/${file}`,
    `@@ -0,0 +1,${lines.length} @@`,
    ...lines.map((l) => `+${l}`),
    "",
  ].join("\n");
}

function assertCaught(text: string, file: string, kind: RegExp) {
  const d = diff(file, [text]);
  assert.ok(redactor.contains(d), `not caught: ${file}`);
  const findings = redactor.scanDiff(d);
  assert.equal(findings.length, 1);
  assert.equal(findings[0].file, file);
  assert.match(findings[0].kind, kind);
  assert.ok(
    !JSON.stringify(findings).includes(TOKEN.slice(4, 20)),
    "a finding never holds the value",
  );
}

Deno.test("attack: the base64 of the runner's token in a diff is caught", () => {
  assertCaught(`export const blob = "${b64(TOKEN)}";`, "src/blob.ts", /base64/);
});

Deno.test("attack: the token base64-encoded inside longer data is caught at every alignment", () => {
  for (const prefix of ["", "a", "ab", "abc", "config: {token: '"]) {
    const encoded = b64(`${prefix}${TOKEN}' and more data after it`);
    assertCaught(encoded, `data/${prefix.length}.txt`, /base64/);
    assertCaught(encoded.replaceAll("+", "-").replaceAll("/", "_"), `u/${prefix.length}`, /base64/);
  }
});

Deno.test("attack: base64 wrapped over several lines (as base64 and PEM tools write it) is caught", () => {
  const encoded = b64(`secret: ${TOKEN}\n`.repeat(3));
  const lines = encoded.match(/.{1,20}/g)!;
  const d = diff("dump.b64", lines);
  assert.ok(redactor.contains(d));
  assert.equal(redactor.scanDiff(d)[0].file, "dump.b64");
});

Deno.test("attack: hex (either case) and URL-encoded forms of a secret are caught", () => {
  const hex = Array.from(bytes(JIRA), (b) => b.toString(16).padStart(2, "0")).join("");
  assertCaught(hex, "a.hex", /hex/);
  assertCaught(hex.toUpperCase(), "b.hex", /hex/);
  assertCaught(`https://x.example/?t=${encodeURIComponent(JIRA)}`, "c.txt", /URL-encoded/);
  assertCaught(
    `t=${encodeURIComponent(JIRA).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())}`,
    "d.txt",
    /URL-encoded/,
  );
});

Deno.test("attack: common token shapes are caught, each named", () => {
  const shapes: [string, RegExp][] = [
    ["gho_" + "A".repeat(36), /GitHub/],
    ["ghs_" + "b".repeat(36), /GitHub/],
    ["github_pat_" + "C".repeat(30), /GitHub/],
    ["sk-ant-api03-" + "d".repeat(40), /Anthropic/],
    ["sk-proj-" + "E".repeat(40), /OpenAI/],
    ["sk-" + "f".repeat(48), /OpenAI/],
    ["AKIA" + "ABCDEFGHIJKLMNOP", /AWS/],
    ["xoxb-1234567890-abcdefghij", /Slack/],
    ["ATATT3xFfGF0" + "g".repeat(30), /Atlassian/],
    ["-----BEGIN OPENSSH PRIVATE KEY-----", /private key/],
  ];
  for (const [token, kind] of shapes) assertCaught(`value = ${token}`, "leak.env", kind);
});

Deno.test("positive control: ordinary text and unrelated base64 are not findings", () => {
  const d = diff("docs/guide.md", [
    "# Guide",
    "Run `deno task check` before you push; see ghp_ prefixes in the docs.",
    b64("hello world, this is not a secret at all"),
    "deadbeefcafebabe0123456789abcdef",
  ]);
  assert.deepEqual(redactor.scanDiff(d), []);
  assert.equal(redactor.contains(d), false);
});

Deno.test("redaction removes the encoded forms too, so logs never carry them", () => {
  const text = `token ${b64(TOKEN)} and ${encodeURIComponent(JIRA)}`;
  const out = redactor.redact(text);
  assert.ok(!out.includes(base64Core(bytes(TOKEN), 0)));
  assert.ok(!out.includes(encodeURIComponent(JIRA)));
  assert.ok(out.includes(REDACTED));
});

Deno.test("base64Core is what every encoding of text around the value contains", () => {
  const value = bytes("0123456789abcdef");
  for (let prefix = 0; prefix < 9; prefix++) {
    for (let suffix = 0; suffix < 4; suffix++) {
      const whole = new Uint8Array(prefix + value.length + suffix).fill(0x41);
      whole.set(value, prefix);
      const encoded = btoa(String.fromCharCode(...whole));
      assert.ok(
        encoded.includes(base64Core(value, (prefix % 3) as 0 | 1 | 2)),
        `prefix ${prefix}, suffix ${suffix}`,
      );
    }
  }
});
