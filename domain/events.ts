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
const RepoSlug = z.string().max(200).regex(/^[\w.-]+\/[\w.-]+$/);

/** A reference to a content-addressed artifact (LLM transcript, validation log). */
export const ArtifactRef = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
  mediaType: z.string().min(1).max(100),
});
export type ArtifactRef = z.infer<typeof ArtifactRef>;

/**
 * Tokens spent on the LLM, as billed. `inputTokens` is all input processed
 * (uncached + cache writes + cache reads) and `outputTokens` all output
 * (reasoning included), as before; the optional fields split them by how they
 * are billed. Events written before the split have none of them (read as 0):
 * uncached input is `inputTokens - cacheWriteTokens - cacheReadTokens`.
 */
export const TokenUsage = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  /** Input written to the prompt cache (billed above the input price). */
  cacheWriteTokens: z.number().int().nonnegative().optional(),
  /** Input read from the prompt cache (billed at a fraction of the input price). */
  cacheReadTokens: z.number().int().nonnegative().optional(),
  /** Output spent on reasoning/thinking (part of `outputTokens`). */
  reasoningTokens: z.number().int().nonnegative().optional(),
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
  /** An error no adapter classified (a bug or an unknown condition), after bounded attempts. */
  "bug",
]);

/** The outcome of one validation command. */
const ValidationCommand = z.object({
  command: z.string().max(2000),
  exitCode: z.number().int().nullable(),
  durationMs: z.number().nonnegative(),
  timedOut: z.boolean(),
});

