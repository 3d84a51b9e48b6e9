import type { StreamEvent } from '@comfy-gateway/schema';
import { describe, expect, it } from 'vitest';
import { listenTo } from '../listenable.ts';
import type { PromptStream, StreamItem } from '../services.ts';
import { statusEvents } from './status-events.ts';

const status = { type: 'status' } as unknown as StreamEvent;
const warning = { type: 'warning', code: 'events_dropped', message: 'x' } as unknown as StreamEvent;
const done = { type: 'done' } as unknown as StreamEvent;

/** A stream of `items` that pushes them when listened to (or, without `listen`, is iterated). */
function fakeStream(items: StreamItem[], withListen: boolean) {
  const state = { closed: 0 };
  const stream: PromptStream = {
    close: () => void state.closed++,
    [Symbol.asyncIterator]: () => {
      let i = 0;
      return {
        next: () =>
          Promise.resolve(
            i < items.length
              ? { done: false, value: items[i++] as StreamItem }
              : { done: true, value: undefined },
          ),
      };
    },
    ...(withListen
      ? {
          listen(onItem: (e: StreamItem) => void, onEnd: () => void) {
            for (const e of items) onItem(e);
            onEnd();
          },
        }
      : {}),
  };
  return { stream, state };
}

/** Listens and collects: `[id, type]` per value, then `complete` or `error`. */
function collect(sub: ReturnType<typeof statusEvents>, throwOn?: string) {
  const seen: string[] = [];
  return new Promise<string[]>((resolve) => {
    listenTo(sub, {
      next([id, event]) {
        if (event.type === throwOn) throw new Error('socket gone');
        seen.push(`${id} ${event.type}`);
      },
      complete: () => resolve([...seen, 'complete']),
      error: (err) => resolve([...seen, `error ${(err as Error).message}`]),
    });
  });
}

const items: StreamItem[] = [
  { id: '', event: warning }, // before any id: nothing to resume from, not sent
  { id: '4', event: status },
  { id: '', event: warning }, // carries the last id
  { id: '5', event: done },
];

describe('statusEvents', () => {
  for (const withListen of [true, false]) {
    it(`listened to ${withListen ? 'through the stream’s listen' : 'by iterating the stream'}: tracked ids, then complete, released once`, async () => {
      const { stream, state } = fakeStream(items, withListen);
      let released = 0;
      const sub = statusEvents({
        open: () => Promise.resolve(stream),
        lastEventId: null,
        openSubscriber: () => () => void released++,
      });
      expect(await collect(sub)).toEqual(['4 status', '4 warning', '5 done', 'complete']);
      expect(released).toBe(1);
      expect(state.closed).toBeGreaterThan(0);
    });
  }

  it('gives the same values when iterated, resuming after lastEventId', async () => {
    const { stream } = fakeStream(items.slice(2), false);
    const sub = statusEvents({
      open: () => Promise.resolve(stream),
      lastEventId: '4',
      openSubscriber: () => () => undefined,
    });
    const seen: string[] = [];
    for await (const [id, event] of sub) seen.push(`${id} ${event.type}`);
    expect(seen).toEqual(['4 warning', '5 done']);
  });

  it('ends with an error when opening fails or the sink throws (the throw never reaches the stream)', async () => {
    const failing = statusEvents({
      open: () => Promise.reject(new Error('unknown prompt')),
      lastEventId: null,
      openSubscriber: () => () => undefined,
    });
    expect(await collect(failing)).toEqual(['error unknown prompt']);
    const { stream, state } = fakeStream(items, true);
    let released = 0;
    const sub = statusEvents({
      open: () => Promise.resolve(stream),
      lastEventId: null,
      openSubscriber: () => () => void released++,
    });
    expect(await collect(sub, 'warning')).toEqual(['4 status', 'error socket gone']);
    expect(released).toBe(1);
    expect(state.closed).toBe(1);
  });

  it('a stop completes nothing; an iterator returned before its first read still releases', async () => {
    let released = 0;
    const opened: PromptStream[] = [];
    const open = () => {
      const { stream } = fakeStream([], false);
      opened.push(stream);
      return Promise.resolve(stream);
    };
    const sub = statusEvents({ open, lastEventId: null, openSubscriber: () => () => void released++ });
    const calls: string[] = [];
    const stop = listenTo(sub, {
      next: () => calls.push('next'),
      complete: () => calls.push('complete'),
      error: () => calls.push('error'),
    });
    stop();
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual([]);
    expect(released).toBe(0); // stopped before the stream was open: never counted

    const iterated = statusEvents({ open, lastEventId: null, openSubscriber: () => () => void released++ });
    await iterated[Symbol.asyncIterator]().return?.();
    expect(released).toBe(0);
    const read = statusEvents({ open, lastEventId: null, openSubscriber: () => () => void released++ });
    const it = read[Symbol.asyncIterator]();
    expect(await it.next()).toEqual({ done: true, value: undefined });
    expect(released).toBe(1);
  });
});
