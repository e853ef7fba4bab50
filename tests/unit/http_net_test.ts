/**
 * Unit tests of CIDR parsing/matching, client-address resolution and the
 * token buckets.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  anyContains,
  cidrContains,
  formatIp,
  parseCidr,
  parseCidrList,
  parseForwardedAddress,
  parseIp,
} from "../../adapters/http/net/cidr.ts";
import { resolveClient } from "../../adapters/http/net/client_address.ts";
import { TokenBuckets } from "../../adapters/http/net/token_bucket.ts";
import { rateLimitKey } from "../../adapters/http/middleware/rate_limit.ts";

Deno.test("parseIp reads IPv4, IPv6, brackets, zones and folds IPv4-mapped IPv6", () => {
  assert.deepEqual([...parseIp("192.0.2.1")!], [192, 0, 2, 1]);
  assert.equal(formatIp(parseIp("2001:DB8:0:0:0:0:0:1")!), "2001:db8::1");
  assert.equal(formatIp(parseIp("[::1]")!), "::1");
  assert.equal(formatIp(parseIp("fe80::1%eth0")!), "fe80::1");
  assert.equal(formatIp(parseIp("::ffff:192.0.2.7")!), "192.0.2.7");
  assert.equal(formatIp(parseIp("::")!), "::");
  assert.equal(formatIp(parseIp("1:0:0:2:0:0:0:3")!), "1:0:0:2::3");
  for (
    const bad of [
      "",
      "1.2.3",
      "1.2.3.4.5",
      "256.1.1.1",
      "01.2.3.4",
      "1::2::3",
      "12345::",
      "x",
      "1.2.3.4/8",
      ":::",
    ]
  ) {
    assert.equal(parseIp(bad), null, bad);
  }
});

Deno.test("parseForwardedAddress accepts ports on IPv4 and bracketed IPv6", () => {
  assert.equal(formatIp(parseForwardedAddress(" 192.0.2.1:8443 ")!), "192.0.2.1");
  assert.equal(formatIp(parseForwardedAddress("[2001:db8::1]:443")!), "2001:db8::1");
  assert.equal(formatIp(parseForwardedAddress("2001:db8::1")!), "2001:db8::1");
  assert.equal(parseForwardedAddress("unknown"), null);
  assert.equal(parseForwardedAddress("_hidden"), null);
});

Deno.test("CIDR ranges match by prefix, per family", () => {
  const v4 = parseCidr("10.0.0.0/8");
  assert.ok(cidrContains(v4, parseIp("10.255.1.2")!));
  assert.ok(!cidrContains(v4, parseIp("11.0.0.1")!));
  const odd = parseCidr("192.0.2.128/25");
  assert.ok(cidrContains(odd, parseIp("192.0.2.200")!));
  assert.ok(!cidrContains(odd, parseIp("192.0.2.127")!));
  const v6 = parseCidr("2001:db8::/32");
  assert.ok(cidrContains(v6, parseIp("2001:db8:ffff::1")!));
  assert.ok(!cidrContains(v6, parseIp("2001:db9::1")!));
  assert.ok(!cidrContains(v6, parseIp("10.0.0.1")!), "families never mix");
  assert.ok(cidrContains(parseCidr("0.0.0.0/0"), parseIp("203.0.113.1")!));
  assert.ok(cidrContains(parseCidr("::/0"), parseIp("::1")!));
  assert.ok(cidrContains(parseCidr("192.0.2.5"), parseIp("192.0.2.5")!), "bare address = /32");
  assert.ok(!cidrContains(parseCidr("192.0.2.5"), parseIp("192.0.2.6")!));
  assert.ok(cidrContains(parseCidr("::ffff:192.0.2.0/120"), parseIp("192.0.2.9")!), "mapped range");
  assert.ok(!anyContains([v4, v6], null));
});

Deno.test("parseCidrList names every bad range", () => {
  assert.throws(
    () => parseCidrList(["10.0.0.0/8", "10.0.0.0/33", "nope", "::/129"]),
    (e: Error) =>
      e.message.includes("10.0.0.0/33") && e.message.includes("nope") &&
      e.message.includes("::/129"),
  );
});

Deno.test("resolveClient believes X-Forwarded-For only from trusted proxies", () => {
  const trusted = parseCidrList(["10.0.0.0/8", "fd00::/8"]);
  assert.equal(resolveClient(undefined, "192.0.2.1", trusted).text, "unknown");
  assert.equal(resolveClient("garbage", null, trusted).ip, null);
  assert.equal(resolveClient("198.51.100.1", "192.0.2.1", trusted).text, "198.51.100.1");
  assert.equal(resolveClient("10.0.0.1", null, trusted).text, "10.0.0.1");
  assert.equal(resolveClient("10.0.0.1", "203.0.113.9, 192.0.2.1", trusted).text, "192.0.2.1");
  assert.equal(resolveClient("10.0.0.1", "192.0.2.1, 10.0.0.2", trusted).text, "192.0.2.1");
  assert.equal(resolveClient("fd00::1", "[2001:db8::5]:1234", trusted).text, "2001:db8::5");
  assert.equal(resolveClient("10.0.0.1", "10.0.0.3, 10.0.0.2", trusted).text, "10.0.0.3");
  assert.equal(resolveClient("10.0.0.1", "192.0.2.1, bogus", trusted).ip, null);
  assert.equal(resolveClient("::ffff:10.0.0.1", "192.0.2.1", trusted).text, "192.0.2.1");
  assert.equal(resolveClient("10.0.0.1", "192.0.2.1", []).text, "10.0.0.1");
});

Deno.test("token buckets: burst, refill, Retry-After, bounded keys", () => {
  const b = new TokenBuckets(2, 3, 2);
  assert.deepEqual([b.take("a", 0), b.take("a", 0), b.take("a", 0)].map((r) => r.ok), [
    true,
    true,
    true,
  ]);
  assert.deepEqual(b.take("a", 0), { ok: false, retryAfterSeconds: 1 });
  assert.equal(b.take("a", 500).ok, true, "half a second gives one token back");
  assert.equal(b.take("a", 500).ok, false);
  b.take("b", 600);
  b.take("c", 700);
  assert.equal(b.size, 2, "the least recently seen key was dropped");
  const slow = new TokenBuckets(0.25, 1);
  slow.take("x", 0);
  assert.deepEqual(slow.take("x", 0), { ok: false, retryAfterSeconds: 4 });
  assert.throws(() => new TokenBuckets(0, 1));
});

Deno.test("rate limit keys: IPv4 per address, IPv6 per /64", () => {
  const key = (ip: string) => rateLimitKey({ text: ip, ip: parseIp(ip) });
  assert.equal(key("192.0.2.1"), "192.0.2.1");
  assert.equal(key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  assert.equal(key("2001:db8:1:2:bbbb::9"), key("2001:db8:1:2:aaaa::1"));
  assert.notEqual(key("2001:db8:1:3::1"), key("2001:db8:1:2::1"));
  assert.equal(rateLimitKey({ text: "unknown", ip: null }), "unknown");
});
