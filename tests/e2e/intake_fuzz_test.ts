/**
 * Fuzzing the intake: thousands of generated bodies and headers (random JSON of
 * random shapes, truncated JSON, invalid UTF-8, deep nesting, huge strings,
 * valid bodies with wrong types in the right places) at both webhooks, always
 * with a valid secret or signature so that everything reaches the parsers.
 *
 * Every answer must be a 2xx or a 4xx JSON answer (`error` and `detail` on
 * 4xx), never a 5xx; every appended event must read back through its schema;
 * and the events appended must be exactly the acknowledged ones.
 *
 * Reproducible: the seed is printed; set FUZZ_SEED to replay one.
 *
 * @module
 */
import assert from "node:assert/strict";
import { githubSignature } from "../../adapters/http/crypto.ts";
import { ISSUE_KEY_PATTERN } from "../../domain/events.ts";
import {
  closedPullRequest,
  mergedPullRequest,
  type Payload,
  submittedReview,
} from "../fixtures/github/webhooks.ts";
import {
  AI_ACCOUNT_ID,
  GITHUB_SECRET,
  JIRA_SECRET,
  jiraFixture,
  withIntake,
} from "../support/http_harness.ts";
import { note } from "../support/verbose.ts";

const PER_ENDPOINT = 1500;

/** mulberry32: a small seeded PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  constructor(readonly rnd: () => number) {}
  int(n: number): number {
    return Math.floor(this.rnd() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  chance(p: number): boolean {
    return this.rnd() < p;
  }
  string(): string {
    switch (this.int(9)) {
      case 0:
        return "";
      case 1:
        return this.pick([
          "MWC-1",
          "MWC-2",
          "DOC-7",
          "AB_1-42",
          "mwc-1",
          "MWC-",
          "../x",
          "MWC-0",
          "-1",
        ]);
      case 2:
        return "Ж字🙂\u0000\u2028\ud800".repeat(1 + this.int(50));
      case 3:
        return "x".repeat(this.int(20_000));
      case 4:
        return this.pick([
          "true",
          "null",
          "{}",
          "[]",
          "1e309",
          "ai/MWC-1",
          "sha256=",
          AI_ACCOUNT_ID,
        ]);
      case 5:
        return String.fromCharCode(
          ...Array.from({ length: 1 + this.int(30) }, () => this.int(0x2fff)),
        );
      case 6:
        return this.pick([
          "approved",
          "CHANGES_REQUESTED",
          "commented",
          "dismissed",
          "pending",
          "closed",
        ]);
      case 7:
        return new Date(this.int(2 ** 42)).toISOString();
      default:
        return Math.random().toString(36).slice(2);
    }
  }
  number(): number {
    return this.pick([
      0,
      -1,
      1,
      2,
      1.5,
      2 ** 53,
      -(2 ** 60),
      1e308,
      Number.MIN_VALUE,
      this.int(1e6),
    ]);
  }
  key(): string {
    return this.pick([
      "issueKey",
      "issue_key",
      "key",
      "id",
      "self",
      "fields",
      "assignee",
      "accountId",
      "displayName",
      "user",
      "initiator",
      "issue",
      "assigneeAccountId",
      "action",
      "number",
      "pull_request",
      "merged",
      "merged_at",
      "merged_by",
      "head",
      "base",
      "ref",
      "repo",
      "review",
      "state",
      "login",
      "__proto__",
      "constructor",
      "toString",
      this.string().slice(0, 20),
    ]);
  }
  value(depth = 0): unknown {
    const leaf = depth >= 4 || this.chance(0.45);
    if (leaf) {
      switch (this.int(5)) {
        case 0:
          return null;
        case 1:
          return this.chance(0.5);
        case 2:
          return this.number();
        default:
          return this.string();
      }
    }
    if (this.chance(0.35)) return Array.from({ length: this.int(5) }, () => this.value(depth + 1));
    const o: Record<string, unknown> = {};
    for (let i = this.int(6); i > 0; i--) o[this.key()] = this.value(depth + 1);
    return o;
  }
  /** A copy of `base` with the value at one random path replaced (or removed). */
  mutate(base: Payload): Payload {
    const copy = structuredClone(base);
    for (let n = 1 + this.int(3); n > 0; n--) {
      let node: Record<string, unknown> = copy;
      for (let depth = 0; depth < 6; depth++) {
        const keys = Object.keys(node);
        if (keys.length === 0) break;
        const k = this.pick(keys);
        const child = node[k];
        if (child && typeof child === "object" && !Array.isArray(child) && this.chance(0.7)) {
          node = child as Record<string, unknown>;
          continue;
        }
        if (this.chance(0.2)) delete node[k];
        else node[k] = this.value(2);
        break;
      }
    }
    return copy;
  }
  /** Raw bytes of a body: JSON text of various kinds, or not JSON at all. */
  body(valid: Payload[]): Uint8Array<ArrayBuffer> {
    const enc = new TextEncoder();
    switch (this.int(12)) {
      case 0:
      case 1:
      case 2:
        return enc.encode(JSON.stringify(this.mutate(this.pick(valid))));
      case 3:
      case 4:
        return enc.encode(JSON.stringify(this.pick(valid)));
      case 5: {
        const text = JSON.stringify(this.pick(valid));
        return enc.encode(text.slice(0, this.int(text.length)));
      }
      case 6:
        return Uint8Array.from({ length: this.int(300) }, () => this.int(256));
      case 7: {
        const depth = 1 + this.int(200_000);
        return enc.encode(
          "[".repeat(depth) + "]".repeat(this.chance(0.5) ? depth : this.int(depth)),
        );
      }
      case 8:
        if (this.chance(0.1)) {
          // Over the 1 MiB limit.
          return enc.encode(JSON.stringify({ issueKey: "MWC-1", pad: "y".repeat(1_100_000) }));
        }
        return enc.encode(
          JSON.stringify({ issueKey: "MWC-1", pad: "é".repeat(this.int(400_000)) }),
        );
      case 9:
        return enc.encode(
          this.pick(["", " ", "null", "0", '""', "{", "}", '{"a":}', "\ufeff{}", "{}garbage"]),
        );
      default:
        return enc.encode(JSON.stringify(this.value()));
    }
  }
  /** A printable-ASCII header value (what a Headers object can carry). */
  headerValue(): string {
    return this.pick([
      "",
      " ",
      "x".repeat(this.int(300)),
      Array.from({ length: this.int(40) }, () => String.fromCharCode(32 + this.int(95))).join(""),
      "MWC-1:2025-01-01T00:00:00.000+0000",
      crypto.randomUUID(),
    ]);
  }
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function send(
  app: { request: (r: Request) => Response | Promise<Response> },
  req: Request,
): Promise<Answer> {
  const res = await app.request(req);
  const text = await res.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`answer ${res.status} is not JSON: ${text.slice(0, 200)}`);
  }
  assert.match(res.headers.get("content-type") ?? "", /application\/json/);
  return { status: res.status, body };
}

