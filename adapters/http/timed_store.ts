/**
 * An {@link EventStore} that times and counts the appends going through it, for
 * `event_store_append_seconds` and `events_appended_total`.
 *
 * @module
 */
import type {
  AppendResult,
  EventStore,
  ExpectedVersion,
  NewEvent,
  RawEvent,
  SubscribeOptions,
} from "../../domain/ports/event_store.ts";
import type { RecordedEvent } from "../../domain/events.ts";
import type { Metrics } from "./metrics.ts";

/** Wraps a store so that its appends are measured. */
export class TimedEventStore implements EventStore {
  constructor(readonly inner: EventStore, readonly metrics: Metrics) {}

  get engine(): string {
    return this.inner.engine;
  }

  async append(
    stream: string,
    expected: ExpectedVersion,
    events: NewEvent[],
  ): Promise<AppendResult> {
    const started = performance.now();
    try {
      const result = await this.inner.append(stream, expected, events);
      if (result.ok) this.metrics.eventsAppended.inc({}, result.events.length);
      return result;
    } finally {
      this.metrics.appendSeconds.observe((performance.now() - started) / 1000);
    }
  }

  readStream(stream: string, fromVersion?: number): Promise<RecordedEvent[]> {
    return this.inner.readStream(stream, fromVersion);
  }

  readAll(afterPosition: number, limit: number): Promise<RecordedEvent[]> {
    return this.inner.readAll(afterPosition, limit);
  }

  readAllRaw(afterPosition: number, limit: number): Promise<RawEvent[]> {
    return this.inner.readAllRaw(afterPosition, limit);
  }

  headPosition(): Promise<number> {
    return this.inner.headPosition();
  }

  subscribe(options: SubscribeOptions): AsyncIterable<RecordedEvent[]> {
    return this.inner.subscribe(options);
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
