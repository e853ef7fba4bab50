/**
 * The dashboard's pages: overview, runs list, run, run transcript and issue.
 * Each reads the read models (and, for one run or issue, its stream), builds
 * a view model and renders it.
 *
 * @module
 */
import type { Context } from "hono";
import { ISSUE_KEY_PATTERN, type RecordedEvent } from "../../../domain/events.ts";
import type { ArtifactStore, EventStore } from "../../../domain/ports/event_store.ts";
import type { ReadModelStore } from "../../../domain/ports/read_models.ts";
import { COST_LABEL } from "../../../projections/cost.ts";
import { feedbackFromSnapshots } from "../../../projections/feedback_authors.ts";
import { buildTimeline } from "../../../projections/issue_story.ts";
import { formatTranscript, parseTranscript } from "../../../projections/transcript_view.ts";
import type { IssueDoc, RunDoc } from "../../../projections/mod.ts";
import type { IntakeEnv } from "../context.ts";
import { progressJson } from "./live.ts";
import { usageChart } from "./chart.ts";
import {
  branchUrl,
  formatCount,
  formatDuration,
  formatUsd,
  formatUtc,
  jiraCommentUrl,
  jiraIssueUrl,
  safeHref,
  STATUS_LABELS,
  tail,
} from "./format.ts";
import {
  accountabilityView,
  attentionBadges,
  issuePath,
  iterationRow,
  queueWait,
  runBadge,
  runDuration,
  runPath,
  runRow,
  shortId,
  timelineRows,
  tokensText,
} from "./present.ts";
import {
  eventsOfRun,
  getIssue,
  getRun,
  issueEvents,
  listRuns,
  needsAttention,
  overview,
  RUN_STATUSES,
  type RunFilter,
  type RunModels,
  runsOfIssue,
  TEXT_SEARCH_WINDOW,
} from "./queries.ts";
import { htmlResponse, type Views } from "./views.ts";

/** What the pages read from. */
export interface PageDeps {
  store: EventStore & ReadModelStore;
  artifacts: ArtifactStore | null;
  jiraBaseUrl: string | null;
  now: () => Date;
  views: Views;
  models: RunModels;
  pageSize: number;
}

/** Longest validation log shown on a run page (its end is kept). */
export const MAX_LOG_CHARS = 20_000;

type Ctx = Context<IntakeEnv>;
const decoder = new TextDecoder();

/** A page saying something went missing (404) or is not there yet. */
export function messagePage(
  views: Views,
  status: 404 | 400 | 401 | 403 | 429 | 500 | 503,
  heading: string,
  message: string,
  signedIn: boolean,
  headers: Record<string, string> = {},
): Response {
  const html = views.page("message", { title: heading, heading, message, signedIn });
  return htmlResponse(html, status, headers);
}

async function artifactText(deps: PageDeps, sha256: string): Promise<string | null> {
  if (!deps.artifacts) return null;
  const found = await deps.artifacts.getArtifact(sha256);
  if (!found) return null;
  const text = decoder.decode(found.content);
  try {
    const parsed = JSON.parse(text);
    return typeof parsed === "string" ? parsed : text;
  } catch {
    return text;
  }
}

