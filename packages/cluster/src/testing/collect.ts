import type { JobEventBus, TrackedEvent } from '@comfy-gateway/comfy-core';
import type { StreamEvent } from '@comfy-gateway/schema';

export const warning = (n: number): StreamEvent => ({ type: 'warning', code: 'test', message: `event ${n}` });
export const numbered = (id: number, event: StreamEvent = warning(id)): TrackedEvent => ({
  id: String(id),
  event,
});
export const ids = (events: TrackedEvent[]) => events.map((e) => Number(e.id));

/** A subscriber that records what it gets and lets a test await the event with a given id. */
export function collect(bus: JobEventBus, promptId: string) {
  const events: TrackedEvent[] = [];
  const waiters: { id: number; resolve: () => void }[] = [];
  const off = bus.subscribe(promptId, (e) => {
    events.push(e);
    for (const w of waiters.filter((w) => w.id <= Number(e.id))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  return {
    events,
    off,
    /** Resolves once an event with this id (or a higher one) has arrived. */
    until: (id: number) =>
      events.some((e) => Number(e.id) >= id)
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiters.push({ id, resolve })),
  };
}

/** Drains an async iterable into an array. */
export async function drain<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
