/**
 * Follows an issue's stream for `deno task demo`: hands each newly recorded
 * event to a callback until one of them ends the wait, or a deadline passes.
 *
 * @module
 */
import type { RecordedEvent } from "../../domain/events.ts";
import type { EventStore } from "../../domain/ports/event_store.ts";

/** What {@link followStream} watches for. */
export interface FollowOptions {
  /** The stream version to start after (0: from the first event). */
  afterVersion: number;
  /** True for the event that ends the wait. */
  until: (event: RecordedEvent) => boolean;
  /** Called for every new event, in order (the ending one included). */
  onEvent: (event: RecordedEvent) => void;
  /** Give up after this long (a safety net, not a measurement). */
  timeoutMs: number;
  /** How often to look; default 100 ms. */
  pollMs?: number;
}

/** What following found: the ending event (null on timeout) and the last version seen. */
export interface FollowResult {
  ended: RecordedEvent | null;
  lastVersion: number;
}

/** Polls `stream` for new events; see {@link FollowOptions}. */
export async function followStream(
  store: EventStore,
  stream: string,
  options: FollowOptions,
): Promise<FollowResult> {
  const deadline = Date.now() + options.timeoutMs;
  let lastVersion = options.afterVersion;
  for (;;) {
    const events = await store.readStream(stream, lastVersion + 1);
    for (const e of events) {
      lastVersion = e.version;
      options.onEvent(e);
      if (options.until(e)) return { ended: e, lastVersion };
    }
    if (Date.now() > deadline) return { ended: null, lastVersion };
    await new Promise((r) => setTimeout(r, options.pollMs ?? 100));
  }
}
