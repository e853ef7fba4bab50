/**
 * Event builders shared by the tests: realistic events of the issue stream with
 * just the fields a test cares about given.
 *
 * @module
 */
import type { DomainEvent, EventData, EventMetadata, EventOf } from "../../domain/events.ts";
import type { NewEvent } from "../../domain/ports/event_store.ts";

/** The issue the builders' events belong to unless told otherwise. */
export const KEY = "MWC-7";
/** The time the builders count from. */
export const T0 = "2026-11-23T10:00:00.000Z";
/** `T0` plus some seconds, as ISO-8601. */
export const at = (seconds: number) => new Date(Date.parse(T0) + seconds * 1000).toISOString();
/** The reviewer as requests record them. */
export const reviewer = { accountId: "acc-leigh", displayName: "Leigh" };

/** `RunRequested`. */
export const requested = (
  runId: string,
  deliveryId: string,
  seconds = 0,
  over: Partial<EventData<"RunRequested">> = {},
): EventOf<"RunRequested"> => ({
  type: "RunRequested",
  data: {
    runId,
    issueKey: KEY,
    deliveryId,
    source: "jira",
    requestedBy: reviewer,
    requestedAt: at(seconds),
    ...over,
  },
});

/** `RunRequestCoalesced`. */
export const coalesced = (
  runId: string,
  deliveryId: string,
  seconds = 0,
): EventOf<"RunRequestCoalesced"> => ({
  type: "RunRequestCoalesced",
  data: { runId, deliveryId, requestedBy: reviewer, requestedAt: at(seconds) },
});

/** `RunClaimed` with a 60 s lease. */
export const claimed = (
  runId: string,
  leaseId: string,
  seconds = 0,
  attempt = 1,
): EventOf<"RunClaimed"> => ({
  type: "RunClaimed",
  data: { runId, workerId: `w-${leaseId}`, leaseId, leaseExpiresAt: at(seconds + 60), attempt },
});

/** `IssueFetched`. */
export const fetched = (
  runId: string,
  over: Partial<EventData<"IssueFetched">> = {},
): EventOf<"IssueFetched"> => ({
  type: "IssueFetched",
  data: {
    runId,
    summary: "Fix the typo",
    status: "In Progress",
    labels: [],
    components: [],
    assigneeAccountId: "acc-ai",
    commentCount: 0,
    feedbackCommentIds: [],
    ...over,
  },
});

/** `RunSucceeded`. */
export const succeeded = (runId: string): EventOf<"RunSucceeded"> => ({
  type: "RunSucceeded",
  data: { runId, outcome: "pr_opened", summary: "done" },
});

/** A domain event with the metadata a store append needs. */
export function withMeta(event: DomainEvent, metadata: Partial<EventMetadata> = {}): NewEvent {
  const data = event.data as { runId?: string | null; deliveryId?: string };
  return {
    ...event,
    metadata: {
      actor: "jira:5b10ac8d82e05b22cc7d4ef5",
      correlationId: data.runId ?? undefined,
      deliveryId: data.deliveryId,
      ...metadata,
    },
  } as NewEvent;
}

/** A realistic stored `RunRequested` for issue `MWC-<n>` (store and projection tests). */
export function storedRequest(n: number, delivery: string, displayName = "Leigh Reviewer") {
  return withMeta(
    requested(`run-${delivery}`, delivery, 0, {
      issueKey: `MWC-${n}`,
      requestedBy: { accountId: "5b10ac8d82e05b22cc7d4ef5", displayName },
      requestedAt: "2025-06-01T12:00:00.000Z",
    }),
    { causationId: delivery },
  );
}

/** A small stored `RunRequestCoalesced` (to pad streams with). */
export function storedCoalesced(delivery: string, requestedAt = "2025-06-01T12:00:00.000Z") {
  return withMeta({
    type: "RunRequestCoalesced",
    data: { runId: "run-1", deliveryId: delivery, requestedBy: null, requestedAt },
  }, { actor: "jira:someone", correlationId: undefined });
}
