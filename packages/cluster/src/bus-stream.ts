import { iteratePush } from '@comfy-gateway/comfy-core';
import type { JobEventBus, StreamOptions, TrackedEvent } from '@comfy-gateway/comfy-core';
import type { StreamEvent } from '@comfy-gateway/schema';

const DROPPED: StreamEvent = {
  type: 'warning',
  code: 'events_dropped',
  message: 'some events were dropped; resuming from the current state',
};

type BusStreamOptions = Pick<StreamOptions, 'after' | 'signal'>;

/**
 * A job's events from the shared bus, for an instance that does not follow the job itself:
 * subscribe first, backfill after `after`, drop repeats by id, end after `done` (or on `signal`;
 * at once when `after` is the id of the job's `done`). Events go to `onEvent` synchronously as
 * the bus delivers them; `onEnd` runs once, with the error when the backfill failed (Redis away).
 * When the bus no longer holds what followed `after`, an `events_dropped` warning comes first and
 * the backfill starts at its newest `status` (a fresh snapshot), as the tracker's stream does.
 * Returns the function that stops following.
 */
export function followBus(
  bus: JobEventBus,
  promptId: string,
  o: BusStreamOptions,
  onEvent: (e: TrackedEvent) => void,
  onEnd: (err?: unknown) => void,
): () => void {
  const afterN = Number(o.after ?? 0);
  let last = Number.isFinite(afterN) && afterN > 0 ? Math.floor(afterN) : 0;
  // Live events wait here until the backfill is delivered.
  let queued: TrackedEvent[] | null = [];
  let over = false;
  const deliver = (e: TrackedEvent) => {
    const n = Number(e.id);
    if (over || n <= last) return;
    last = n;
    onEvent(e);
    if (e.event.type === 'done') end();
  };
  const off = bus.subscribe(promptId, (e) => (queued ? queued.push(e) : deliver(e)));
  const end = (err?: unknown) => {
    if (over) return;
    over = true;
    off();
    o.signal?.removeEventListener('abort', stop);
    onEnd(err);
  };
  const stop = () => end();
  if (o.signal?.aborted) {
    end();
    return stop;
  }
  o.signal?.addEventListener('abort', stop, { once: true });

  void (async () => {
    const { events, missed } = await bus.backfill(promptId, last);
    if (over) return;
    if (events.length === 0 && last > 0) {
      // Nothing after `after`: when `after` is the job's done, the client has everything already.
      const at = (await bus.backfill(promptId, last - 1)).events.find((e) => Number(e.id) === last);
      if (at?.event.type === 'done') return end();
    }
    let initial = events;
    if (missed) {
      onEvent({ id: '', event: DROPPED });
      const snapshotAt = events.findLastIndex((e) => e.event.type === 'status');
      initial = events.slice(Math.max(0, snapshotAt));
    }
    const live = queued ?? [];
    queued = null;
    for (const e of [...initial, ...live]) deliver(e);
  })().catch((err: unknown) => end(err));
  return stop;
}

/** `followBus` read as an async iterator (throws when the backfill failed). */
export function streamFromBus(
  bus: JobEventBus,
  promptId: string,
  o: BusStreamOptions = {},
): AsyncGenerator<TrackedEvent> {
  return iteratePush((onEvent, onEnd) => followBus(bus, promptId, o, onEvent, onEnd));
}
