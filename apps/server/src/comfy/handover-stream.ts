import { setTimeout as delay } from 'node:timers/promises';
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

  async function* iterate(): AsyncGenerator<TrackedEvent> {
    try {
      for await (const e of local) {
        if (e.id !== '') last = Number(e.id);
        yield e;
        if (e.event.type === 'done') return;
      }
      while (handedOver && !gone()) {
        next = await resume(last).catch(() => undefined);
        if (next) {
          if (gone()) return next.close();
          yield* next;
          return;
        }
        await delay(RETRY_MS, undefined, o.signal ? { signal: o.signal } : {}).catch(() => undefined);
      }
    } finally {
      onEnd();
    }
  }

  return {
    get ended() {
      return local.ended;
    },
    snapshot: local.snapshot,
    close() {
      closed = true;
      local.close();
      next?.close();
      onEnd();
    },
    handOver() {
      handedOver = true;
      local.close();
    },
    [Symbol.asyncIterator]: () => iterate(),
  };
}
