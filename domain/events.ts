/**
 * The event vocabulary of AI Runner: every state change is one of these,
 * appended to the stream of the Jira issue it concerns (`issue-<KEY>`).
 *
 * Each type has a zod schema for its `data`, a current `schemaVersion`, and
 * upcasters that lift older stored shapes to the current one on read. Events are
 * validated on the way into the store and on the way out.
 *
 * @module
 */
import { z } from "zod";

/** A Jira issue key such as `MWC-42`: project key, dash, number. */
export const ISSUE_KEY_PATTERN = /^[A-Z][A-Z0-9_]{0,49}-[1-9][0-9]{0,14}$/;

/** Zod schema of a Jira issue key. */
export const IssueKey = z.string().regex(ISSUE_KEY_PATTERN, "not a Jira issue key like ABC-123");

/** The stream that holds everything about one issue. */
export function issueStream(issueKey: string): string {
  return `issue-${issueKey}`;
}

/** The issue key of an `issue-<KEY>` stream, or null for other streams. */
export function issueKeyOfStream(stream: string): string | null {
  return stream.startsWith("issue-") ? stream.slice("issue-".length) : null;
}

const Iso = z.string().datetime({ offset: true });
const RunId = z.string().min(1).max(100);
const Sha = z.string().regex(/^[0-9a-f]{7,64}$/);

/** A reference to a content-addressed artifact (LLM transcript, validation log). */
export const ArtifactRef = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
  mediaType: z.string().min(1).max(100),
});
export type ArtifactRef = z.infer<typeof ArtifactRef>;

/** Tokens spent on the LLM. */
export const TokenUsage = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
});
export type TokenUsage = z.infer<typeof TokenUsage>;

/** A person or system as recorded on an event. */
export const Person = z.object({
  accountId: z.string().max(200).optional(),
  displayName: z.string().max(500).optional(),
  login: z.string().max(200).optional(),
});
export type Person = z.infer<typeof Person>;

/** Where a failure happened: the workflow step, or the claim/lease machinery. */
export const FailureKind = z.enum([
  "permanent",
  "transient_exhausted",
  "budget",
  "lease",
  "config",
]);

