/**
 * Unit tests of the secret and signature checks.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  githubSignature,
  githubSignatureMatches,
  secretMatcher,
  sha256Hex,
} from "../../adapters/http/crypto.ts";

const enc = new TextEncoder();
const VECTOR = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

Deno.test("GitHub's documented signature vector", () => {
  const secret = "It's a Secret to Everybody";
  const body = enc.encode("Hello, World!");
  assert.equal(githubSignature(secret, body), VECTOR);
  assert.ok(githubSignatureMatches(secret, body, VECTOR));
  assert.ok(
    githubSignatureMatches(secret, body, VECTOR.toUpperCase().replace("SHA256=", "sha256=")),
  );
  assert.ok(!githubSignatureMatches(secret, enc.encode("Hello, World"), VECTOR));
  assert.ok(!githubSignatureMatches("another", body, VECTOR));
  assert.ok(!githubSignatureMatches(secret, body, VECTOR.slice(0, -2)));
  assert.ok(!githubSignatureMatches(secret, body, VECTOR.replace("sha256=", "sha1=")));
  assert.ok(!githubSignatureMatches(secret, body, null));
  assert.ok(
    !githubSignatureMatches("", body, githubSignature("", body)),
    "empty secret never matches",
  );
});

Deno.test("secretMatcher compares whole values and never matches an empty secret", () => {
  const matches = secretMatcher("s3cr3t-value");
  assert.ok(matches("s3cr3t-value"));
  for (const wrong of ["s3cr3t-valu", "s3cr3t-value ", "S3CR3T-VALUE", "", undefined, null]) {
    assert.ok(!matches(wrong), String(wrong));
  }
  const none = secretMatcher("");
  assert.ok(!none(""));
  assert.ok(!none(undefined));
});

Deno.test("sha256Hex of text and bytes agree", () => {
  assert.equal(
    sha256Hex("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assert.equal(sha256Hex(enc.encode("abc")), sha256Hex("abc"));
});
