/**
 * The `queue` read model the worker claims from: one document per issue that
 * has a run to claim now or later. `availableAt` says when: the request time of
 * a queued run with nothing active, the lease expiry of a claimed run (to pick
 * up orphans), or the retry time of a run waiting to be retried. The decider
 * remains the judge: a claim made from a stale queue entry is simply refused.
 *
 * @module
 */
import { issueKeyOfStream, type RecordedEvent } from "../domain/events.ts";
import type { Projection } from "./projection.ts";

/** One issue's place in the queue. */
export interface QueueDoc {
  issueKey: string;
  /** The run a worker should claim next. */
  runId: string;
  /** When that run may be claimed (ISO-8601; compare as strings). */
  availableAt: string;
  /** Why it is here: `queued`, `lease_expiry` or `retry`. */
  reason: "queued" | "lease_expiry" | "retry";
  active: { runId: string; availableAt: string; reason: "lease_expiry" | "retry" } | null;
  queued: { runId: string; requestedAt: string } | null;
}

function settle(
  issueKey: string,
  active: QueueDoc["active"],
  queued: QueueDoc["queued"],
): QueueDoc | null {
  if (active) {
    return {
      issueKey,
      runId: active.runId,
      availableAt: active.availableAt,
      reason: active.reason,
      active,
      queued,
    };
  }
  if (queued) {
    return {
      issueKey,
      runId: queued.runId,
      availableAt: queued.requestedAt,
      reason: "queued",
      active,
      queued,
    };
  }
  return null;
}

/** Folds one event into an issue's queue entry. */
export function evolveQueue(
  doc: QueueDoc | null,
  e: RecordedEvent,
  issueKey: string,
): QueueDoc | null {
  let active = doc?.active ?? null;
  let queued = doc?.queued ?? null;
  switch (e.type) {
    case "RunRequested":
      queued = { runId: e.data.runId, requestedAt: e.data.requestedAt };
      break;
    case "RunClaimed":
      active = { runId: e.data.runId, availableAt: e.data.leaseExpiresAt, reason: "lease_expiry" };
      if (queued?.runId === e.data.runId) queued = null;
      break;
    case "RunLeaseExtended":
      if (active?.runId === e.data.runId) {
        active = { ...active, availableAt: e.data.leaseExpiresAt };
      }
      break;
    case "RunRetryScheduled":
      if (active?.runId === e.data.runId) {
        active = { runId: e.data.runId, availableAt: e.data.notBefore, reason: "retry" };
      }
      break;
    case "RunSucceeded":
    case "RunFailed":
    case "RunCancelled":
      if (active?.runId === e.data.runId) active = null;
      if (queued?.runId === e.data.runId) queued = null;
      break;
    default:
      return doc;
  }
  return settle(issueKey, active, queued);
}

/** The `queue` projection. */
export const queueProjection: Projection<QueueDoc> = {
  name: "queue",
  version: 1,
  keys(e) {
    const key = issueKeyOfStream(e.stream);
    return key ? [key] : [];
  },
  evolve: (doc, e, id) => evolveQueue(doc, e, id),
};
