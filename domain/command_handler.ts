/**
 * Runs a command against an issue stream: load the state, decide, append with
 * the expected version, and on a version conflict start again (bounded).
 *
 * @module
 */
import type { EventStore, NewEvent } from "./ports/event_store.ts";
import { type DomainEvent, issueStream, type RecordedEvent } from "./events.ts";
import type { RunCommand } from "./run/commands.ts";
import { decide } from "./run/decide.ts";
import { type DomainError, isDomainError } from "./run/errors.ts";
import { evolve, initialState, type IssueState } from "./run/state.ts";

/** Who is acting, and why; stamped on every event the command appends. */
export interface CommandContext {
  /** `jira:<accountId>`, `github:<login>`, `worker:<id>`, `cli:<user>`, … */
  actor: string;
  causationId?: string;
  deliveryId?: string;
}

/** The outcome of a handled command. */
export type HandleResult =
  | {
    ok: true;
    /** What was appended (empty when the command changed nothing, e.g. a duplicate). */
    events: RecordedEvent[];
    /** The issue's state after the command. */
    state: IssueState;
    /** The stream version after the command. */
    version: number;
  }
  | { ok: false; error: DomainError }
  | { ok: false; error: { kind: "too_much_contention"; message: string } };

/** Loads an issue's state and stream version from the store. */
export async function loadIssue(
  store: EventStore,
  issueKey: string,
): Promise<{ state: IssueState; version: number }> {
  const events = await store.readStream(issueStream(issueKey));
  let state = initialState();
  for (const e of events) state = evolve(state, e);
  return { state, version: events.length ? events[events.length - 1].version : 0 };
}

function runIdOf(event: DomainEvent): string | undefined {
  const data = event.data as { runId?: string | null };
  return data.runId ?? undefined;
}

/** Adds metadata (correlation = run id, causation, actor, delivery) to decided events. */
export function withMetadata(events: DomainEvent[], ctx: CommandContext): NewEvent[] {
  return events.map((e) => {
    const data = e.data as { deliveryId?: string };
    const metadata = {
      actor: ctx.actor,
      correlationId: runIdOf(e),
      causationId: ctx.causationId,
      deliveryId: ctx.deliveryId ?? data.deliveryId,
    };
    return { ...e, metadata } as NewEvent;
  });
}

/**
 * Handles one command for one issue. Version conflicts (another writer got
 * there first) are retried up to `maxAttempts` times with fresh state.
 */
export async function handleCommand(
  store: EventStore,
  issueKey: string,
  command: RunCommand,
  ctx: CommandContext,
  maxAttempts = 8,
): Promise<HandleResult> {
  const stream = issueStream(issueKey);
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const { state, version } = await loadIssue(store, issueKey);
    const decision = decide(command, state);
    if (isDomainError(decision)) return { ok: false, error: decision };
    if (decision.length === 0) return { ok: true, events: [], state, version };
    const result = await store.append(
      stream,
      version === 0 ? "no_stream" : version,
      withMetadata(decision, ctx),
    );
    if (result.ok) {
      let next = state;
      for (const e of result.events) next = evolve(next, e);
      return { ok: true, events: result.events, state: next, version: result.nextVersion };
    }
  }
  return {
    ok: false,
    error: {
      kind: "too_much_contention",
      message: `gave up after ${maxAttempts} version conflicts on ${stream}`,
    },
  };
}

/** How a run request was taken: a new queued run, folded into one, or already seen. */
export type RequestOutcome = { status: "queued" | "coalesced" | "duplicate"; runId: string };

/** Reads the outcome of a handled `RequestRun` for `deliveryId`. */
export function requestOutcome(
  result: Extract<HandleResult, { ok: true }>,
  deliveryId: string,
): RequestOutcome {
  // A request may first cancel a waiting refusal notice: look past it.
  const first = result.events.find((e) =>
    e.type === "RunRequested" || e.type === "RunRequestCoalesced"
  );
  if (first?.type === "RunRequested") return { status: "queued", runId: first.data.runId };
  if (first?.type === "RunRequestCoalesced") {
    return { status: "coalesced", runId: first.data.runId };
  }
  return { status: "duplicate", runId: result.state.deliveries[deliveryId] ?? "" };
}
