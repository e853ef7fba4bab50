/**
 * The read-model queries behind the dashboard: runs by status and issue
 * (newest first, paginated), one run, the runs of an issue, the overview's
 * numbers, and a run's events from its issue stream. Read models answer what
 * they can; the event log answers the rest (the model a run used).
 *
 * @module
 */
import { ISSUE_KEY_PATTERN, issueStream, type RecordedEvent } from "../../../domain/events.ts";
import type { EventStore } from "../../../domain/ports/event_store.ts";
import type { FieldFilter, ReadModelStore } from "../../../domain/ports/read_models.ts";
import { TERMINAL_STATUSES } from "../../../domain/run/state.ts";
import type { IssueDoc, RunDoc } from "../../../projections/mod.ts";
import type { AttentionReason } from "../../../projections/attention.ts";
import { estimateCost } from "../../../projections/cost.ts";
import type { DayUsage } from "./chart.ts";
import { median } from "./format.ts";

/** Statuses a run can have, in the order the filter offers them. */
export const RUN_STATUSES = [
  "queued",
  "claimed",
  "retry_wait",
  "succeeded",
  "failed",
  "cancelled",
] as const;

/** Filters of the runs list. */
export interface RunFilter {
  /** A run status, or `attention`: runs that need an operator. */
  status?: (typeof RUN_STATUSES)[number] | "attention";
  issueKey?: string;
  /** The routed repository's id. */
  repo?: string;
  /** Part of the requester's name (case ignored). */
  requester?: string;
  /** Requested on or after this day (`YYYY-MM-DD`, UTC). */
  from?: string;
  /** Requested on or before this day (`YYYY-MM-DD`, UTC). */
  to?: string;
  /** Text anywhere in the key, summary, requester, repo, branch, reason or run id. */
  text?: string;
}

/** Most runs counted for a list's total ("200+" beyond): a bounded cost on a big store. */
export const COUNT_CAP = 200;
/**
 * Free-text search looks through at most this many of the newest runs that
 * match the other filters (a bounded scan: the text is not indexed); a date
 * range narrows it to older runs.
 */
export const TEXT_SEARCH_WINDOW = 2_000;

/** One page of runs. */
export interface RunPage {
  runs: RunDoc[];
  /** Matching runs, counted up to {@link COUNT_CAP} (see `capped`). */
  total: number;
  /** True when there are more than {@link COUNT_CAP}. */
  capped: boolean;
  /** With a text search: only runs requested at or after this time were searched. */
  searchedFrom: string | null;
  /** 1-based. */
  page: number;
  /** An older page exists. */
  hasOlder: boolean;
  pages: number;
  pageSize: number;
}

function whereOf(filter: RunFilter): FieldFilter[] {
  const where: FieldFilter[] = [];
  if (filter.status === "attention") where.push({ field: "needsAttention", eq: true });
  else if (filter.status) where.push({ field: "status", eq: filter.status });
  if (filter.issueKey) where.push({ field: "issueKey", eq: filter.issueKey });
  if (filter.repo) where.push({ field: "repoId", eq: filter.repo });
  if (filter.requester) where.push({ field: "requester", contains: filter.requester });
  if (filter.from) where.push({ field: "requestedAt", gte: `${filter.from}T00:00:00.000Z` });
  if (filter.to) where.push({ field: "requestedAt", lte: `${filter.to}T23:59:59.999Z` });
  if (filter.text) where.push({ field: "searchText", contains: filter.text });
  return where;
}

/** One item of the needs-attention panel. */
export interface AttentionItem {
  run: RunDoc;
  reasons: AttentionReason[];
}

/** What the overview's needs-attention panel lists. */
export interface Attention {
  /** The latest run of each issue that needs attention (newest first). */
  items: AttentionItem[];
  /** More than were listed. */
  more: boolean;
  /** The run waiting longest for a worker, or null. */
  oldestQueued: RunDoc | null;
}

/**
 * Runs that need attention: failed, Jira hand-over failed, draft PRs; only
 * the latest run of its issue, and only while nothing else is queued or
 * working on that issue (a retry or a new request supersedes it).
 */
export async function needsAttention(store: ReadModelStore, limit = 20): Promise<Attention> {
  const [flagged, oldest] = await Promise.all([
    store.query("runs", {
      where: [{ field: "needsAttention", eq: true }],
      orderBy: { field: "requestedAt", direction: "desc" },
      limit: limit * 5,
    }) as Promise<RunDoc[]>,
    store.query("runs", {
      where: [{ field: "status", eq: "queued" }],
      orderBy: { field: "requestedAt", direction: "asc" },
      limit: 1,
    }) as Promise<RunDoc[]>,
  ]);
  const issues = await store.load("issues", [...new Set(flagged.map((r) => r.issueKey))]);
  const items: AttentionItem[] = [];
  for (const run of flagged) {
    const issue = issues.get(run.issueKey) as IssueDoc | undefined;
    if (issue && (issue.lastRunId !== run.runId || issue.activeRunId || issue.queuedRunId)) {
      continue;
    }
    items.push({ run, reasons: run.attention });
  }
  return {
    items: items.slice(0, limit),
    more: items.length > limit,
    oldestQueued: oldest[0] ?? null,
  };
}