/** `GET /`: the overview. */
export async function overviewPage(_c: Ctx, deps: PageDeps): Promise<Response> {
  const now = deps.now();
  const [o, attention] = await Promise.all([
    overview(deps.store, deps.models, now),
    needsAttention(deps.store),
  ]);
  const tokens = o.days.reduce((n, d) => n + d.inputTokens + d.outputTokens, 0);
  const priced = o.days.some((d) => d.costUsd !== null);
  const cost = o.days.reduce((n, d) => n + (d.costUsd ?? 0), 0);
  const cards = {
    queueDepth: formatCount(o.queueDepth),
    running: formatCount(o.running),
    retryHint: o.retryWaiting ? `running now; ${o.retryWaiting} waiting to retry` : "running now",
    successRate: o.successRate === null ? "—" : `${Math.round(o.successRate * 100)}%`,
    successHint: `${o.succeeded} succeeded · ${o.failed} failed`,
    medianTimeToPr: o.medianWorkToPrMs === null ? "—" : formatDuration(o.medianWorkToPrMs),
    medianHint: `a worker's time to a PR, over ${o.prRuns} run(s); queue wait apart: ` +
      (o.medianQueueWaitMs === null ? "—" : formatDuration(o.medianQueueWaitMs)) + " (median)",
    tokens: formatCount(tokens),
    costHint: priced
      ? `~${formatUsd(cost)} (${COST_LABEL})` +
        (o.unpricedRuns ? `; ${o.unpricedRuns} run(s) of unknown price` : "")
      : tokens
      ? "no price known for the model(s) used: tokens only"
      : "no LLM usage",
  };
  const html = deps.views.page("overview", {
    title: "Overview",
    nav: "overview",
    signedIn: true,
    windowDays: o.windowDays,
    cards,
    chart: usageChart(o.days),
    recent: o.recent.map((r) => runRow(r, now)),
    attention: {
      items: attention.items.map((i) => ({
        ...runRow(i.run, now),
        reasons: attentionBadges(i.reasons),
      })),
      more: attention.more,
      oldestQueued: attention.oldestQueued
        ? {
          ...runRow(attention.oldestQueued, now),
          waiting: queueWait(attention.oldestQueued, now),
        }
        : null,
    },
  });
  return htmlResponse(html);
}

/** The runs list's query parameters, as shown in the form and kept by the pager. */
interface ShownFilter {
  status: string;
  issue: string;
  repo: string;
  requester: string;
  from: string;
  to: string;
  q: string;
}

