/**
 * The dashboard in a real headless Chromium (Debian's `/usr/bin/chromium`,
 * driven by playwright-core) against the real server on loopback, over a
 * history the real worker recorded: sign in, the runs list and its filters,
 * a run, an issue, the overview, signing out; an XSS payload in a ticket
 * summary stays text; screenshots land in `tests/artifacts/`.
 *
 * Skips, loudly, where Chromium is not installed.
 *
 * @module
 */
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { startServer } from "../../adapters/http/server.ts";
import { createApp, createMetrics } from "../../adapters/http/mod.ts";
import { JsonLogger } from "../../adapters/log/json_logger.ts";
import { FAKE_REVIEWER } from "../../adapters/standins/jira_server.ts";
import { PILOT_REPO, WORLD_SECRETS } from "../../adapters/standins/world.ts";
import { handleCommand } from "../../domain/command_handler.ts";
import type { RunCommand, StepEvent } from "../../domain/run/commands.ts";
import type { RunDoc } from "../../projections/runs.ts";
import { type Loop, startLoop } from "../support/loop.ts";

const CHROMIUM = "/usr/bin/chromium";
const HAVE_CHROMIUM = (() => {
  try {
    return Deno.statSync(CHROMIUM).isFile;
  } catch {
    return false;
  }
})();
if (!HAVE_CHROMIUM) {
  console.warn(
    [
      "",
      "#".repeat(78),
      `# SKIPPED: the dashboard browser tests need Chromium at ${CHROMIUM}.`,
      "#          Install it with: apt-get install -y chromium",
      "#".repeat(78),
      "",
    ].join("\n"),
  );
}

const ARTIFACTS = new URL("../artifacts/", import.meta.url).pathname;
const XSS =
  `<img src=x onerror=alert(1)><script>alert(2)</script> Fix "the" usage & dashboard page`;

const ISSUES = [
  {
    key: "MWC-1",
    summary: "Fix the typos in the install guide",
    description: 'The install guide misspells a word: replace "recieve" with "receive".',
  },
  { key: "MWC-2", summary: XSS, description: 'Please replace "dashbord" with "dashboard".' },
  { key: "MWC-3", summary: "Mention the FAQ", description: 'Replace "# Usage" with "# Using it".' },
  {
    key: "MWC-4",
    summary: "Rename the usage heading",
    description: 'Replace "Each run links" with "Every run links".',
  },
  {
    key: "MWC-5",
    summary: "Mention the FAQ again",
    description: 'Replace "# Usage" with "# Using it".',
  },
];

/**
 * A run recorded through the decider by a stand-in worker: it opened its PR as
 * a draft (validation failed) and succeeded, the status a green badge must not
 * hide.
 */