/** A page of runs matching the filter, newest request first. */
export async function listRuns(
  store: ReadModelStore,
  filter: RunFilter,
  page: number,
  pageSize: number,
): Promise<RunPage> {
  const where = whereOf(filter);
  let searchedFrom: string | null = null;
  if (filter.text) {
    // Bound the scan: the newest TEXT_SEARCH_WINDOW runs matching the other filters.
    const others = whereOf({ ...filter, text: undefined });
    const [edge] = await store.query("runs", {
      where: others,
      orderBy: { field: "requestedAt", direction: "desc" },
      offset: TEXT_SEARCH_WINDOW - 1,
      limit: 1,
    }) as RunDoc[];
    if (edge) {
      searchedFrom = edge.requestedAt;
      where.push({ field: "requestedAt", gte: edge.requestedAt });
    }
  }
  const counted = await store.count("runs", where, { max: COUNT_CAP + 1 });
  const capped = counted > COUNT_CAP;
  const total = Math.min(counted, COUNT_CAP);
  const pages = Math.max(1, Math.ceil(total / pageSize));
  // Beyond the cap the page count is unknown: any page is allowed, and one more row says
  // whether an older page exists.
  const current = capped
    ? Math.max(1, Math.floor(page))
    : Math.min(Math.max(1, Math.floor(page)), pages);
  const rows = await store.query("runs", {
    where,
    orderBy: { field: "requestedAt", direction: "desc" },
    limit: pageSize + 1,
    offset: (current - 1) * pageSize,
  }) as RunDoc[];
  const runs = rows.slice(0, pageSize);
  return {
    runs,
    total,
    capped,
    searchedFrom,
    page: current,
    pages: capped ? Math.max(pages, current + (rows.length > pageSize ? 1 : 0)) : pages,
    hasOlder: rows.length > pageSize,
    pageSize,
  };
}

/** One run, or null. */
export async function getRun(store: ReadModelStore, runId: string): Promise<RunDoc | null> {
  if (!runId || runId.length > 100) return null;
  return await store.get("runs", runId) as RunDoc | null;
}

/** The issue document, or null. */
export async function getIssue(store: ReadModelStore, issueKey: string): Promise<IssueDoc | null> {
  if (!ISSUE_KEY_PATTERN.test(issueKey)) return null;
  return await store.get("issues", issueKey) as IssueDoc | null;
}

/** The runs of an issue, oldest first (its iterations). */
export async function runsOfIssue(
  store: ReadModelStore,
  issueKey: string,
  limit = 500,
): Promise<RunDoc[]> {
  return await store.query("runs", {
    where: [{ field: "issueKey", eq: issueKey }],
    orderBy: { field: "requestedAt", direction: "asc" },
    limit,
  }) as RunDoc[];
}

/** An issue's whole stream (empty for an invalid key). */
export async function issueEvents(store: EventStore, issueKey: string): Promise<RecordedEvent[]> {
  if (!ISSUE_KEY_PATTERN.test(issueKey)) return [];
  return await store.readStream(issueStream(issueKey));
}

/** The events of one run: those of its issue stream that belong to it. */
export function eventsOfRun(events: readonly RecordedEvent[], runId: string): RecordedEvent[] {
  return events.filter((e) =>
    e.metadata.correlationId === runId || (e.data as { runId?: unknown }).runId === runId
  );
}

/**
 * The model each run used (from its `ChangesGenerated` events), remembered for
 * finished runs. Reads at most `maxStreams` issue streams per call; runs of
 * the issues left over stay unknown (their tokens are counted, not priced).
 */
export class RunModels {
  readonly #known = new Map<string, string | null>();
  readonly #store: EventStore;
  readonly #maxStreams: number;

  constructor(store: EventStore, maxStreams = 50) {
    this.#store = store;
    this.#maxStreams = maxStreams;
  }