function runsHref(filter: ShownFilter, page: number): string {
  const q = new URLSearchParams();
  for (const [name, value] of Object.entries(filter)) if (value) q.set(name, value);
  if (page > 1) q.set("page", String(page));
  const s = q.toString();
  return s ? `/runs?${s}` : "/runs";
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const REPO_ID = /^[A-Za-z0-9._-]{1,100}$/;

/** Reads the runs list's filters from the query; what is not valid is named and ignored. */
export function readRunFilter(
  query: (name: string) => string | undefined,
): { filter: RunFilter; shown: ShownFilter; problems: string[] } {
  const text = (name: string, max: number) => (query(name) ?? "").trim().slice(0, max);
  const shown: ShownFilter = {
    status: text("status", 40),
    issue: text("issue", 64).toUpperCase(),
    repo: text("repo", 100),
    requester: text("requester", 100),
    from: text("from", 10),
    to: text("to", 10),
    q: text("q", 200),
  };
  const problems: string[] = [];
  const filter: RunFilter = {};
  if (shown.status) {
    const status = shown.status === "attention"
      ? "attention" as const
      : RUN_STATUSES.find((s) => s === shown.status);
    if (status) filter.status = status;
    else problems.push(`"${shown.status}" is not a run status`);
  }
  if (shown.issue) {
    if (ISSUE_KEY_PATTERN.test(shown.issue)) filter.issueKey = shown.issue;
    else problems.push(`"${shown.issue}" is not an issue key like ABC-123`);
  }
  if (shown.repo) {
    if (REPO_ID.test(shown.repo)) filter.repo = shown.repo;
    else problems.push(`"${shown.repo}" is not a repository id`);
  }
  if (shown.requester) filter.requester = shown.requester;
  for (const bound of ["from", "to"] as const) {
    const v = shown[bound];
    if (!v) continue;
    if (DAY.test(v) && Number.isFinite(Date.parse(`${v}T00:00:00Z`))) filter[bound] = v;
    else problems.push(`"${v}" is not a day like 2025-06-01`);
  }
  if (shown.q) filter.text = shown.q;
  return { filter, shown, problems };
}

/** `GET /runs`: runs, newest first, filtered and searched, paginated. */
export async function runsPage(c: Ctx, deps: PageDeps): Promise<Response> {
  const now = deps.now();
  const { filter, shown, problems } = readRunFilter((name) => c.req.query(name));
  const pageParam = Number.parseInt(c.req.query("page") ?? "1", 10);
  const result = await listRuns(
    deps.store,
    filter,
    Number.isFinite(pageParam) ? pageParam : 1,
    deps.pageSize,
  );
  const first = result.runs.length ? (result.page - 1) * result.pageSize + 1 : 0;
  const last = (result.page - 1) * result.pageSize + result.runs.length;
  const kept: ShownFilter = {
    status: filter.status ?? "",
    issue: filter.issueKey ?? "",
    repo: filter.repo ?? "",
    requester: filter.requester ?? "",
    from: filter.from ?? "",
    to: filter.to ?? "",
    q: filter.text ?? "",
  };
  const statusLabel = filter.status === "attention"
    ? " needing attention"
    : filter.status
    ? ` ${STATUS_LABELS[filter.status].label}`
    : "";
  const html = deps.views.page("runs", {
    title: "Runs",
    nav: "runs",
    signedIn: true,
    summary: `${formatCount(result.total)}${result.capped ? "+" : ""} run(s)` + statusLabel +
      (filter.issueKey ? ` for ${filter.issueKey}` : "") +
      (filter.repo ? ` in ${filter.repo}` : "") +
      (filter.requester ? ` requested by “${filter.requester}”` : "") +
      (filter.from ? ` from ${filter.from}` : "") + (filter.to ? ` to ${filter.to}` : "") +
      (filter.text ? ` matching “${filter.text}”` : "") + "." +
      (result.searchedFrom
        ? ` The text search looked through the newest ${
          formatCount(TEXT_SEARCH_WINDOW)
        } runs (requested since ${formatUtc(result.searchedFrom)} UTC); set a date range ` +
          "for older ones."
        : ""),
    filter: { ...kept, issue: filter.issueKey ?? shown.issue },
    filtered: Object.values(shown).some(Boolean),
    filterError: problems.length ? `Ignored: ${problems.join("; ")}.` : "",
    statuses: [
      { value: "attention", label: "needs attention" },
      ...RUN_STATUSES.map((s) => ({ value: s, label: STATUS_LABELS[s].label })),
    ],
    rows: result.runs.map((r) => runRow(r, now)),
    range: result.runs.length
      ? `Showing ${first}–${last} of ${formatCount(result.total)}${
        result.capped ? "+" : ""
      } · page ${result.page} of ${result.pages}${result.capped ? "+" : ""}`
      : "Nothing to show",
    newerHref: result.page > 1 ? runsHref(kept, result.page - 1) : null,
    olderHref: result.hasOlder ? runsHref(kept, result.page + 1) : null,
  });
  return htmlResponse(html);
}

function lastOf<T extends RecordedEvent["type"]>(
  events: readonly RecordedEvent[],
  type: T,
): Extract<RecordedEvent, { type: T }> | null {
  const found = events.findLast((e) => e.type === type);
  return (found as Extract<RecordedEvent, { type: T }> | undefined) ?? null;
}

/** Longest diff shown on a run page (its start is kept). */
export const MAX_DIFF_CHARS = 200_000;

/** True when an operator may retry this run now (the decider has the last word). */
export function retryable(run: RunDoc, issue: IssueDoc | null): boolean {
  if (!issue || issue.lastRunId !== run.runId || issue.activeRunId || issue.queuedRunId) {
    return false;
  }
  return run.status === "failed" ||
    (run.status === "succeeded" && (run.attention ?? []).includes("jira_handover_failed"));
}

/** A unified diff as lines with a kind each (for colouring; the text stays text). */
export function diffLines(patch: string): { kind: string; text: string }[] {
  return patch.split("\n").map((text) => ({
    kind: text.startsWith("diff --git") || text.startsWith("index ")
      ? "meta"
      : text.startsWith("+++") || text.startsWith("---")
      ? "file"
      : text.startsWith("@@")
      ? "hunk"
      : text.startsWith("+")
      ? "add"
      : text.startsWith("-")
      ? "del"
      : "ctx",
    text,
  }));
}

/** `GET /runs/:runId/progress.json`: the live view's poll. */
export async function progressRoute(c: Ctx, deps: PageDeps): Promise<Response> {
  const run = await getRun(deps.store, c.req.param("runId") ?? "");
  if (!run) return c.json({ error: "not_found", detail: "There is no run with this id." }, 404);
  return new Response(JSON.stringify(progressJson(run, deps.now())), {
    headers: { "content-type": "application/json", "cache-control": "no-store" },
  });
}

/** `GET /runs/:runId`: one run. */
export async function runPage(c: Ctx, deps: PageDeps): Promise<Response> {
  const now = deps.now();
  const run = await getRun(deps.store, c.req.param("runId") ?? "");
  if (!run) {
    return messagePage(deps.views, 404, "Run not found", "There is no run with this id.", true);
  }
  const [events, issue] = await Promise.all([
    issueEvents(deps.store, run.issueKey),
    getIssue(deps.store, run.issueKey),
  ]);
  const own = eventsOfRun(events, run.runId);
  const positions = new Set(own.map((e) => e.position));
  const timeline = buildTimeline(run.issueKey, events);
  const account = timeline.runs.find((r) => r.runId === run.runId);
  const generated = lastOf(own, "ChangesGenerated");
  const validated = lastOf(own, "ValidationCompleted");
  const commented = lastOf(own, "JiraCommented");
  let validation = null;
  if (validated) {
    const log = validated.data.log ? await artifactText(deps, validated.data.log.sha256) : null;
    const bounded = log === null ? null : tail(log, MAX_LOG_CHARS);
    validation = {
      commands: validated.data.commands.map((cmd) => ({
        command: cmd.command,
        exit: cmd.timedOut ? "timed out" : String(cmd.exitCode ?? "?"),
        duration: formatDuration(cmd.durationMs),
      })),
      note: (validated.data.passed ? "Passed" : "Failed") +
        (validated.data.repairs ? ` after ${validated.data.repairs} repair round(s)` : "") +
        (bounded?.omitted
          ? ` · the first ${formatCount(bounded.omitted)} characters of the log are not shown`
          : "") +
        (validated.data.log && log === null ? " · the log is not available here" : ""),
      log: bounded?.text ?? null,
    };
  }
  let diff = null;
  const patchRef = generated?.data.patch;
  if (patchRef) {
    const text = deps.artifacts ? await deps.artifacts.getArtifact(patchRef.sha256) : null;
    if (text) {
      const full = decoder.decode(text.content);
      const shown = full.length > MAX_DIFF_CHARS ? full.slice(0, MAX_DIFF_CHARS) : full;
      diff = {
        lines: diffLines(shown),
        note: full.length > shown.length
          ? `the last ${formatCount(full.length - shown.length)} characters are not shown`
          : "",
      };
    } else diff = { lines: [], note: "the stored patch is not available here" };
  }
  const retryNote = c.req.query("retried");
  const retryError = c.req.query("retry_error");
  const prUrl = safeHref(run.pr?.url);
  const html = deps.views.page("run", {
    title: `Run ${shortId(run.runId)} · ${run.issueKey}`,
    nav: "runs",
    signedIn: true,
    run,
    status: runBadge(run),
    attention: attentionBadges(run.attention),
    queueWait: queueWait(run, now),
    live: progressJson(run, now),
    liveSrc: `${runPath(run.runId)}/progress.json`,
    diff,
    canRetry: retryable(run, issue),
    retryHref: `${runPath(run.runId)}/retry`,
    retried: retryNote && /^[A-Za-z0-9-]{1,100}$/.test(retryNote)
      ? { href: runPath(retryNote), shortId: shortId(retryNote) }
      : null,
    retryError: retryError ? retryError.slice(0, 300) : "",
    retryOfHref: run.retryOf ? runPath(run.retryOf) : null,
    outcome: run.outcome && run.outcome !== run.status ? run.outcome.replace("_", " ") : "",
    summary: timeline.summary,
    issueHref: issuePath(run.issueKey),
    requestedBy: account?.requestedBy ?? run.requestedBy?.displayName ?? run.source,
    requestedAt: `${formatUtc(run.requestedAt, true)} UTC`,
    duration: runDuration(run, now),
    repo: account?.repo ?? run.repoId ?? "—",
    model: generated ? `${generated.data.provider} / ${generated.data.model}` : "—",
    tokens: tokensText(run.tokens, account?.cost?.usd ?? null, account?.model),
    prHref: prUrl,
    prNote: account?.pr
      ? `${account.pr.action}${account.pr.draft ? " as a draft" : ""} by this run`
      : "",
    branchHref: branchUrl(prUrl, run.branch),
    jiraHref: jiraIssueUrl(deps.jiraBaseUrl, run.issueKey),
    comment: commented
      ? {
        id: commented.data.commentId,
        purpose: commented.data.purpose.replace("_", " "),
        href: jiraCommentUrl(deps.jiraBaseUrl, run.issueKey, commented.data.commentId),
      }
      : null,
    validationBadge: validated
      ? validated.data.passed ? { label: "passed", tone: "good" } : { label: "failed", tone: "bad" }
      : { label: "not run", tone: "neutral" },
    transcriptHref: generated?.data.transcript && deps.artifacts
      ? `${runPath(run.runId)}/transcript`
      : null,
    plan: generated?.data.summary ?? run.summary,
    validation,
    entries: timelineRows(timeline.entries.filter((e) => positions.has(e.position))),
  });
  return htmlResponse(html);
}

/** `GET /runs/:runId/transcript`: the run's LLM transcript, bounded unless `?full=1`. */
export async function transcriptPage(c: Ctx, deps: PageDeps): Promise<Response> {
  const run = await getRun(deps.store, c.req.param("runId") ?? "");
  if (!run) {
    return messagePage(deps.views, 404, "Run not found", "There is no run with this id.", true);
  }
  const events = eventsOfRun(await issueEvents(deps.store, run.issueKey), run.runId);
  const generated = lastOf(events, "ChangesGenerated");
  const ref = generated?.data.transcript;
  const text = ref ? await artifactText(deps, ref.sha256) : null;
  if (!generated || !ref || text === null) {
    return messagePage(
      deps.views,
      404,
      "No transcript",
      "No transcript is stored for this run.",
      true,
    );
  }
  const full = c.req.query("full") === "1";
  const lines = formatTranscript(
    parseTranscript(JSON.parse(text)),
    full ? { maxChars: 0, maxToolChars: 0 } : { fullHint: "“show everything” shows them whole" },
  );
  const html = deps.views.page("transcript", {
    title: `Transcript · ${shortId(run.runId)}`,
    nav: "runs",
    signedIn: true,
    issueKey: run.issueKey,
    issueHref: issuePath(run.issueKey),
    runHref: runPath(run.runId),
    shortId: shortId(run.runId),
    heading: `${generated.data.provider} / ${generated.data.model} · ${
      formatCount(ref.size)
    } bytes stored`,
    full,
    fullHref: `${runPath(run.runId)}/transcript?full=1`,
    text: lines.join("\n"),
  });
  return htmlResponse(html);
}

/** `GET /issues/:issueKey`: every iteration of an issue and its accountability. */
export async function issuePage(c: Ctx, deps: PageDeps): Promise<Response> {
  const now = deps.now();
  const key = (c.req.param("issueKey") ?? "").toUpperCase();
  if (!ISSUE_KEY_PATTERN.test(key)) {
    return messagePage(deps.views, 404, "Issue not found", "That is not a Jira issue key.", true);
  }
  const [events, doc, docs] = await Promise.all([
    issueEvents(deps.store, key),
    getIssue(deps.store, key),
    runsOfIssue(deps.store, key),
  ]);
  if (events.length === 0) {
    return messagePage(
      deps.views,
      404,
      "Issue not found",
      `Nothing has happened on ${key} yet.`,
      true,
    );
  }
  const feedbackAuthors = deps.artifacts
    ? await feedbackFromSnapshots(deps.artifacts, events)
    : undefined;
  const timeline = buildTimeline(key, events, { feedbackAuthors });
  const byId = new Map(docs.map((d) => [d.runId, d]));
  const pr = timeline.pr ?? doc?.pr ?? null;
  const prTone = pr?.state === "merged" ? "good" : pr?.state === "closed" ? "neutral" : "info";
  const html = deps.views.page("issue", {
    title: key,
    nav: "runs",
    signedIn: true,
    issueKey: key,
    summary: timeline.summary ?? doc?.summary ?? null,
    jiraHref: jiraIssueUrl(deps.jiraBaseUrl, key),
    pr: pr
      ? { number: pr.number, href: safeHref(pr.url), badge: { label: pr.state, tone: prTone } }
      : null,
    runCount: timeline.runs.length,
    tokens: tokensText(timeline.totals.tokens, timeline.totals.costUsd),
    iterations: timeline.runs.map((r) => iterationRow(r, byId.get(r.runId), now)),
    acc: accountabilityView(timeline.accountability),
    entries: timelineRows(timeline.entries),
  });
  return htmlResponse(html);
}
