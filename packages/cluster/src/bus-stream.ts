import type { JobEventBus, StreamOptions, TrackedEvent } from '@comfy-gateway/comfy-core';
import type { StreamEvent } from '@comfy-gateway/schema';

const DROPPED: StreamEvent = {
  type: 'warning',
  code: 'events_dropped',
  message: 'some events were dropped; resuming from the current state',
};

/**
 * A job's events from the shared bus, for an instance that does not follow the job itself:
 * subscribe first, backfill after `after`, drop repeats by id, end after `done` (or on `signal`;
 * at once when `after` is the id of the job's `done`).
 * When the bus no longer holds what followed `after`, an `events_dropped` warning comes first and
 * the backfill starts at its newest `status` (a fresh snapshot), as the tracker's stream does.
 */
export async function* streamFromBus(
  bus: JobEventBus,
  promptId: string,
  o: Pick<StreamOptions, 'after' | 'signal'> = {},
): AsyncGenerator<TrackedEvent> {
  const afterN = Number(o.after ?? 0);
  let last = Number.isFinite(afterN) && afterN > 0 ? Math.floor(afterN) : 0;
  const queue: TrackedEvent[] = [];
  let wake: (() => void) | undefined;
  const off = bus.subscribe(promptId, (e) => {
    queue.push(e);
    wake?.();
  });
  const onAbort = () => wake?.();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const { events, missed } = await bus.backfill(promptId, last);
    if (events.length === 0 && last > 0) {
      // Nothing after `after`: when `after` is the job's done, the client has everything already.
      const at = (await bus.backfill(promptId, last - 1)).events.find((e) => Number(e.id) === last);
      if (at?.event.type === 'done') return;
    }
    let initial = events;
    if (missed) {
      yield { id: '', event: DROPPED };
      const snapshotAt = events.findLastIndex((e) => e.event.type === 'status');
      initial = events.slice(Math.max(0, snapshotAt));
    }
    initial.push(...queue.splice(0));
    for (;;) {
      if (o.signal?.aborted) return;
      for (const e of initial) {
        const n = Number(e.id);
        if (n <= last) continue;
        last = n;
        yield e;
        if (e.event.type === 'done') return;
      }
      if (queue.length === 0 && !o.signal?.aborted) await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
      initial = queue.splice(0);
    }
  } finally {
    off();
    o.signal?.removeEventListener('abort', onAbort);
  }
}