  /** The model per run id (null: no model call recorded, or not looked up). */
  async of(runs: readonly RunDoc[]): Promise<Map<string, string | null>> {
    const out = new Map<string, string | null>();
    for (const r of runs) if (r.model) out.set(r.runId, r.model);
    const missing = runs.filter((r) =>
      !r.model && r.tokens.input + r.tokens.output > 0 && !this.#known.has(r.runId)
    );
    const issues = new Set([...new Set(missing.map((r) => r.issueKey))].slice(0, this.#maxStreams));
    const found = new Map<string, string>();
    for (const key of issues) {
      for (const e of await this.#store.readStream(issueStream(key))) {
        if (e.type === "ChangesGenerated") found.set(e.data.runId, e.data.model);
      }
    }
    if (this.#known.size > 50_000) this.#known.clear();
    for (const r of missing) {
      if (!issues.has(r.issueKey)) continue;
      const model = found.get(r.runId) ?? null;
      if (TERMINAL_STATUSES.has(r.status)) this.#known.set(r.runId, model);
      out.set(r.runId, model);
    }
    for (const r of runs) if (!out.has(r.runId)) out.set(r.runId, this.#known.get(r.runId) ?? null);
    return out;
  }
}

/** The overview's numbers. */
export interface Overview {
  queueDepth: number;
  running: number;
  retryWaiting: number;
  /** Over the window: succeeded / (succeeded + failed), or null with none finished. */
  successRate: number | null;
  succeeded: number;
  failed: number;
  /** Median request-to-finish time of runs that opened or updated a PR, in the window. */
  medianTimeToPrMs: number | null;
  /** Median claim-to-finish time (a worker's time) of those runs. */
  medianWorkToPrMs: number | null;
  /** Median request-to-claim time (waiting for a worker) of the runs claimed in the window. */
  medianQueueWaitMs: number | null;
  prRuns: number;
  days: DayUsage[];
  windowDays: number;
  /** Runs in the window with tokens but no known price. */
  unpricedRuns: number;
  recent: RunDoc[];
}

function dayOf(iso: string): string {
  return iso.slice(0, 10);
}

/** The overview over the last `windowDays` days (UTC days, today included). */
export async function overview(
  store: ReadModelStore,
  models: RunModels,
  now: Date,
  windowDays = 14,
): Promise<Overview> {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  start.setUTCDate(start.getUTCDate() - (windowDays - 1));
  const [queueDepth, running, retryWaiting, windowRuns, recent] = await Promise.all([
    store.count("runs", [{ field: "status", eq: "queued" }]),
    store.count("runs", [{ field: "status", eq: "claimed" }]),
    store.count("runs", [{ field: "status", eq: "retry_wait" }]),
    store.query("runs", {
      where: [{ field: "requestedAt", gte: start.toISOString() }],
      orderBy: { field: "requestedAt", direction: "desc" },
      limit: 5_000,
    }) as Promise<RunDoc[]>,
    store.query("runs", {
      orderBy: { field: "requestedAt", direction: "desc" },
      limit: 8,
    }) as Promise<
      RunDoc[]
    >,
  ]);
  const succeeded = windowRuns.filter((r) => r.status === "succeeded").length;
  const failed = windowRuns.filter((r) => r.status === "failed").length;
  const prDurations = windowRuns
    .filter((r) =>
      (r.outcome === "pr_opened" || r.outcome === "pr_updated") && r.durationMs !== null
    )
    .map((r) => r.durationMs as number);
  const prWork = windowRuns
    .filter((r) => (r.outcome === "pr_opened" || r.outcome === "pr_updated"))
    .map((r) => r.workMs ?? r.durationMs)
    .filter((v): v is number => typeof v === "number");
  const waits = windowRuns.map((r) => r.queueWaitMs).filter((v): v is number =>
    typeof v === "number"
  );
  const modelOf = await models.of(windowRuns);
  const byDay = new Map<string, DayUsage>();
  for (let i = 0; i < windowDays; i++) {
    const d = new Date(start);
    d.setUTCDate(start.getUTCDate() + i);
    const day = dayOf(d.toISOString());
    byDay.set(day, { day, inputTokens: 0, outputTokens: 0, costUsd: null, runs: 0 });
  }
  let unpricedRuns = 0;
  for (const r of windowRuns) {
    const bucket = byDay.get(dayOf(r.requestedAt));
    if (!bucket) continue;
    bucket.runs++;
    bucket.inputTokens += r.tokens.input;
    bucket.outputTokens += r.tokens.output;
    if (r.tokens.input + r.tokens.output === 0) continue;
    // The cost as billed when the run recorded it (cache reads are cheap); else an estimate.
    const model = modelOf.get(r.runId);
    const cost = r.costUsd !== undefined
      ? { usd: r.costUsd }
      : model
      ? estimateCost(model, { inputTokens: r.tokens.input, outputTokens: r.tokens.output })
      : null;
    if (cost) bucket.costUsd = (bucket.costUsd ?? 0) + cost.usd;
    else unpricedRuns++;
  }
  return {
    queueDepth,
    running,
    retryWaiting,
    successRate: succeeded + failed ? succeeded / (succeeded + failed) : null,
    succeeded,
    failed,
    medianTimeToPrMs: median(prDurations),
    medianWorkToPrMs: median(prWork),
    medianQueueWaitMs: median(waits),
    prRuns: prDurations.length,
    days: [...byDay.values()],
    windowDays,
    unpricedRuns,
    recent,
  };
}
