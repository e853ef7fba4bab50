/**
 * `deno task audit`: an issue's timeline and accountability (`audit <KEY>
 * [--json]`), the integrity check (`audit --verify`), the JSON-lines export
 * (`audit --export [--from N]`) and a run's LLM transcript
 * (`audit --transcript <runId> [--full] [--json]`).
 *
 * @module
 */
import { ISSUE_KEY_PATTERN, issueStream, type RecordedEvent } from "../../domain/events.ts";
import { verifyLog } from "../../domain/verify_log.ts";
import { ALL_PROJECTIONS } from "../../projections/mod.ts";
import { Projector } from "../../projections/projector.ts";
import type { Store } from "../eventstore/open.ts";
import { COST_LABEL } from "../../projections/cost.ts";
import { feedbackFromSnapshots } from "../../projections/feedback_authors.ts";
import { buildTimeline } from "../../projections/issue_story.ts";
import { formatTranscript, parseTranscript } from "../../projections/transcript_view.ts";
import { formatTimeline } from "./audit_format.ts";
import { checkReadModelsReport } from "./audit_verify.ts";
import { progressLine } from "./progress.ts";

export { checkReadModelsReport };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Writes every event at position `from` and after (all of them for 0 or 1) as
 * one JSON object per line, exactly as stored, page by page; progress goes to
 * stderr. Returns how many events were written.
 */
export async function exportCommand(
  store: Store,
  from: number,
  out: WritableStream<Uint8Array> = Deno.stdout.writable,
): Promise<number> {
  if (!Number.isInteger(from) || from < 0) {
    throw new Error(`--from takes a position (0 or more), got ${from}`);
  }
  const head = await store.headPosition();
  const progress = progressLine("export");
  const writer = out.getWriter();
  const after = Math.max(0, from - 1);
  let position = after;
  let count = 0;
  try {
    for (;;) {
      const page = await store.readAllRaw(position, 5_000);
      if (page.length === 0) break;
      let chunk = "";
      for (const e of page) {
        chunk += JSON.stringify({
          type: e.type,
          stream: e.stream,
          version: e.version,
          position: e.position,
          schemaVersion: e.schemaVersion,
          data: e.data,
          metadata: e.metadata,
          recordedAt: e.recordedAt,
          hash: e.hash,
        }) + "\n";
      }
      await writer.write(encoder.encode(chunk));
      count += page.length;
      position = page[page.length - 1].position;
      progress(position, head);
    }
  } finally {
    writer.releaseLock();
  }
  progress.done(
    count ? `export: ${count} events (positions ${after + 1}–${position})` : "export: no events",
  );
  return count;
}

/**
 * Verifies the hash chain over the whole log, every event against its schema,
 * and every read model against a fresh replay. Prints what it checked, one
 * line per check, and the first bad position; returns false on any mismatch.
 * Read models are brought up to date first only when the log itself is sound.
 */
export async function verifyCommand(
  store: Store,
  print: (line: string) => void = console.log,
  options: { catchUp?: boolean } = {},
): Promise<boolean> {
  const progress = progressLine("verify");
  const log = await verifyLog(store, { pageSize: 5_000, onProgress: progress });
  progress.done(`verify: hash chain read over ${log.checked} of ${log.head} events`);
  print(`audit --verify: ${store.engine} store, log head at position ${log.head}`);
  const failures: string[] = [];
  if (log.broken) {
    failures.push(`hash chain broken at position ${log.broken.position}`);
    print(
      `FAIL hash chain: broken at position ${log.broken.position}: ${log.broken.reason} ` +
        `(positions 1–${log.checked} link correctly; nothing after the break can be trusted)`,
    );
  } else {
    print(
      `ok   hash chain: all ${log.checked} events link to their predecessor (positions 1–${log.checked})`,
    );
  }
  if (log.schemaErrors) {
    failures.push(`schema error at position ${log.schemaErrors.position}`);
    print(
      `FAIL schemas: ${log.schemaErrors.count} event(s) do not match their schema; first at ` +
        `position ${log.schemaErrors.position}: ${log.schemaErrors.message}`,
    );
  } else {
    print(
      `ok   schemas: ${log.checked} events match their data and metadata schemas` +
        (log.broken ? " (those before the break)" : ""),
    );
  }
  const sound = !log.broken && !log.schemaErrors;
  if (sound && options.catchUp !== false) {
    // Bring the read models up to date, so the comparison covers the whole log.
    await new Projector(store, store, [...ALL_PROJECTIONS]).catchUp();
  } else if (sound) {
    print("     read models are compared at their own checkpoints (the store is opened read-only)");
  } else {
    print("     read models are compared as they stand (not caught up from a damaged log)");
  }
  const models = await checkReadModelsReport(store, ALL_PROJECTIONS, log.head);
  for (const line of models.lines) print(line);
  failures.push(...models.failures);
  if (failures.length) {
    print(`FAILED: ${failures.join("; ")}`);
    return false;
  }
  print("verified: the log is intact and every read model equals a replay");
  return true;
}

