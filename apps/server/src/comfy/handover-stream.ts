import { setTimeout as delay } from 'node:timers/promises';
import { forEachEvent, iteratePush } from '@comfy-gateway/comfy-core';
import type { JobStream, StreamOptions, TrackedEvent } from '@comfy-gateway/comfy-core';

/** Between tries to reach the shared events while Redis is away. */
const RETRY_MS = 500;

export interface HandoverStream extends JobStream {
  /** This instance stopped following the job (lost lease): carry on from the shared events. */
  handOver(): void;
}

/**
 * A stream a lease holder serves from its own pool. When the lease goes (Redis away, a partition)
 * the pool stops; the stream then continues from the shared events after the last id it passed
 * on, so its client sees no cut and no repeat. `resume` opens that continuation (it throws while
 * Redis is away: tried again until the client leaves).
 */
export function withHandover(
  local: JobStream,
  o: Pick<StreamOptions, 'after' | 'signal'>,
  resume: (after: number) => Promise<JobStream>,
  onEnd: () => void,
): HandoverStream {
  const start = Number(o.after ?? 0);
  let last = Number.isFinite(start) && start > 0 ? Math.floor(start) : 0;
  let handedOver = false;
  let closed = false;
  let next: JobStream | undefined;
  const gone = () => closed || o.signal?.aborted === true;

  /** Carries on from the shared events after `last`, retrying while Redis is away. */
  const continueFromShared = async (onEvent: (e: TrackedEvent) => void): Promise<void> => {
    while (handedOver && !gone()) {
      next = await resume(last).catch(() => undefined);
      if (next) {
        if (gone()) return next.close();
        return forEachEvent(next, onEvent);
      }
      await delay(RETRY_MS, undefined, o.signal ? { signal: o.signal } : {}).catch(() => undefined);
    }
  };

  const listen = (onEvent: (e: TrackedEvent) => void, onEnded: () => void): void => {
    let sawDone = false;
    const finish = () => {
      onEnd();
      onEnded();
    };
    forEachEvent(local, (e) => {
      if (e.id !== '') last = Number(e.id);
      if (e.event.type === 'done') sawDone = true;
      onEvent(e);
    })
      .then(() => (sawDone ? undefined : continueFromShared(onEvent)))
      .then(finish, finish);
  };

  const close = () => {
    closed = true;
    local.close();
    next?.close();
    onEnd();
  };

  return {
    get ended() {
      return local.ended;
    },
    snapshot: local.snapshot,
    close,
    handOver() {
      handedOver = true;
      local.close();
    },
    listen,
    [Symbol.asyncIterator]: () =>
      iteratePush<TrackedEvent>((onEvent, onEnded) => {
        listen(onEvent, onEnded);
        return close;
      }),
  };
}