async function recordDraftRun(loop: Loop): Promise<void> {
  const key = "MWC-9";
  const ctx = { actor: "worker:w-draft" };
  const now = () => loop.clock.now().toISOString();
  const runId = "9d9d9d9d-0000-4000-8000-000000000009";
  const ok = async (command: RunCommand) => {
    const r = await handleCommand(loop.store, key, command, ctx);
    assert.ok(r.ok, JSON.stringify(r));
  };
  await ok({
    type: "RequestRun",
    issueKey: key,
    runId,
    deliveryId: "d-draft",
    source: "cli",
    requestedBy: { displayName: "Dana Draft" },
    now: now(),
  });
  await ok({
    type: "ClaimRun",
    runId,
    workerId: "w-draft",
    leaseId: "L-d",
    leaseMs: 60_000,
    now: now(),
  });
  const step = async (e: StepEvent) =>
    await ok({ type: "RecordStep", runId, leaseId: "L-d", now: now(), step: e });
  // Every step in the order a run records them (the decider refuses any other).
  await step({
    type: "IssueFetched",
    data: {
      runId,
      summary: "Draft",
      status: "In Progress",
      labels: [],
      components: [],
      assigneeAccountId: null,
      commentCount: 0,
      feedbackCommentIds: [],
    },
  });
  await step({
    type: "WorkspacePrepared",
    data: {
      runId,
      repoId: "online-docs",
      github: "acme/online-docs",
      branch: `ai/${key}`,
      baseBranch: "main",
      startSha: "0123456789abcdef0123456789abcdef01234567",
      continued: false,
    },
  });
  await step({
    type: "ChangesGenerated",
    data: {
      runId,
      summary: "draft",
      filesChanged: ["docs/a.md"],
      turns: 1,
      usage: { inputTokens: 10, outputTokens: 5 },
      provider: "anthropic",
      model: "claude-fake",
    },
  });
  await step({
    type: "ValidationCompleted",
    data: { runId, passed: false, commands: [], repairs: 2 },
  });
  await step({
    type: "DiffScanned",
    data: { runId, empty: false, bytes: 10, filesChanged: ["docs/a.md"] },
  });
  await step({
    type: "ChangesCommitted",
    data: { runId, sha: "1234567", message: "draft", filesChanged: ["docs/a.md"] },
  });
  await step({ type: "BranchPushed", data: { runId, branch: `ai/${key}`, sha: "1234567" } });
  await step({
    type: "PullRequestOpened",
    data: {
      runId,
      number: 99,
      url: "https://github.com/acme/online-docs/pull/99",
      draft: true,
      head: `ai/${key}`,
      base: "main",
    },
  });
  await step({ type: "JiraCommented", data: { runId, commentId: "9901", purpose: "result" } });
  await ok({
    type: "CompleteRun",
    runId,
    leaseId: "L-d",
    now: now(),
    outcome: "pr_opened",
    summary: "draft",
  });
}

/** A history with a merged two-iteration issue, an XSS ticket, a failed run and a queued one. */
async function recordHistory(loop: Loop): Promise<void> {
  await loop.assign("MWC-1");
  assert.deepEqual(await loop.drain(), ["succeeded"]);
  await loop.assign("MWC-4");
  loop.world.github.injectFault({ method: "POST", path: "/pulls", status: 404, times: 1 });
  assert.deepEqual(await loop.drain(), ["failed"]);
  await loop.assign("MWC-2");
  assert.deepEqual(await loop.drain(), ["succeeded"]);
  loop.world.jira.state.addComment("MWC-1", {
    author: FAKE_REVIEWER.accountId,
    body: 'Thanks! Please also replace "dashbord" with "dashboard".',
  });
  await loop.assign("MWC-1");
  assert.deepEqual(await loop.drain(), ["succeeded"]);
  const [pr] = loop.world.github.pullRequests(PILOT_REPO).filter((p) => p.head.ref === "ai/MWC-1");
  const review = loop.world.github.addReview(PILOT_REPO, pr.number, {
    user: "leigh",
    state: "APPROVED",
  });
  assert.equal((await loop.deliver(review)).status, 200);
  const merge = loop.world.github.mergePullRequest(PILOT_REPO, pr.number, { mergedBy: "leigh" });
  assert.equal((await loop.deliver(merge)).status, 200);
  await loop.drain(); // whatever the merge asks of the worker
  // Jira refuses the result comment and the failure comment (403): the hand-over fails.
  loop.world.jira.injectFault({ method: "POST", path: "/comment", status: 403, times: 2 });
  await loop.assign("MWC-5");
  assert.deepEqual(await loop.drain(), ["failed"]);
  await recordDraftRun(loop);
  await loop.assign("MWC-3"); // left queued
  await loop.projector.catchUp();
}