/** The `data` schema of every event type, at its current schema version. */
export const eventDataSchemas = {
  RunRequested: z.object({
    runId: RunId,
    issueKey: IssueKey,
    deliveryId: z.string().min(1).max(200),
    source: z.enum(["jira", "cli", "admin", "demo", "github"]),
    requestedBy: Person.nullable(),
    requestedAt: Iso,
    /**
     * What the run does: `change` (absent: the default) turns the ticket into a
     * PR; `completion` reports a merged or closed PR back to Jira.
     */
    kind: z.enum(["change", "completion"]).optional(),
    /** Set when an operator retried a failed (or needs-attention) run: the run it retries. */
    retryOf: RunId.optional(),
  }),
  RunRequestCoalesced: z.object({
    runId: RunId,
    deliveryId: z.string().min(1).max(200),
    requestedBy: Person.nullable(),
    requestedAt: Iso,
  }),
  RunClaimed: z.object({
    runId: RunId,
    workerId: z.string().min(1).max(200),
    leaseId: z.string().min(1).max(200),
    leaseExpiresAt: Iso,
    attempt: z.number().int().positive(),
  }),
  RunLeaseExtended: z.object({
    runId: RunId,
    leaseId: z.string().min(1).max(200),
    leaseExpiresAt: Iso,
    /**
     * How far the run has got so far (sent with each heartbeat while the model
     * works), for the dashboard's live view. Absent on older events.
     */
    progress: z.object({
      turns: z.number().int().nonnegative(),
      toolCalls: z.number().int().nonnegative(),
      inputTokens: z.number().int().nonnegative(),
      outputTokens: z.number().int().nonnegative(),
      costUsd: z.number().nonnegative().optional(),
    }).optional(),
  }),
  IssueFetched: z.object({
    runId: RunId,
    summary: z.string().max(2000),
    status: z.string().max(200),
    issueType: z.string().max(200).optional(),
    labels: z.array(z.string().max(255)),
    components: z.array(z.string().max(255)),
    assigneeAccountId: z.string().max(200).nullable(),
    commentCount: z.number().int().nonnegative(),
    /** Ids of the comments taken as feedback for this run. */
    feedbackCommentIds: z.array(z.string().max(100)),
    /** Who wrote the feedback acted on (Jira comments and PR reviews). */
    feedbackFrom: z.array(z.object({
      source: z.enum(["jira", "github"]),
      id: z.string().max(200),
      displayName: z.string().max(500),
    })).optional(),
    /** Full ticket text as the model saw it (description, comments). */
    snapshot: ArtifactRef.optional(),
  }),
  WorkspacePrepared: z.object({
    runId: RunId,
    repoId: z.string().min(1).max(100),
    github: z.string().regex(/^[\w.-]+\/[\w.-]+$/),
    branch: z.string().min(1).max(255),
    baseBranch: z.string().min(1).max(255),
    startSha: Sha,
    continued: z.boolean(),
  }),
  ChangesGenerated: z.object({
    runId: RunId,
    summary: z.string().max(10_000),
    filesChanged: z.array(z.string().max(1000)),
    turns: z.number().int().nonnegative(),
    usage: TokenUsage,
    provider: z.string().max(50),
    model: z.string().max(200),
    transcript: ArtifactRef.optional(),
    /** The changes as a binary git patch from the start commit, to resume elsewhere. */
    patch: ArtifactRef.optional(),
  }),
  ValidationCompleted: z.object({
    runId: RunId,
    passed: z.boolean(),
    commands: z.array(z.object({
      command: z.string().max(2000),
      exitCode: z.number().int().nullable(),
      durationMs: z.number().nonnegative(),
      timedOut: z.boolean(),
    })),
    repairs: z.number().int().nonnegative(),
    log: ArtifactRef.optional(),
  }),
  ChangesCommitted: z.object({
    runId: RunId,
    sha: Sha,
    message: z.string().max(10_000),
    filesChanged: z.array(z.string().max(1000)),
  }),
  BranchPushed: z.object({
    runId: RunId,
    branch: z.string().min(1).max(255),
    sha: Sha,
  }),
  PullRequestOpened: z.object({
    runId: RunId,
    number: z.number().int().positive(),
    url: z.string().url(),
    draft: z.boolean(),
    head: z.string().max(255),
    base: z.string().max(255),
  }),
  PullRequestUpdated: z.object({
    runId: RunId,
    number: z.number().int().positive(),
    url: z.string().url(),
  }),
  JiraCommented: z.object({
    runId: RunId.nullable(),
    commentId: z.string().min(1).max(100),
    purpose: z.enum(["result", "no_changes", "failure", "merged", "closed", "cancelled"]),
  }),
  JiraTransitioned: z.object({
    runId: RunId.nullable(),
    transitionId: z.string().min(1).max(100),
    transitionName: z.string().max(255),
    toStatus: z.string().max(255),
    /** True when the issue already had the target status and nothing was sent. */
    alreadyThere: z.boolean(),
  }),
  JiraAssigned: z.object({
    runId: RunId.nullable(),
    accountId: z.string().min(1).max(200),
  }),
  RunSucceeded: z.object({
    runId: RunId,
    outcome: z.enum(["pr_opened", "pr_updated", "no_changes", "completed"]),
    summary: z.string().max(10_000),
  }),
  RunFailed: z.object({
    runId: RunId,
    step: z.string().max(100),
    reason: z.string().max(10_000),
    kind: FailureKind,
  }),
  RunRetryScheduled: z.object({
    runId: RunId,
    step: z.string().max(100),
    reason: z.string().max(10_000),
    retry: z.number().int().positive(),
    notBefore: Iso,
  }),
  RunCancelled: z.object({
    runId: RunId,
    reason: z.string().max(2000),
    cancelledBy: Person.nullable(),
  }),
  PrReviewed: z.object({
    deliveryId: z.string().min(1).max(200),
    number: z.number().int().positive(),
    url: z.string().url(),
    reviewer: z.string().max(200),
    state: z.enum(["approved", "changes_requested", "commented", "dismissed"]),
    submittedAt: Iso,
  }),
  PrMerged: z.object({
    deliveryId: z.string().min(1).max(200),
    number: z.number().int().positive(),
    url: z.string().url(),
    mergeSha: Sha.nullable(),
    mergedBy: z.string().max(200).nullable(),
    mergedAt: Iso,
  }),
  PrClosed: z.object({
    deliveryId: z.string().min(1).max(200),
    number: z.number().int().positive(),
    url: z.string().url(),
    closedBy: z.string().max(200).nullable(),
    closedAt: Iso,
  }),
} as const;

/** Every event type name. */
export type EventType = keyof typeof eventDataSchemas;

/** All event type names, in vocabulary order. */
export const EVENT_TYPES = Object.keys(eventDataSchemas) as EventType[];

/** The `data` of an event of type `T`. */
export type EventData<T extends EventType> = z.infer<(typeof eventDataSchemas)[T]>;