/** Prints an issue's timeline and accountability; returns false when the issue has no events. */
export async function timelineCommand(
  store: Store,
  issueKey: string,
  json: boolean,
  print = console.log,
): Promise<boolean> {
  if (!ISSUE_KEY_PATTERN.test(issueKey)) {
    throw new Error(`"${issueKey}" is not a Jira issue key like ABC-123`);
  }
  const events = await store.readStream(issueStream(issueKey));
  if (events.length === 0) {
    print(json ? JSON.stringify({ issueKey, error: "no events" }) : `no events for ${issueKey}`);
    return false;
  }
  const timeline = buildTimeline(issueKey, events, {
    feedbackAuthors: await feedbackFromSnapshots(store, events),
  });
  if (json) {
    print(JSON.stringify({ ...timeline, costLabel: COST_LABEL }, null, 2));
    return true;
  }
  for (const line of formatTimeline(timeline)) print(line);
  return true;
}

/** Options of {@link transcriptCommand}. */
export interface TranscriptOptions {
  /** The stored JSON as it is, instead of text. */
  json?: boolean;
  /** Do not cut long texts. */
  full?: boolean;
}

async function findGenerated(store: Store, runId: string): Promise<RecordedEvent | null> {
  const doc = await store.get("runs", runId).catch(() => null) as { issueKey?: string } | null;
  const match = (e: RecordedEvent) =>
    e.type === "ChangesGenerated" && e.data.runId === runId && e.data.transcript !== undefined;
  if (doc?.issueKey) {
    return (await store.readStream(issueStream(doc.issueKey))).findLast(match) ?? null;
  }
  // No read model yet: look through the log.
  let found: RecordedEvent | null = null;
  for (let position = 0;;) {
    const page = await store.readAll(position, 5_000);
    if (page.length === 0) return found;
    found = page.findLast(match) ?? found;
    position = page[page.length - 1].position;
  }
}

/** Prints the stored LLM transcript of a run; returns false when there is none. */
export async function transcriptCommand(
  store: Store,
  runId: string,
  options: TranscriptOptions = {},
  print = console.log,
): Promise<boolean> {
  const generated = await findGenerated(store, runId);
  if (generated?.type !== "ChangesGenerated" || !generated.data.transcript) {
    print(`no transcript stored for run ${runId}`);
    return false;
  }
  const ref = generated.data.transcript;
  const artifact = await store.getArtifact(ref.sha256);
  if (!artifact || !("content" in artifact)) {
    print(`the transcript of run ${runId} (artifact ${ref.sha256}) is missing from the store`);
    return false;
  }
  const text = decoder.decode(artifact.content);
  if (options.json) {
    print(text);
    return true;
  }
  const key = generated.stream.replace(/^issue-/, "");
  print(
    `Transcript of run ${runId} (${key}, ${generated.data.provider}/${generated.data.model}; ` +
      `artifact ${ref.sha256.slice(0, 12)}, ${ref.size} bytes)`,
  );
  const bounds = options.full ? { maxChars: 0, maxToolChars: 0 } : {};
  for (const line of formatTranscript(parseTranscript(JSON.parse(text)), bounds)) print(line);
  return true;
}