Deno.test({
  name: "dashboard in Chromium: sign in, runs, filters, run, issue, overview, XSS inert",
  ignore: !HAVE_CHROMIUM,
  async fn(t) {
    await using loop = await startLoop({ issues: ISSUES });
    await recordHistory(loop);
    const app = createApp({
      store: loop.store,
      logger: new JsonLogger({ level: "error", sink: () => {} }),
      metrics: createMetrics(),
      now: loop.clock.now,
      options: {
        jiraWebhookSecret: loop.config.jira.webhookSecret,
        githubWebhookSecret: loop.config.github.webhookSecret,
        aiAccountId: loop.config.jira.aiAccountId,
        dashboardToken: WORLD_SECRETS.dashboard,
      },
      dashboard: { jiraBaseUrl: loop.config.jira.baseUrl, artifacts: loop.store, pageSize: 4 },
    });
    const server = await startServer({ app, port: 0, shutdownSignals: [] });
    const profile = await Deno.makeTempDir({ prefix: "ai-runner-chromium-" });
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    const dialogs: string[] = [];
    const page = browser.pages()[0] ?? await browser.newPage();
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    // Every HTML page the browser is served, to check no secret is ever in one.
    const served: Promise<string>[] = [];
    page.on("response", (r) => {
      if ((r.headers()["content-type"] ?? "").startsWith("text/html")) {
        served.push(r.text().catch(() => ""));
      }
    });
    const url = server.url;
    await Deno.mkdir(ARTIFACTS, { recursive: true });
    const runsOf = async (key: string) =>
      (await loop.events(key)).filter((e) => e.type === "RunRequested").map((e) =>
        (e.data as { runId: string }).runId
      );

    try {
      await t.step("an unknown visitor is sent to sign in; a wrong token is refused", async () => {
        await page.goto(`${url}/runs?status=failed`);
        assert.equal(new URL(page.url()).pathname, "/login");
        assert.equal(new URL(page.url()).searchParams.get("next"), "/runs?status=failed");
        await page.fill("#token", "not-the-token");
        const [refused] = await Promise.all([
          page.waitForResponse((r) =>
            r.url().endsWith("/login") && r.request().method() === "POST"
          ),
          page.click("button[type=submit]"),
        ]);
        assert.equal(refused.status(), 401);
        assert.match(await page.textContent("[role=alert]") ?? "", /not the dashboard token/);
        await page.screenshot({ path: `${ARTIFACTS}dashboard-login.png` });
      });

      await t.step(
        "the right token signs in with an HttpOnly, SameSite=Strict cookie",
        async () => {
          await page.fill("#token", WORLD_SECRETS.dashboard);
          await Promise.all([
            page.waitForURL(/\/runs\?status=failed$/),
            page.click("button[type=submit]"),
          ]);
          const [cookie] = await browser.cookies(url);
          assert.equal(cookie.name, "ai_runner_session");
          assert.equal(cookie.httpOnly, true);
          assert.equal(cookie.sameSite, "Strict");
          assert.ok(!cookie.value.includes(WORLD_SECRETS.dashboard), "the cookie is not the token");
          const html = await page.content();
          assert.ok(!html.includes(WORLD_SECRETS.dashboard), "the token is never rendered");
        },
      );

      await t.step("the status filter shows only failed runs", async () => {
        const rows = page.locator("tbody tr");
        assert.equal(await rows.count(), 2, "MWC-4 and MWC-5");
        for (const badge of await rows.locator("td.status .badge:first-child").allTextContents()) {
          assert.equal(badge, "failed");
        }
        assert.match(await page.textContent("tbody") ?? "", /MWC-4[\s\S]*MWC-5|MWC-5[\s\S]*MWC-4/);
        assert.equal(await page.inputValue("#filter-status"), "failed");
      });

      await t.step("the runs list: newest first, paginated, filtered by issue", async () => {
        await page.selectOption("#filter-status", "");
        await page.fill("#filter-issue", "");
        await Promise.all([
          page.waitForURL(/\/runs\?status=&issue=&/),
          page.click("form.filters button"),
        ]);
        const allRuns = await loop.store.query("runs", {
          orderBy: { field: "requestedAt", direction: "desc" },
        }) as { runId: string; issueKey: string }[];
        assert.ok(allRuns.length >= 7 && allRuns.length <= 12, `${allRuns.length} runs`);
        const firstPage = await page.locator("tbody tr td.mono a").allTextContents();
        assert.equal(firstPage.length, 4, "page size 4");
        assert.match(
          await page.textContent(".pager") ?? "",
          new RegExp(
            `Showing 1–4 of ${allRuns.length} · page 1 of ${Math.ceil(allRuns.length / 4)}`,
          ),
        );
        const issues = await page.locator("tbody tr td:nth-child(2) a").allTextContents();
        assert.deepEqual(issues, allRuns.slice(0, 4).map((r) => r.issueKey), "newest first");
        await page.screenshot({ path: `${ARTIFACTS}dashboard-runs.png`, fullPage: true });
        await Promise.all([page.waitForURL(/page=2/), page.click("a[rel=next]")]);
        assert.deepEqual(
          await page.locator("tbody tr td:nth-child(2) a").allTextContents(),
          allRuns.slice(4, 8).map((r) => r.issueKey),
        );
        await page.fill("#filter-issue", "mwc-1");
        await Promise.all([page.waitForURL(/issue=mwc-1&/), page.click("form.filters button")]);
        const only = await page.locator("tbody tr td:nth-child(2) a").allTextContents();
        assert.deepEqual(
          only,
          allRuns.filter((r) => r.issueKey === "MWC-1").map((r) => r.issueKey),
        );
        assert.ok(only.length >= 2);
      });

      await t.step(
        "a run: plan, files, validation log, Jira comment, links, timeline",
        async () => {
          const [first] = await runsOf("MWC-1");
          await page.goto(`${url}/runs/${first}`);
          assert.match(await page.textContent("h1") ?? "", new RegExp(first));
          assert.match(await page.textContent("#plan") ?? "", /Replace "recieve" → "receive"/);
          assert.deepEqual(await page.locator("#files-changed li").allTextContents(), [
            "docs/install.md",
          ]);
          assert.match(await page.textContent("#validation-log") ?? "", /docs ok/);
          const events = (await loop.events("MWC-1")).filter((e) =>
            e.metadata.correlationId === first || (e.data as { runId?: string }).runId === first
          );
          assert.equal(await page.locator("#timeline tbody tr").count(), events.length);
          const commented = events.find((e) => e.type === "JiraCommented");
          assert.ok(commented?.type === "JiraCommented");
          assert.equal(
            await page.getAttribute("#jira-comment-link", "href"),
            `${loop.config.jira.baseUrl}/browse/MWC-1?focusedCommentId=${commented.data.commentId}`,
          );
          const prLink = page.locator("a", { hasText: /^#1$/ }).first();
          assert.match(await prLink.getAttribute("href") ?? "", /\/acme\/online-docs\/pull\/1$/);
          assert.equal(await page.locator("a", { hasText: "MWC-1 in Jira" }).count(), 1);
          await page.screenshot({ path: `${ARTIFACTS}dashboard-run.png`, fullPage: true });
          await Promise.all([page.waitForURL(/\/transcript$/), page.click("text=LLM transcript")]);
          assert.match(await page.textContent("#transcript") ?? "", /→ edit_file/);
          await page.screenshot({ path: `${ARTIFACTS}dashboard-transcript.png` });
        },
      );

      await t.step(
        "an issue: every iteration and who asked, reviewed, approved, merged",
        async () => {
          await page.goto(`${url}/issues/MWC-1`);
          const iterations = page.locator("h2:has-text('Iterations') + .table-wrap tbody tr");
          assert.ok(await iterations.count() >= 2);
          const acc = await page.textContent("#accountability") ?? "";
          assert.match(acc, /Requested\s*Run #1 by Leigh Reviewer/);
          assert.match(acc, /Run #2 acted on Jira comment \d+ by Leigh Reviewer/);
          assert.match(acc, /Reviewed\s*leigh: approved on PR #1/);
          assert.match(acc, /Approved\s*leigh approved PR #1/);
          assert.match(acc, /Merged\s*leigh merged PR #1/);
          await page.screenshot({ path: `${ARTIFACTS}dashboard-issue.png`, fullPage: true });
        },
      );

      await t.step(
        "an XSS payload in a ticket summary is shown as text and never runs",
        async () => {
          await page.goto(`${url}/issues/MWC-2`);
          assert.equal(await page.textContent("#issue-summary"), XSS);
          assert.equal(await page.locator("main img").count(), 0);
          assert.equal(await page.locator("script").count(), 0);
          await page.screenshot({ path: `${ARTIFACTS}dashboard-xss.png` });
          const [run] = await runsOf("MWC-2");
          await page.goto(`${url}/runs/${run}`);
          assert.match(await page.textContent("dl.facts") ?? "", /<img src=x onerror=alert\(1\)>/);
          assert.equal(await page.locator("main img").count(), 0);
          assert.deepEqual(dialogs, [], "no dialog fired");
        },
      );

      await t.step(
        "the overview: queue, active runs, success rate, time to PR, chart",
        async () => {
          await page.goto(`${url}/`);
          const runs = await loop.store.query("runs") as {
            status: string;
            requestedAt: string;
            tokens: { input: number };
          }[];
          const count = (status: string) => runs.filter((r) => r.status === status).length;
          assert.equal(await page.textContent("#queue-depth"), "1", "MWC-3 waits");
          assert.equal(await page.textContent("#active-runs"), "0");
          const rate = count("succeeded") / (count("succeeded") + count("failed"));
          assert.ok(count("failed") === 2 && rate < 1);
          assert.equal(await page.textContent("#success-rate"), `${Math.round(rate * 100)}%`);
          assert.match(await page.textContent("#median-time-to-pr") ?? "", /\d/);
          const bars = page.locator("svg.chart g.day rect.bar-out");
          const days = new Set(
            runs.filter((r) => r.tokens.input).map((r) => r.requestedAt.slice(0, 10)),
          );
          assert.equal(await bars.count(), days.size, "a bar per day with tokens");
          assert.match(
            await page.textContent("svg.chart title") ?? "",
            /LLM tokens per day over 14 days/,
          );
          assert.equal(await page.locator("main tbody tr").count(), Math.min(8, runs.length));
          await page.screenshot({ path: `${ARTIFACTS}dashboard-overview.png`, fullPage: true });
        },
      );

      await t.step(
        "filters: requester, text search, repository, dates, needs attention",
        async () => {
          const docs = await loop.store.query("runs") as RunDoc[];
          const submit = async (fields: Record<string, string>) => {
            await page.goto(`${url}/runs`);
            for (const [id, value] of Object.entries(fields)) {
              await page.fill(`#filter-${id}`, value);
            }
            await Promise.all([
              page.waitForURL(/\/runs\?/),
              page.click("form.filters button"),
            ]);
            return (await page.locator("tbody tr").evaluateAll((rows) =>
              rows.map((r) => r.getAttribute("data-run") ?? "")
            )).sort();
          };
          const ids = (f: (r: RunDoc) => boolean) => docs.filter(f).map((r) => r.runId).sort();
          // Pages of 4: compare on a filter narrow enough to fit one page.
          assert.deepEqual(
            await submit({ requester: "dana" }),
            ids((r) => r.requester === "Dana Draft"),
          );
          assert.deepEqual(
            await submit({ q: "INSTALL GUIDE" }),
            ids((r) => (r.issueSummary ?? "").includes("install guide")),
            "text search over the summary, case ignored",
          );
          assert.ok(ids((r) => (r.issueSummary ?? "").includes("install guide")).length >= 2);
          assert.deepEqual(await submit({ q: "mwc-5" }), ids((r) => r.issueKey === "MWC-5"));
          const day = docs[0].requestedAt.slice(0, 10);
          const next = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(
            0,
            10,
          );
          assert.deepEqual(await submit({ from: next }), [], "nothing requested after today");
          assert.match(await page.textContent(".empty") ?? "", /No runs match/);
          assert.deepEqual(
            await submit({ to: next, q: "mwc-4" }),
            ids((r) => r.issueKey === "MWC-4"),
          );
          assert.deepEqual(await submit({ repo: "nope", q: "mwc-1" }), []);
          const repo = docs.find((r) => r.issueKey === "MWC-4")?.repoId ?? "";
          assert.ok(repo);
          assert.deepEqual(await submit({ repo, q: "mwc-4" }), ids((r) => r.issueKey === "MWC-4"));
          await page.goto(`${url}/runs?status=attention`);
          const flagged = await page.locator("tbody tr").evaluateAll((rows) =>
            rows.map((r) => r.getAttribute("data-run") ?? "")
          );
          assert.deepEqual(flagged.sort(), ids((r) => r.attention.length > 0));
          assert.equal(
            flagged.length,
            3,
            "MWC-4 failed, MWC-5 failed without hand-over, MWC-9 draft",
          );
          // The failed-step and reason columns.
          const failedRow = page.locator(`tr[data-run="${ids((r) => r.issueKey === "MWC-4")[0]}"]`);
          assert.equal(await failedRow.locator("td.step").textContent(), "pull_request");
          assert.match(await failedRow.locator("td.reason").textContent() ?? "", /^permanent: /);
          await page.screenshot({
            path: `${ARTIFACTS}dashboard-attention-runs.png`,
            fullPage: true,
          });
        },
      );

      await t.step("a draft PR with failed validation is not a green success", async () => {
        await page.goto(`${url}/runs?issue=MWC-9`);
        const badge = page.locator("tbody tr td.status .badge").first();
        assert.equal(await badge.textContent(), "succeeded · draft PR");
        assert.doesNotMatch(await badge.getAttribute("class") ?? "", /good/);
        assert.match(await badge.getAttribute("class") ?? "", /warn/);
      });

      await t.step(
        "the overview's needs-attention panel: failures, Jira hand-over, drafts, oldest queued",
        async () => {
          await page.goto(`${url}/`);
          const panel = page.locator("#needs-attention");
          const text = await panel.textContent() ?? "";
          assert.match(text, /failed.*MWC-4.*pull_request/s);
          assert.match(text, /Jira hand-over failed.*MWC-5/s);
          assert.match(text, /draft PR.*MWC-9/s);
          assert.doesNotMatch(text, /MWC-1|MWC-2/, "runs that need nothing are not listed");
          assert.match(await page.textContent("#oldest-queued") ?? "", /MWC-3.*waiting/);
          await page.screenshot({ path: `${ARTIFACTS}dashboard-attention.png`, fullPage: true });
        },
      );

      await t.step("retry: the admin token on the run page queues a new run", async () => {
        const [failed] = await runsOf("MWC-5");
        await page.goto(`${url}/runs/${failed}`);
        assert.match(await page.textContent("#run-attention") ?? "", /Jira hand-over failed/);
        await page.fill("#retry-form input[name=token]", "not-the-token");
        await Promise.all([page.waitForURL(/retry_error=/), page.click("#retry-form button")]);
        assert.match(await page.textContent("#retry-error") ?? "", /not the admin token/);
        assert.equal((await runsOf("MWC-5")).length, 1, "nothing queued with a wrong token");
        await page.fill("#retry-form input[name=token]", WORLD_SECRETS.dashboard);
        await Promise.all([page.waitForURL(/retried=/), page.click("#retry-form button")]);
        const after = await runsOf("MWC-5");
        assert.equal(after.length, 2);
        const requested = (await loop.events("MWC-5")).findLast((e) => e.type === "RunRequested");
        assert.ok(requested?.type === "RunRequested");
        assert.equal(requested.data.retryOf, failed);
        assert.equal(requested.metadata.actor, "admin:dashboard-token");
        assert.match(await page.textContent("#retry-queued") ?? "", /Retry queued/);
        await loop.projector.catchUp();
        await page.goto(`${url}/`);
        assert.doesNotMatch(
          await page.textContent("#needs-attention") ?? "",
          /MWC-5/,
          "a retried run leaves the panel",
        );
      });

      await t.step("a run's diff, from its stored patch", async () => {
        const [first] = await runsOf("MWC-1");
        await page.goto(`${url}/runs/${first}`);
        assert.match(await page.textContent("#diff") ?? "", /docs\/install\.md/);
        const added = await page.locator("#diff .add").allTextContents();
        assert.ok(added.some((l) => /^\+.*receive/.test(l)), added.join("\n"));
        const removed = await page.locator("#diff .del").allTextContents();
        assert.ok(removed.some((l) => /^-.*recieve/.test(l)), removed.join("\n"));
        assert.equal(await page.locator("script").count(), 0, "a finished run has no live script");
      });

      await t.step("live progress of a working run updates without a reload", async () => {
        const [queued] = await runsOf("MWC-3");
        const ctx = { actor: "worker:w-live" };
        const claim = await handleCommand(loop.store, "MWC-3", {
          type: "ClaimRun",
          runId: queued,
          workerId: "w-live",
          leaseId: "L-live",
          leaseMs: 600_000,
          now: loop.clock.now().toISOString(),
        }, ctx);
        assert.ok(claim.ok);
        await loop.projector.catchUp();
        await page.goto(`${url}/runs/${queued}`);
        assert.equal(await page.textContent("[data-live=status]"), "claimed");
        assert.equal(await page.textContent("[data-live=turns]"), "—");
        const loads: string[] = [];
        page.on("load", () => loads.push(page.url()));
        const beat = async (turns: number, toolCalls: number, tokens: number) => {
          const r = await handleCommand(loop.store, "MWC-3", {
            type: "ExtendLease",
            runId: queued,
            leaseId: "L-live",
            leaseMs: 600_000,
            now: loop.clock.now().toISOString(),
            progress: { turns, toolCalls, inputTokens: tokens, outputTokens: 50, costUsd: 0.0123 },
          }, ctx);
          assert.ok(r.ok);
          await loop.projector.catchUp();
        };
        await beat(2, 5, 1_500);
        await page.locator('[data-live=turns]:text-is("2")').waitFor();
        assert.equal(await page.textContent("[data-live=toolCalls]"), "5");
        assert.equal(await page.textContent("[data-live=tokens]"), "1,500 in + 50 out");
        assert.equal(await page.textContent("[data-live=cost]"), "~$0.01");
        await beat(4, 11, 3_000);
        await page.locator('[data-live=turns]:text-is("4")').waitFor();
        assert.equal(await page.textContent("[data-live=toolCalls]"), "11");
        assert.deepEqual(loads, [], "the page was never reloaded");
        await page.screenshot({ path: `${ARTIFACTS}dashboard-live.png`, fullPage: true });
        const cancelled = await handleCommand(loop.store, "MWC-3", {
          type: "CancelRun",
          reason: "test over",
          cancelledBy: { displayName: "test" },
          now: loop.clock.now().toISOString(),
        }, ctx);
        assert.ok(cancelled.ok);
        await loop.projector.catchUp();
        await page.waitForSelector("#live-progress[data-finished=true]");
        assert.equal(await page.textContent("[data-live=status]"), "cancelled");
        assert.deepEqual(dialogs, []);
      });

      await t.step("no secret of the runner is in any page served", async () => {
        const pages = (await Promise.all(served)).filter((body) => body.length > 0);
        assert.ok(pages.length >= 12, `${pages.length} pages`);
        for (const secret of [...loop.config.secrets, WORLD_SECRETS.dashboard]) {
          assert.ok(pages.every((body) => !body.includes(secret)), "a secret reached a page");
        }
      });

      await t.step("signing out ends the session", async () => {
        await Promise.all([page.waitForURL(/\/login$/), page.click("text=Sign out")]);
        await page.goto(`${url}/`);
        assert.equal(new URL(page.url()).pathname, "/login");
        assert.deepEqual(dialogs, []);
      });
    } finally {
      await browser.close();
      await server.shutdown();
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    }
  },
});