/** A domain event before it is stored: a type and its data. */
export type DomainEvent = { [T in EventType]: { type: T; data: EventData<T> } }[EventType];

/** The domain event of one type. */
export type EventOf<T extends EventType> = Extract<DomainEvent, { type: T }>;

/** Who and what caused an event; carried on every stored event. */
export const EventMetadata = z.object({
  /** The run the event belongs to (its id), when it belongs to one. */
  correlationId: z.string().max(200).optional(),
  /** What caused it: a delivery id, or `<stream>@<version>` of the causing event. */
  causationId: z.string().max(300).optional(),
  /** Who did it: `jira:<accountId>`, `github:<login>`, `worker:<id>`, `cli:<user>`. */
  actor: z.string().min(1).max(300),
  /** The webhook delivery (Jira delivery key or `X-GitHub-Delivery`) behind it. */
  deliveryId: z.string().max(200).optional(),
});
export type EventMetadata = z.infer<typeof EventMetadata>;

/** An event as stored: its place in the log, its stream version and its hash. */
export type RecordedEvent = DomainEvent & {
  /** Global position in the log, 1-based, gap-free per engine. */
  position: number;
  stream: string;
  /** Version within the stream: the first event of a stream is version 1. */
  version: number;
  schemaVersion: number;
  metadata: EventMetadata;
  /** ISO-8601 time the store recorded it. */
  recordedAt: string;
  /** sha256 (hex) of the previous event's hash and this event's canonical JSON. */
  hash: string;
};

/** Current schema version of each event type (bump when `data` changes shape). */
export const CURRENT_SCHEMA_VERSION: Record<EventType, number> = Object.fromEntries(
  EVENT_TYPES.map((t) => [t, 1]),
) as Record<EventType, number>;

/**
 * Upcasters: `upcasters[type][n]` turns data stored at schema version `n` into
 * version `n + 1`. Empty while every type is at version 1; add one here whenever
 * a schema version is bumped, and never edit stored events.
 */
export const upcasters: Partial<Record<EventType, Record<number, (data: unknown) => unknown>>> = {};

/** Raised when an event does not match its schema (on write or on read). */
export class EventSchemaError extends Error {
  constructor(
    readonly eventType: string,
    readonly detail: string,
  ) {
    super(`event ${eventType} does not match its schema: ${detail}`);
    this.name = "EventSchemaError";
  }
}

/** A registry of event schemas and upcasters; the default is the product's own. */
export interface EventRegistry {
  schemas: Record<string, z.ZodType>;
  currentVersion: Record<string, number>;
  upcasters: Record<string, Record<number, (data: unknown) => unknown>>;
}

/** The product's event registry. */
export const defaultRegistry: EventRegistry = {
  schemas: eventDataSchemas,
  currentVersion: CURRENT_SCHEMA_VERSION,
  upcasters: upcasters as Record<string, Record<number, (data: unknown) => unknown>>,
};

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`)
    .join("; ");
}

/** Validates event data for writing; throws {@link EventSchemaError}. */
export function validateEventData(
  type: string,
  data: unknown,
  registry: EventRegistry = defaultRegistry,
): unknown {
  const schema = registry.schemas[type];
  if (!schema) throw new EventSchemaError(type, "unknown event type");
  const result = schema.safeParse(data);
  if (!result.success) throw new EventSchemaError(type, describeIssues(result.error));
  return result.data;
}

/** Validates event metadata; throws {@link EventSchemaError}. */
export function validateMetadata(type: string, metadata: unknown): EventMetadata {
  const result = EventMetadata.safeParse(metadata);
  if (!result.success) {
    throw new EventSchemaError(type, `metadata: ${describeIssues(result.error)}`);
  }
  return result.data;
}

/**
 * Lifts stored data from `schemaVersion` to the current version and validates it.
 * Returns the data and the version it now has.
 */
export function upcastAndValidate(
  type: string,
  schemaVersion: number,
  data: unknown,
  registry: EventRegistry = defaultRegistry,
): { data: unknown; schemaVersion: number } {
  const current = registry.currentVersion[type];
  if (current === undefined) throw new EventSchemaError(type, "unknown event type");
  if (schemaVersion > current) {
    throw new EventSchemaError(
      type,
      `stored at schema version ${schemaVersion}, newer than this build's ${current}`,
    );
  }
  let value = data;
  for (let v = schemaVersion; v < current; v++) {
    const up = registry.upcasters[type]?.[v];
    if (!up) throw new EventSchemaError(type, `no upcaster from schema version ${v}`);
    value = up(value);
  }
  return { data: validateEventData(type, value, registry), schemaVersion: current };
}
