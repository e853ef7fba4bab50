/**
 * Subscriptions to the log: a consumer reads batches after its position, is
 * woken at once by commits in this process, and polls for other processes'.
 *
 * @module
 */
import type { RecordedEvent } from "../../../domain/events.ts";
import type { SubscribeOptions } from "../../../domain/ports/event_store.ts";
import { CommitNotifier } from "../commit_notifier.ts";
import { subscribeOptions } from "../subscribe_options.ts";

export { CommitNotifier };

/** What a subscription needs from its store. */
export interface SubscriptionSource {
  notifier: CommitNotifier;
  /** True once the store is closed: subscriptions end. */
  closed(): boolean;
  readAll(afterPosition: number, limit: number): Promise<RecordedEvent[]>;
}

/**
 * Batches of events after `fromPosition`, in order, until the signal aborts or
 * the store closes. Polling for other processes is a `position > ?` index seek
 * that returns nothing when nothing is new: as cheap as any change check.
 */
export async function* subscribeToLog(
  source: SubscriptionSource,
  options: SubscribeOptions,
): AsyncGenerator<RecordedEvent[], void, undefined> {
  const { batchSize, pollIntervalMs, signal } = subscribeOptions(options);
  let position = options.fromPosition;
  while (!signal?.aborted && !source.closed()) {
    const ticket = source.notifier.ticket();
    let batch: RecordedEvent[];
    try {
      batch = await source.readAll(position, batchSize);
    } catch (error) {
      if (source.closed()) return; // closed while reading: end quietly
      throw error;
    }
    if (batch.length > 0) {
      position = batch[batch.length - 1].position;
      yield batch;
      continue;
    }
    await source.notifier.wait(ticket, pollIntervalMs, signal);
  }
}