function check(answer: Answer, what: string): void {
  const { status, body } = answer;
  assert.ok(status < 500, `${what}: server error ${status} ${JSON.stringify(body)}`);
  assert.ok(
    status >= 200 && status < 500 && !(status >= 300 && status < 400),
    `${what}: ${status}`,
  );
  if (status >= 400) {
    assert.equal(typeof body.error, "string", `${what}: ${JSON.stringify(body)}`);
    assert.equal(typeof body.detail, "string", `${what}: ${JSON.stringify(body)}`);
  } else {
    assert.equal(typeof body.status, "string", `${what}: ${JSON.stringify(body)}`);
  }
}

/** The generator's seed, in the test's name so a failure says how to reproduce it. */
const SEED = Number(Deno.env.get("FUZZ_SEED") ?? Date.now() % 2 ** 31);

Deno.test({
  name:
    `fuzz (FUZZ_SEED=${SEED}): ${PER_ENDPOINT} generated requests at each webhook: never a 5xx, only acknowledged events stored`,
  sanitizeResources: true,
  fn: async () => {
    const seed = SEED;
    const g = new Gen(prng(seed));
    const jiraValid = [
      await jiraFixture("automation_custom.json"),
      await jiraFixture("automation_issue_automation_format.json"),
      await jiraFixture("automation_issue_jira_format.json"),
      { issueKey: "MWC-1" },
      { issueKey: "DOC-7", updated: "2025-01-01T00:00:00.000+0000" },
    ];
    const githubValid = [
      mergedPullRequest("MWC-1"),
      closedPullRequest("MWC-2"),
      submittedReview("DOC-7"),
      submittedReview("MWC-1", "changes_requested"),
    ];
    const deliveries = Array.from({ length: 40 }, () => crypto.randomUUID());
    const events = [
      "pull_request",
      "pull_request_review",
      "ping",
      "push",
      "issues",
      "Pull_Request",
      "x".repeat(101),
    ];
    const tally: Record<string, number> = {};
    let appendedByAnswer = 0;

    await withIntake(async (intake) => {
      // The runner's own history for the PRs of the GitHub fixtures: facts about them count.
      let seeded = 0;
      for (const key of ["MWC-1", "MWC-2", "DOC-7"]) {
        seeded += await intake.worked(key, "Codertocat/Hello-World", key === "DOC-7" ? 1 : 2);
      }
      for (let i = 0; i < PER_ENDPOINT; i++) {
        // Jira
        {
          const raw = g.chance(0.1)
            ? new TextEncoder().encode(JSON.stringify({ issueKey: `FZ-${i + 1}`, n: g.int(3) }))
            : g.body(jiraValid);
          const headers = new Headers({
            "Content-Type": g.chance(0.95) ? "application/json" : g.headerValue(),
            "X-Jira-Webhook-Secret": JIRA_SECRET,
          });
          if (g.chance(0.3)) headers.set("X-Idempotency-Key", g.headerValue());
          if (g.chance(0.2)) headers.set("X-Request-Id", g.headerValue());
          if (g.chance(0.1)) headers.set("X-Forwarded-For", g.headerValue());
          const answer = await send(
            intake.app,
            new Request("http://intake/jira/webhook", { method: "POST", headers, body: raw }),
          );
          check(answer, `jira #${i}`);
          const key = `jira ${answer.status} ${answer.body.status ?? answer.body.error}`;
          tally[key] = (tally[key] ?? 0) + 1;
          if (answer.body.status === "queued" || answer.body.status === "coalesced") {
            appendedByAnswer++;
          }
        }
        // GitHub
        {
          const raw = g.body(githubValid);
          const headers = new Headers({
            "Content-Type": g.chance(0.95) ? "application/json" : g.headerValue(),
            "X-Hub-Signature-256": githubSignature(GITHUB_SECRET, raw),
            "X-GitHub-Event": g.chance(0.9) ? g.pick(events.slice(0, 3)) : g.pick(events),
          });
          if (g.chance(0.97)) {
            headers.set("X-GitHub-Delivery", g.chance(0.9) ? g.pick(deliveries) : g.headerValue());
          }
          if (g.chance(0.2)) headers.set("X-Request-Id", g.headerValue());
          const answer = await send(
            intake.app,
            new Request("http://intake/github/webhook", { method: "POST", headers, body: raw }),
          );
          check(answer, `github #${i}`);
          const key = `github ${answer.status} ${answer.body.status ?? answer.body.error}`;
          tally[key] = (tally[key] ?? 0) + 1;
          if (answer.body.status === "recorded") appendedByAnswer++;
        }
      }
      // Every event reads back through its schema (readAll validates each one).
      const stored = await intake.events();
      for (const e of stored) {
        const key = e.stream.slice("issue-".length);
        assert.ok(e.stream.startsWith("issue-") && ISSUE_KEY_PATTERN.test(key), e.stream);
      }
      // A merge or close also queues a completion run (and may cancel a queued one):
      // those follow from an acknowledged fact; everything else was acknowledged itself.
      const acknowledged = stored.slice(seeded).filter((e) =>
        !(e.type === "RunRequested" && e.data.kind === "completion") && e.type !== "RunCancelled"
      );
      assert.equal(
        acknowledged.length,
        appendedByAnswer,
        "exactly the acknowledged appends are stored",
      );
      assert.equal(await intake.store.headPosition(), stored.length);
      const raw = await intake.store.readAllRaw(0, 1_000_000);
      assert.equal(raw.length, stored.length);
    });
    note(JSON.stringify(tally, null, 1));
    // The generator must have reached the append paths, not only the refusals.
    const sum = (re: RegExp) =>
      Object.entries(tally).filter(([k]) => re.test(k)).reduce((n, [, v]) => n + v, 0);
    assert.ok(sum(/^jira 200 queued/) > 0, "some Jira requests queued a run");
    assert.ok(sum(/^jira 200 (coalesced|duplicate)/) > 0, "some were coalesced or duplicates");
    assert.ok(sum(/^github 200 recorded/) > 0, "some GitHub facts were recorded");
    assert.ok(sum(/^github 200 duplicate/) > 0, "some GitHub redeliveries were duplicates");
    assert.ok(
      sum(/ 400 /) > 0 && sum(/ 413 /) > 0 && sum(/ 415 /) > 0,
      "the refusals were reached",
    );
  },
});