/** The `data` schema of every event type, at its current schema version. */
export const eventDataSchemas = {
  RunRequested: z.object({
    runId: RunId,
    issueKey: IssueKey,
    deliveryId: z.string().min(1).max(200),
    /** `checks`: a repair round the runner queued itself after the PR's checks failed. */
    source: z.enum(["jira", "cli", "admin", "demo", "github", "checks"]),
    requestedBy: Person.nullable(),
    requestedAt: Iso,
    /**
     * What the run does: `change` (absent: the default) turns the ticket into a
     * PR; `completion` reports a merged or closed PR back to Jira; `notice`
     * tells a refused requester on Jira why nothing will happen.
     */
    kind: z.enum(["change", "completion", "notice"]).optional(),
    /**
     * Why the requester was allowed to ask (`listed`, `reviewer`, `group`, or
     * `open`: no requester list configured); absent when not judged.
     */
    requesterBasis: z.enum(["listed", "reviewer", "group", "open"]).optional(),
    /** Set when an operator retried a failed (or needs-attention) run: the run it retries. */
    retryOf: RunId.optional(),
  }),
  /**
   * A request from someone not allowed to ask for work (`JIRA_REQUESTER_ACCOUNT_IDS`):
   * recorded, answered by one Jira comment (the notice run, when one was queued),
   * and nothing else happens.
   */
  RunRequestRefused: z.object({
    deliveryId: z.string().min(1).max(200),
    requestedBy: Person.nullable(),
    requestedAt: Iso,
    reason: z.string().max(2000),
    /** The notice run that posts the comment; null when one already waits. */
    noticeRunId: RunId.nullable(),
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
    /**
     * Feedback seen and left out, with the reason (untrusted author, bot, the
     * runner's own, edited after the request, no write access, …).
     */
    skippedFeedback: z.array(z.object({
      source: z.enum(["jira", "github"]),
      id: z.string().max(200),
      author: z.string().max(500),
      reason: z.string().max(100),
    })).max(1000).optional(),
    /** Full ticket text as the model saw it (description, comments). */
    snapshot: ArtifactRef.optional(),
    /**
     * Every comment this fetch saw (Jira ids; `review:<id>`, `review_comment:<id>` for
     * GitHub) with its last-update stamp: a later run acts only on comments not seen
     * before, judged by id, never by comparing our clock with Jira's.
     */
    seen: z.array(z.object({ id: z.string().max(200), updated: z.string().max(50) }))
      .max(10_000).optional(),
    /** Which Jira the run talked to (`JiraClient.deployment`); absent on older events. */
    jiraDeployment: z.enum(["cloud", "datacenter"]).optional(),
  }),
  WorkspacePrepared: z.object({
    runId: RunId,
    repoId: z.string().min(1).max(100),
    github: z.string().regex(/^[\w.-]+\/[\w.-]+$/),
    branch: z.string().min(1).max(255),
    baseBranch: z.string().min(1).max(255),
    startSha: Sha,
    continued: z.boolean(),
    /** What confines this run's commands; `off` = unconfined (`SANDBOX=off`). Absent before it was recorded. */
    sandbox: z.enum(["bwrap", "off"]).optional(),
    /** The routing entry's `awaitChecks`, when the run waits for the PR's checks. */
    awaitChecks: z.object({
      timeoutMinutes: z.number().int().positive(),
      repairRounds: z.number().int().nonnegative(),
    }).optional(),
    /** The routing entry's setup commands, run in the sandbox before the model started. */
    setup: z.object({
      passed: z.boolean(),
      commands: z.array(ValidationCommand),
      log: ArtifactRef.optional(),
    }).optional(),
  }),
  ChangesGenerated: z.object({
    runId: RunId,
    summary: z.string().max(10_000),
    filesChanged: z.array(z.string().max(1000)),
    turns: z.number().int().nonnegative(),
    usage: TokenUsage,
    provider: z.string().max(50),
    model: z.string().max(200),
    /** What the usage cost at the price table of the run's time (absent: older runs). */
    costUsd: z.number().nonnegative().optional(),
    /** Times older tool results were elided to fit the context window. */
    contextElisions: z.number().int().nonnegative().optional(),
    /** The self-review before hand-over: each reviewer round's verdict, in order. */
    selfReview: z.object({
      model: z.string().max(200),
      rounds: z.array(z.object({
        approve: z.boolean(),
        problems: z.array(z.string().max(500)).max(10),
      })).min(1).max(3),
    }).optional(),
    transcript: ArtifactRef.optional(),
    /** The changes as a binary git patch from the start commit, to resume elsewhere. */
    patch: ArtifactRef.optional(),
    /** Validation repairs the model made during generation. */
    repairs: z.number().int().nonnegative().optional(),
    /** The last validation run during generation, on exactly these changes. */
    validation: z.object({
      passed: z.boolean(),
      commands: z.array(ValidationCommand),
      log: ArtifactRef.optional(),
    }).optional(),
  }),
  ValidationCompleted: z.object({
    runId: RunId,
    passed: z.boolean(),
    commands: z.array(ValidationCommand),
    repairs: z.number().int().nonnegative(),
    log: ArtifactRef.optional(),
    /** Which sandbox ran the commands; `off` = unconfined. Absent before it was recorded. */
    sandbox: z.enum(["bwrap", "off"]).optional(),
  }),
  DiffScanned: z.object({
    runId: RunId,
    /** True when the run changed nothing: it ends with a no-change comment. */
    empty: z.boolean(),
    bytes: z.number().int().nonnegative(),
    filesChanged: z.array(z.string().max(1000)),
    /** Exactly the diff that was scanned (and is committed next). */
    patch: ArtifactRef.optional(),
    /** The git tree that was scanned: what the commit step commits, and nothing else. */
    tree: z.string().regex(/^[0-9a-f]{40,64}$/).optional(),
  }),
  ChecksAwaited: z.object({
    runId: RunId,
    /** The PR head the checks ran on. */
    sha: Sha,
    state: z.enum(["passed", "failed", "pending", "none"]),
    failed: z.array(z.object({
      name: z.string().max(300),
      conclusion: z.string().max(100),
    })).max(100),
    /** True when the wait ended at the time limit with checks still running. */
    timedOut: z.boolean(),
    /** True when a repair round was queued (another run acts on the failures). */
    repairQueued: z.boolean(),
  }),
  ChangesCommitted: z.object({
    runId: RunId,
    sha: Sha,
    message: z.string().max(10_000),
    filesChanged: z.array(z.string().max(1000)),
    /** The author and committer date, so a resumed run can make the very same commit. */
    committedAt: Iso.optional(),
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
    /** True when GitHub refused a draft here and a ready PR marked "[validation failed]" was opened. */
    draftRefused: z.boolean().optional(),
  }),
  PullRequestUpdated: z.object({
    runId: RunId,
    number: z.number().int().positive(),
    url: z.string().url(),
  }),
  JiraCommented: z.object({
    runId: RunId.nullable(),
    commentId: z.string().min(1).max(100),
    purpose: z.enum([
      "result",
      "no_changes",
      "failure",
      "merged",
      "closed",
      "cancelled",
      /** The run waits (its repository's daily LLM budget is used up). */
      "waiting",
      /** A request from someone not allowed to ask: nothing will happen, and who can ask. */
      "refused",
    ]),
  }),
  JiraTransitioned: z.object({
    runId: RunId.nullable(),
    transitionId: z.string().min(1).max(100),
    transitionName: z.string().max(255),
    toStatus: z.string().max(255),
    /** True when the issue already had the target status and nothing was sent. */
    alreadyThere: z.boolean(),
    /** The ids of the screen fields sent with the transition (e.g. `["resolution"]`), if any. */
    fields: z.array(z.string().max(255)).max(100).optional(),
  }),
  JiraAssigned: z.object({
    runId: RunId.nullable(),
    accountId: z.string().min(1).max(200),
  }),
  RunSucceeded: z.object({
    runId: RunId,
    /** `checks_repair`: the PR's checks failed; a repair run was queued to hand over instead. */
    outcome: z.enum(["pr_opened", "pr_updated", "no_changes", "completed", "checks_repair"]),
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
    /** The repository (`owner/name`); absent on events recorded before it was kept. */
    repo: RepoSlug.optional(),
    number: z.number().int().positive(),
    /** GitHub's review id: a review is recorded once whatever the delivery id. */
    reviewId: z.number().int().positive().optional(),
    url: z.string().url(),
    reviewer: z.string().max(200),
    state: z.enum(["approved", "changes_requested", "commented", "dismissed"]),
    submittedAt: Iso,
  }),
  PrMerged: z.object({
    deliveryId: z.string().min(1).max(200),
    repo: RepoSlug.optional(),
    number: z.number().int().positive(),
    url: z.string().url(),
    mergeSha: Sha.nullable(),
    mergedBy: z.string().max(200).nullable(),
    mergedAt: Iso,
  }),
  PrClosed: z.object({
    deliveryId: z.string().min(1).max(200),
    repo: RepoSlug.optional(),
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
