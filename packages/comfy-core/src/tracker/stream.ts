import type { JobSnapshot, StreamEvent } from '@comfy-gateway/schema';
import type { TrackedEvent } from '../types.ts';
import type { JobEvents } from './job-events.ts';
import { isFinal, recordFromStored, snapshotOf } from './job-record.ts';
import type { JobRecord } from './job-record.ts';
import type { StoredJob } from './job-repository.ts';
import { iteratePush } from './push-iterator.ts';

export interface StreamOptions {
  /** Resume after this event id (SSE `Last-Event-ID`, tRPC `lastEventId`); absent: from the start. */
  after?: string | number | null | undefined;
  /** Ends the iteration and detaches the listener. */
  signal?: AbortSignal | undefined;
  /** Pass previews (unnumbered, never buffered) through; off by default. */
  previews?: boolean | undefined;
}

/** One prompt's events, opened: already subscribed, so nothing falls between opening and reading. */
export interface JobStream extends AsyncIterable<TrackedEvent> {
  /** The client already has the final event: the iteration yields nothing (REST answers 204). */
  readonly ended: boolean;
  /** The prompt's state when the stream was opened. */
  readonly snapshot: JobSnapshot;
  /** Detaches without iterating (an adapter that answers 204, or gives up before reading). */
  close(): void;
  /**
   * Instead of iterating: hands every event to `onEvent` synchronously as it arrives (no promise
   * per event, which matters with thousands of subscribers), then calls `onEnd` once (after
   * `done`, on close or abort). Use one or the other, once. See `forEachEvent`.
   */
  listen?(onEvent: (e: TrackedEvent) => void, onEnd: () => void): void;
}

/**
 * Runs `onEvent` for each event of `stream`, synchronously where the stream can push (`listen`),
 * else by iterating; resolves when the stream ends. An `onEvent` that throws ends the stream.
 */
export function forEachEvent(stream: JobStream, onEvent: (e: TrackedEvent) => void): Promise<void> {
  if (!stream.listen) {
    return (async () => {
      for await (const e of stream) onEvent(e);
    })();
  }
  return new Promise<void>((resolve, reject) => {
    let failed: { err: unknown } | undefined;
    stream.listen?.(
      (e) => {
        if (failed) return;
        try {
          onEvent(e);
        } catch (err) {
          failed = { err };
          stream.close();
        }
      },
      () => (failed ? reject(failed.err) : resolve()),
    );
  });
}

const DROPPED: StreamEvent = {
  type: 'warning',
  code: 'events_dropped',
  message: 'some events were dropped; resuming from the current state',
};

const afterOf = (after: StreamOptions['after']): number => {
  const n = Number(after ?? 0);
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
};

/** Where the stream reads from: a job this process follows, or one only the repository knows. */
export type StreamSource = { live: JobRecord } | { stored: StoredJob };

/**
 * Opens a job's stream: subscribe first, then backfill from the buffer after `after`, dropping
 * duplicates by id, ending after `done`. A resume older than the buffer (or from an earlier
 * process) gets an `events_dropped` warning and a fresh snapshot instead of what it missed.
 */
export function openJobStream(bus: JobEvents, source: StreamSource, o: StreamOptions = {}): JobStream {
  const after = afterOf(o.after);
  // Events that come before anyone listens; then `push` hands them straight to the listener.
  const queue: TrackedEvent[] = [];
  let push: ((e: TrackedEvent) => void) | null = null;
  let onDetach: (() => void) | null = null;
  let detached = false;
  let off: () => void = () => undefined;

  const detach = () => {
    if (detached) return;
    detached = true;
    off();
    o.signal?.removeEventListener('abort', detach);
    onDetach?.();
  };

  let initial: TrackedEvent[];
  let last = after;
  let final: boolean;
  let snapshot: JobSnapshot;

  if ('stored' in source) {
    // A final job from the repository: its snapshot and `done`, at ids that end at its floor.
    const job = recordFromStored(source.stored);
    snapshot = snapshotOf(job);
    final = true;
    const doneId = Math.max(2, source.stored.eventIdFloor);
    initial = [
      ...(after > 0 && after < doneId - 1 ? [{ id: '', event: DROPPED }] : []),
      { id: String(doneId - 1), event: { type: 'status', snapshot } },
      { id: String(doneId), event: { type: 'done', snapshot } },
    ];
  } else {
    const job = source.live;
    off = bus.subscribe(job.id, (e) => {
      if (push) push(e);
      else queue.push(e);
    });
    snapshot = snapshotOf(job);
    final = isFinal(job);
    const ids = bus.ids(job.id) ?? { initial: 1, last: 0, firstBuffered: 1, floor: 0 };
    const expected = after > 0 ? after + 1 : ids.initial;
    // An id above any handed out (not from this job's life): treated like a gap.
    const ahead = after > ids.last && !final;
    if ((ids.last >= expected && ids.firstBuffered > expected) || ahead) {
      // What the client missed is gone: the current state instead, as of the newest event.
      const buffered = bus.since(job.id, 0);
      const done = final ? buffered.at(-1) : undefined;
      const cut = done ? ids.last - 1 : ids.last;
      initial = [
        ...(after > 0 ? [{ id: '', event: DROPPED }] : []),
        { id: String(cut), event: { type: 'status', snapshot } },
        ...(done ? [done] : []),
      ];
      last = cut - 1;
    } else {
      initial = bus.since(job.id, after);
    }
  }
  const ended = final && !initial.some((e) => e.id !== '' && Number(e.id) > last);

  if (o.signal?.aborted || ended) detach();
  else o.signal?.addEventListener('abort', detach, { once: true });

  /** Previews only when asked, numbered events once each, in order. */
  const pass = (e: TrackedEvent): boolean => {
    if (e.event.type === 'preview') return o.previews === true;
    if (e.id === '') return true;
    const n = Number(e.id);
    if (n <= last) return false;
    last = n;
    return true;
  };

  const listen = (onEvent: (e: TrackedEvent) => void, onEnd: () => void): void => {
    let over = false;
    const end = () => {
      if (over) return;
      over = true;
      push = null;
      detach();
      onEnd();
    };
    const deliver = (e: TrackedEvent) => {
      if (over || !pass(e)) return;
      onEvent(e);
      if (e.event.type === 'done') end();
    };
    if (detached) return end();
    onDetach = end;
    const backlog = [...initial, ...queue.splice(0)];
    // A long-lived stream must not keep the buffer's copy it started from.
    initial = [];
    for (const e of backlog) deliver(e);
    if (!over && !detached) push = deliver;
  };

  return {
    ended,
    snapshot,
    close: detach,
    listen,
    [Symbol.asyncIterator]: () =>
      iteratePush<TrackedEvent>((onEvent, onEnd) => {
        listen(onEvent, onEnd);
        return detach;
      }),
  };
}
