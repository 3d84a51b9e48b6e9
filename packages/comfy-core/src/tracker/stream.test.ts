import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isGatewayError } from '../errors.ts';
import type { TrackedEvent } from '../types.ts';
import { executed, executing, f, GRAPH, IMG, NORMAL, P, rig, start, success } from './event-fixtures.ts';
import { EVENT_BUFFER } from './job-events.ts';
import { createMemoryJobRepository } from './memory-job-repository.ts';
import { forEachEvent } from './stream.ts';
import type { StreamOptions } from './stream.ts';

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

type Rig = ReturnType<typeof rig>;

type Mode = 'iterate' | 'listen';

/**
 * Reads a stream to its end in the background, by iterating it or through `listen` (the synchronous
 * push the SSE adapter uses); `events` fills as it goes.
 */
function collectBy(mode: Mode, r: Rig, o: StreamOptions = {}, id = P) {
  const events: TrackedEvent[] = [];
  const done = (async () => {
    if (mode === 'iterate') {
      for await (const e of r.tracker.stream(id, o)) events.push(e);
      return;
    }
    const stream = await r.tracker.openStream(id, o);
    if (!stream?.listen) throw new Error('expected a stream that can push');
    if (stream.ended) return;
    await forEachEvent(stream, (e) => events.push(e));
  })();
  return { events, done };
}

/** Tracks the fixture prompt without a listener of its own (so listener counts are the stream's). */
const track = (r: Rig) => r.tracker.track(P, { prompt: GRAPH, ownSocket: true });
const progress = (value: number) => f('progress', { value, max: 20, prompt_id: P, node: '2' });
const summary = (events: TrackedEvent[]) => events.map((e) => `${e.id}:${e.event.type}`);

describe.each(['iterate', 'listen'] as const)('stream(promptId, { after, signal }), read by %s', (mode) => {
  const collect = (r: Rig, o: StreamOptions = {}, id = P) => collectBy(mode, r, o, id);

  it('yields every event of a live job once, in order, and ends after done', async () => {
    const r = rig();
    track(r);
    const s = collect(r);
    await vi.advanceTimersByTimeAsync(0);
    r.feed(NORMAL);
    await s.done;
    expect(summary(s.events)).toEqual(summary(r.tracker.eventsSince(P)));
    expect(s.events.at(-1)?.event).toMatchObject({ type: 'done', snapshot: { status: 'completed' } });
    expect(r.tracker.listenerCount(P)).toBe(0);
  });

  it('resumes after an id without gaps or repeats', async () => {
    const r = rig();
    track(r);
    r.feed([start(), executing('1'), executing('2')]);
    const s = collect(r, { after: '2' });
    await vi.advanceTimersByTimeAsync(0);
    r.feed([executing('3'), executed('3'), success()]);
    await s.done;
    const all = r.tracker.eventsSince(P);
    expect(summary(s.events)).toEqual(summary(all.slice(2)));
  });

  it('tells an adapter up front: unknown (undefined), ended for this id (nothing to yield), or live', async () => {
    const r = rig();
    expect(await r.tracker.openStream('nope')).toBeUndefined();
    const err = await r.tracker
      .stream('nope')
      .next()
      .catch((e: unknown) => e);
    expect(isGatewayError(err) && err.code).toBe('NOT_FOUND');

    track(r);
    const live = await r.tracker.openStream(P, { after: 1 });
    expect(live?.ended).toBe(false);
    live?.close();
    r.feed(NORMAL);
    const lastId = r.tracker.eventsSince(P).at(-1)?.id ?? '';
    const ended = await r.tracker.openStream(P, { after: lastId });
    expect(ended).toMatchObject({ ended: true, snapshot: { status: 'completed' } });
    const none: TrackedEvent[] = [];
    for await (const e of ended ?? []) none.push(e);
    expect(none).toEqual([]);
    const one = await r.tracker.openStream(P, { after: Number(lastId) - 1 });
    expect(one?.ended).toBe(false);
    one?.close();
    expect(r.tracker.listenerCount(P)).toBe(0);
  });

  it('starts from a fresh snapshot with a warning when the buffer lost what the client missed', async () => {
    const r = rig();
    track(r);
    r.feed([start()]);
    for (let i = 0; i < EVENT_BUFFER + 20; i++) r.feed([progress(i % 20)]);
    const newest = Number(r.tracker.eventsSince(P).at(-1)?.id);
    const s = collect(r, { after: 3 });
    await vi.advanceTimersByTimeAsync(0);
    expect(s.events.map((e) => e.event.type)).toEqual(['warning', 'status']);
    expect(s.events[0]).toMatchObject({ id: '', event: { code: 'events_dropped' } });
    expect(s.events[1]).toMatchObject({ id: String(newest), event: { snapshot: { status: 'running' } } });
    r.feed([executed('3'), success()]);
    await s.done;
    const ids = s.events.slice(1).map((e) => Number(e.id));
    expect(ids).toEqual(ids.map((_, i) => newest + i));
    expect(s.events.at(-1)?.event.type).toBe('done');
  });

  it('passes previews only when asked', async () => {
    const r = rig();
    track(r);
    r.feed([start(), executing('2')]);
    const preview = {
      type: 'preview' as const,
      format: 'jpeg',
      mime: 'image/jpeg',
      data: new Uint8Array([1]),
      prompt_id: P,
    };
    const plain = collect(r);
    const withPreviews = collect(r, { previews: true });
    await vi.advanceTimersByTimeAsync(0);
    r.feed([preview, success()]);
    await Promise.all([plain.done, withPreviews.done]);
    expect(plain.events.some((e) => e.event.type === 'preview')).toBe(false);
    expect(withPreviews.events.filter((e) => e.event.type === 'preview')).toEqual([
      { id: '', event: expect.objectContaining({ type: 'preview', mime: 'image/jpeg' }) },
    ]);
  });

  it('ends on abort and detaches its listener, also when never iterated', async () => {
    const r = rig();
    track(r);
    const ac = new AbortController();
    const s = collect(r, { signal: ac.signal });
    await vi.advanceTimersByTimeAsync(0);
    expect(r.tracker.listenerCount(P)).toBe(1);
    r.feed([start()]);
    await vi.advanceTimersByTimeAsync(0);
    ac.abort();
    await s.done;
    expect(s.events.map((e) => e.event.type)).toEqual(['status', 'status']);
    expect(r.tracker.listenerCount(P)).toBe(0);

    const idle = new AbortController();
    await r.tracker.openStream(P, { signal: idle.signal });
    const closed = await r.tracker.openStream(P);
    expect(r.tracker.listenerCount(P)).toBe(2);
    idle.abort();
    closed?.close();
    expect(r.tracker.listenerCount(P)).toBe(0);

    const early = new AbortController();
    early.abort();
    const none = await r.tracker.openStream(P, { signal: early.signal });
    expect(r.tracker.listenerCount(P)).toBe(0);
    expect((await none?.[Symbol.asyncIterator]().next())?.done).toBe(true);
  });

  it('answers a finished job only the repository knows with its snapshot and done, at stable ids', async () => {
    const repo = createMemoryJobRepository();
    const before = rig({ repository: repo });
    track(before);
    before.feed([start(), executed('3'), success()]);
    const doneId = Number(before.tracker.eventsSince(P).at(-1)?.id);
    await before.tracker.flush();

    const after = rig({ repository: repo });
    const fresh = collect(after);
    await fresh.done;
    expect(summary(fresh.events)).toEqual([`${doneId - 1}:status`, `${doneId}:done`]);
    expect(fresh.events[1]?.event).toMatchObject({ snapshot: { status: 'completed', images: [IMG] } });
    expect((await after.tracker.openStream(P, { after: doneId }))?.ended).toBe(true);
    const old = collect(after, { after: 1 });
    await old.done;
    expect(summary(old.events)).toEqual([':warning', `${doneId - 1}:status`, `${doneId}:done`]);
    expect(after.tracker.size()).toBe(0);
  });

  it('resumes a job followed again after a restart from the current snapshot, ids above the floor', async () => {
    const repo = createMemoryJobRepository();
    const before = rig({ repository: repo });
    track(before);
    before.feed([start(), executing('1')]);
    const seen = Number(before.tracker.eventsSince(P).at(-1)?.id);
    await before.tracker.flush();
    const floor = (await repo.load(P))?.eventIdFloor ?? 0;

    const after = rig({ repository: repo });
    await after.tracker.restore();
    const s = collect(after, { after: seen });
    await vi.advanceTimersByTimeAsync(0);
    expect(s.events[0]).toMatchObject({ id: '', event: { code: 'events_dropped' } });
    expect(s.events[1]).toMatchObject({ event: { type: 'status', snapshot: { status: 'running' } } });
    expect(Number(s.events[1]?.id)).toBeGreaterThan(floor);
    after.feed([executed('3'), success()]);
    await s.done;
    expect(s.events.at(-1)?.event).toMatchObject({ type: 'done', snapshot: { images: [IMG] } });
  });
});

