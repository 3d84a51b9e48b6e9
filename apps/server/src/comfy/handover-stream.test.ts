import type { JobStream, TrackedEvent } from '@comfy-gateway/comfy-core';
import type { JobSnapshot } from '@comfy-gateway/schema';
import { describe, expect, it } from 'vitest';
import { withHandover } from './handover-stream.ts';

const snapshot = { prompt_id: 'p', status: 'running' } as JobSnapshot;
const status = (id: number): TrackedEvent => ({ id: String(id), event: { type: 'status', snapshot } });
const done = (id: number): TrackedEvent => ({ id: String(id), event: { type: 'done', snapshot } });

/** A stream fed by hand; `close` ends its iteration as the tracker's stream does. */
function manual(): JobStream & { push(e: TrackedEvent): void } {
  const queue: TrackedEvent[] = [];
  let wake: (() => void) | undefined;
  let closed = false;
  return {
    ended: false,
    snapshot,
    push(e) {
      queue.push(e);
      wake?.();
    },
    close() {
      closed = true;
      wake?.();
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const e = queue.shift();
        if (e) {
          yield e;
          if (e.event.type === 'done') return;
          continue;
        }
        if (closed) return;
        await new Promise<void>((r) => (wake = r));
      }
    },
  };
}

const fixed = (events: TrackedEvent[]): JobStream => ({
  ended: false,
  snapshot,
  close: () => undefined,
  [Symbol.asyncIterator]: async function* () {
    for (const e of events) yield await Promise.resolve(e);
  },
});

describe('withHandover', () => {
  it('after a hand-over the stream goes on from the shared events after the last id passed on', async () => {
    const local = manual();
    const asked: number[] = [];
    let failures = 1; // Redis still away on the first try
    let ended = 0;
    const s = withHandover(
      local,
      {},
      (after) => {
        asked.push(after);
        if (failures-- > 0) return Promise.reject(new Error('REDIS_UNAVAILABLE'));
        return Promise.resolve(fixed([status(3), done(4)]));
      },
      () => ended++,
    );
    const seen: string[] = [];
    const reading = (async () => {
      for await (const e of s) {
        seen.push(e.id);
        if (e.id === '2') s.handOver();
      }
    })();
    local.push(status(1));
    local.push(status(2));
    await reading;
    expect(seen).toEqual(['1', '2', '3', '4']);
    expect(asked).toEqual([2, 2]);
    expect(ended).toBeGreaterThan(0);
  });

  it('a stream closed by its consumer does not continue, and one that saw done never asks', async () => {
    const local = manual();
    let asked = 0;
    const s = withHandover(
      local,
      { after: 7 },
      () => (asked++, Promise.resolve(fixed([]))),
      () => undefined,
    );
    const reading = (async () => {
      const seen: string[] = [];
      for await (const e of s) seen.push(e.id);
      return seen;
    })();
    local.push(done(8));
    expect(await reading).toEqual(['8']);
    s.handOver();
    s.close();
    expect(asked).toBe(0);
  });
});
