import { describe, expect, it } from 'vitest';
import { iteratePush } from './push-iterator.ts';
import type { PushSource } from './push-iterator.ts';

/** A source the test drives by hand. */
function manual() {
  let emit: (n: number) => void = () => undefined;
  let finish: (err?: unknown) => void = () => undefined;
  let stopped = 0;
  const start: PushSource<number> = (onEvent, onEnd) => {
    emit = onEvent;
    finish = onEnd;
    return () => void stopped++;
  };
  return {
    start,
    emit: (n: number) => emit(n),
    finish: (err?: unknown) => finish(err),
    stopped: () => stopped,
  };
}

describe('iteratePush', () => {
  it('yields what was pushed before and while reading, in order, and ends with the source', async () => {
    const src = manual();
    const it = iteratePush(src.start);
    const first = it.next(); // starts the source
    src.emit(1);
    src.emit(2);
    expect(await first).toEqual({ value: 1, done: false });
    expect(await it.next()).toEqual({ value: 2, done: false });
    const third = it.next();
    src.emit(3);
    src.finish();
    expect(await third).toEqual({ value: 3, done: false });
    expect(await it.next()).toEqual({ value: undefined, done: true });
    expect(src.stopped()).toBe(1);
  });

  it('throws what the source failed with, after the events it pushed', async () => {
    const src = manual();
    const it = iteratePush(src.start);
    const first = it.next();
    src.emit(1);
    src.finish(new Error('redis gone'));
    expect(await first).toEqual({ value: 1, done: false });
    await expect(it.next()).rejects.toThrow('redis gone');
  });

  it('stops the source when the reader leaves early', async () => {
    const src = manual();
    const seen: number[] = [];
    const reading = (async () => {
      for await (const n of iteratePush(src.start)) {
        seen.push(n);
        if (n === 2) break;
      }
    })();
    await Promise.resolve();
    src.emit(1);
    src.emit(2);
    src.emit(3);
    await reading;
    expect(seen).toEqual([1, 2]);
    expect(src.stopped()).toBe(1);
  });
});