describe('forEachEvent(stream, onEvent)', () => {
  it('pushes events that came between opening and listening once, then the live ones, synchronously', async () => {
    const r = rig();
    track(r);
    const stream = await r.tracker.openStream(P);
    if (!stream) throw new Error('expected a stream');
    r.feed([start(), executing('1')]); // queued: nobody reads yet
    const seen: string[] = [];
    const ended = forEachEvent(stream, (e) => seen.push(`${e.id}:${e.event.type}`));
    const queuedAndInitial = seen.length;
    expect(queuedAndInitial).toBeGreaterThan(0);
    r.feed([progress(3)]);
    // No await in between: a live event reaches the listener within the tracker's emit.
    expect(seen.length).toBeGreaterThan(queuedAndInitial);
    r.feed([executed('3'), success()]);
    await ended;
    expect(seen).toEqual(summary(r.tracker.eventsSince(P)));
    expect(r.tracker.listenerCount(P)).toBe(0);
  });

  it('ends the stream and rejects when the listener throws; the tracker carries on', async () => {
    const r = rig();
    track(r);
    const stream = await r.tracker.openStream(P);
    if (!stream) throw new Error('expected a stream');
    let calls = 0;
    const ended = forEachEvent(stream, () => {
      calls++;
      throw new Error('socket gone');
    });
    r.feed([start(), executing('1')]);
    await expect(ended).rejects.toThrow('socket gone');
    expect(calls).toBe(1);
    expect(r.tracker.listenerCount(P)).toBe(0);
    const other = collectBy('listen', r);
    r.feed([success()]);
    await other.done;
    expect(other.events.at(-1)?.event.type).toBe('done');
  });

  it('falls back to iterating a stream that cannot push', async () => {
    const events: TrackedEvent[] = [{ id: '1', event: { type: 'warning', code: 'x', message: 'y' } }];
    const stream = {
      ended: false,
      snapshot: {} as never,
      close: () => undefined,
      [Symbol.asyncIterator]: async function* () {
        await Promise.resolve();
        yield* events;
      },
    };
    const seen: TrackedEvent[] = [];
    await forEachEvent(stream, (e) => seen.push(e));
    expect(seen).toEqual(events);
  });
});
