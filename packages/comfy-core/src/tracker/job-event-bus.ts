import type { ErrorHook, JobListener, TrackedEvent } from '../types.ts';

/** What a backfill found: the numbered events after `after`, and whether some of them are gone. */
export interface JobEventBackfill {
  events: TrackedEvent[];
  /** Events after `after` were trimmed (or expired) before this read: the caller needs a fresh snapshot. */
  missed: boolean;
}

/**
 * The port between the tracker and wherever job events travel: this process only (the memory bus)
 * or every gateway instance (a Redis stream per job, `@comfy-gateway/cluster`). Only numbered
 * events cross it; ids are per job and strictly increasing, and a bus refuses one that is not.
 */
export interface JobEventBus {
  /** Appends a numbered event and hands it to the job's subscribers (on every instance). */
  publish(promptId: string, event: TrackedEvent): Promise<void>;
  /** Live events of one job from now on; returns the unsubscribe. Subscribe before `backfill`. */
  subscribe(promptId: string, listener: JobListener): () => void;
  /** The job's kept events with an id above `after` (0: all kept), oldest first. */
  backfill(promptId: string, after: number): Promise<JobEventBackfill>;
}

interface Log {
  events: TrackedEvent[];
  listeners: Set<JobListener>;
  /** Highest id published, and highest id dropped from the front of the log. */
  last: number;
  trimmed: number;
}

/**
 * The in-process bus: per job the last `maxLenPerJob` events and their listeners; the logs of the
 * `maxFinished` most recently finished jobs are kept, older ones go once nobody listens.
 */
export function createMemoryJobEventBus(
  o: { maxLenPerJob?: number; maxFinished?: number; onError?: ErrorHook } = {},
): JobEventBus {
  const maxLen = o.maxLenPerJob ?? 500;
  const maxFinished = o.maxFinished ?? 1000;
  const logs = new Map<string, Log>();
  const finished = new Set<string>();
  const forget = () => {
    for (const id of finished) {
      if (finished.size <= maxFinished) return;
      finished.delete(id);
      if (!logs.get(id)?.listeners.size) logs.delete(id);
    }
  };
  const logOf = (id: string): Log => {
    let log = logs.get(id);
    if (!log) logs.set(id, (log = { events: [], listeners: new Set(), last: 0, trimmed: 0 }));
    return log;
  };
  return {
    publish(promptId, event) {
      const log = logOf(promptId);
      const n = Number(event.id);
      if (!(n > log.last)) return Promise.resolve();
      log.last = n;
      log.events.push(event);
      if (log.events.length > maxLen) {
        const cut = log.events.splice(0, log.events.length - maxLen);
        log.trimmed = Number(cut.at(-1)?.id ?? log.trimmed);
      }
      for (const l of [...log.listeners]) {
        try {
          l(event);
        } catch (err) {
          // A broken subscriber must not stop the others (nor the publisher).
          o.onError?.('events.listener', err);
        }
      }
      if (event.event.type === 'done') {
        finished.add(promptId);
        forget();
      }
      return Promise.resolve();
    },
    subscribe(promptId, listener) {
      const log = logOf(promptId);
      log.listeners.add(listener);
      return () => {
        log.listeners.delete(listener);
        if (log.listeners.size === 0 && log.events.length === 0) logs.delete(promptId);
      };
    },
    backfill(promptId, after) {
      const log = logs.get(promptId);
      return Promise.resolve({
        events: log?.events.filter((e) => Number(e.id) > after) ?? [],
        missed: (log?.trimmed ?? 0) > after,
      });
    },
  };
}
