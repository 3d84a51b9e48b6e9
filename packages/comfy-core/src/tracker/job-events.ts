import type { StreamEvent } from '@comfy-gateway/schema';
import type { ErrorHook, JobListener, TrackedEvent } from '../types.ts';
import type { JobEventBus } from './job-event-bus.ts';

/** Events kept per job for resuming streams; previews are never kept. */
export const EVENT_BUFFER = 500;
/** Event ids are reserved (and their ceiling persisted) this many at a time, not per event. */
export const EVENT_ID_BLOCK = 1000;

interface Channel {
  events: TrackedEvent[];
  listeners: Set<JobListener>;
  /** The first id this process handed out for the job (1, or the stored floor + 1 after a restart). */
  initialId: number;
  nextId: number;
  /** Ids up to here are reserved: the job's `eventIdFloor`. */
  reserved: number;
  onReserve: (floor: number) => void;
}

/**
 * The live half of the tracker: per job, numbered events in a bounded buffer and their listeners.
 * Ids are per job and strictly increasing; a new block is reserved (and reported, so the tracker
 * persists it) while half of the current one is still left, so a restart continues above it.
 * With `shared` (a cluster), every numbered event is also published there for the other instances.
 */
export function createJobEvents(o: { onError?: ErrorHook; shared?: JobEventBus } = {}) {
  const channels = new Map<string, Channel>();

  const nextId = (c: Channel): number => {
    const id = c.nextId++;
    if (c.nextId > c.reserved - EVENT_ID_BLOCK / 2) {
      c.reserved += EVENT_ID_BLOCK;
      c.onReserve(c.reserved);
    }
    return id;
  };

  return {
    /** Starts a job's channel; ids continue above `floor` (0 for a new job). */
    open(promptId: string, o: { floor: number; onReserve: (floor: number) => void }): void {
      const existing = channels.get(promptId);
      // A job moving between trackers of a pool keeps its channel (ids continue); the new holder persists.
      if (existing) {
        existing.onReserve = o.onReserve;
        return;
      }
      const first = Math.max(0, Math.floor(o.floor)) + 1;
      channels.set(promptId, {
        events: [],
        listeners: new Set(),
        initialId: first,
        nextId: first,
        reserved: first - 1 + EVENT_ID_BLOCK,
        onReserve: o.onReserve,
      });
    },

    /** Appends an event with the next id (previews get none and are not kept), then tells listeners. */
    emit(promptId: string, event: StreamEvent): void {
      const c = channels.get(promptId);
      if (!c) return;
      let tracked: TrackedEvent;
      if (event.type === 'preview') {
        tracked = { id: '', event };
      } else {
        tracked = { id: String(nextId(c)), event };
        c.events.push(tracked);
        if (c.events.length > EVENT_BUFFER) c.events.splice(0, c.events.length - EVENT_BUFFER);
      }
      for (const l of [...c.listeners]) {
        try {
          l(tracked);
        } catch (err) {
          // A broken subscriber must not stop the others (nor the tracker).
          o.onError?.('tracker.listener', err);
        }
      }
      if (tracked.id !== '' && o.shared) {
        // Local listeners never wait on the shared bus; a failed publish is the other instances' gap.
        o.shared
          .publish(promptId, tracked)
          .catch((err: unknown) => o.onError?.('tracker.shared_events', err));
      }
    },

    /** Buffered events with an id above `after`. */
    since(promptId: string, after = 0): TrackedEvent[] {
      const events = channels.get(promptId)?.events ?? [];
      return events.filter((e) => Number(e.id) > after);
    },

    subscribe(promptId: string, listener: JobListener): () => void {
      const c = channels.get(promptId);
      if (!c) return () => undefined;
      c.listeners.add(listener);
      return () => void c.listeners.delete(listener);
    },

    /** Ids of the job: reserved ceiling, first of this process, last handed out, first still buffered. */
    ids(
      promptId: string,
    ): { floor: number; initial: number; last: number; firstBuffered: number } | undefined {
      const c = channels.get(promptId);
      if (!c) return undefined;
      return {
        floor: c.reserved,
        initial: c.initialId,
        last: c.nextId - 1,
        firstBuffered: Number(c.events[0]?.id ?? c.nextId),
      };
    },

    listenerCount: (promptId: string): number => channels.get(promptId)?.listeners.size ?? 0,
    drop: (promptId: string): void => void channels.delete(promptId),
  };
}

export type JobEvents = ReturnType<typeof createJobEvents>;
