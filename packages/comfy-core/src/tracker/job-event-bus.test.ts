import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '@comfy-gateway/schema';
import type { TrackedEvent } from '../types.ts';
import { createMemoryJobEventBus } from './job-event-bus.ts';
import type { JobEventBus } from './job-event-bus.ts';
import { createJobEvents } from './job-events.ts';
import { NORMAL, P, rig } from './event-fixtures.ts';

const warn = (n: number): StreamEvent => ({ type: 'warning', code: 'w', message: String(n) });
const ev = (id: number, event: StreamEvent = warn(id)): TrackedEvent => ({ id: String(id), event });

describe('createMemoryJobEventBus (specifics; the shared contract runs in @comfy-gateway/cluster)', () => {
  it('keeps the last maxLenPerJob events and says a backfill from before them missed some', async () => {
    const bus = createMemoryJobEventBus({ maxLenPerJob: 3 });
    for (let i = 1; i <= 5; i++) await bus.publish(P, ev(i));
    expect(await bus.backfill(P, 0)).toEqual({ events: [ev(3), ev(4), ev(5)], missed: true });
    expect(await bus.backfill(P, 2)).toEqual({ events: [ev(3), ev(4), ev(5)], missed: false });
    expect(await bus.backfill('unknown', 0)).toEqual({ events: [], missed: false });
  });

  it('drops the logs of the oldest finished jobs nobody listens to', async () => {
    const bus = createMemoryJobEventBus({ maxFinished: 1 });
    const done = (id: number): TrackedEvent =>
      ev(id, { type: 'done', snapshot: { prompt_id: 'x' } as never });
    await bus.publish('a', done(1));
    const off = bus.subscribe('b', () => undefined);
    await bus.publish('b', done(1));
    await bus.publish('c', done(1));
    expect((await bus.backfill('a', 0)).events).toEqual([]);
    expect((await bus.backfill('c', 0)).events).toEqual([done(1)]);
    off();
  });

  it('a throwing listener goes to onError and the others still get the event', async () => {
    const errors: string[] = [];
    const bus = createMemoryJobEventBus({ onError: (where) => errors.push(where) });
    const seen: string[] = [];
    bus.subscribe(P, () => {
      throw new Error('broken');
    });
    bus.subscribe(P, (e) => seen.push(e.id));
    await bus.publish(P, ev(1));
    expect(seen).toEqual(['1']);
    expect(errors).toEqual(['events.listener']);
  });
});

describe('createJobEvents with a shared bus', () => {
  it('publishes every numbered event of a tracked job there, with the same ids, previews not', async () => {
    const shared = createMemoryJobEventBus();
    const events = createJobEvents({ shared });
    const r = rig({ events });
    const local = r.follow();
    r.feed(NORMAL);
    events.emit(P, { type: 'preview', node: null, mime: 'image/png', data: '' });
    const { events: remote } = await shared.backfill(P, 0);
    expect(local.at(-1)?.type).toBe('preview');
    expect(remote.map((e) => e.event)).toEqual(local.slice(0, -1));
    expect(remote.map((e) => e.id)).toEqual(r.tracker.eventsSince(P).map((e) => e.id));
    expect(remote.at(-1)?.event.type).toBe('done');
  });

  it('a failing shared bus goes to onError; local listeners and ids are unaffected', async () => {
    const errors: string[] = [];
    const failing: JobEventBus = {
      publish: () => Promise.reject(new Error('redis down')),
      subscribe: () => () => undefined,
      backfill: () => Promise.resolve({ events: [], missed: false }),
    };
    const events = createJobEvents({ shared: failing, onError: (where) => errors.push(where) });
    events.open(P, { floor: 0, onReserve: () => undefined });
    const seen: string[] = [];
    events.subscribe(P, (e) => seen.push(e.id));
    events.emit(P, warn(1));
    events.emit(P, warn(2));
    await Promise.resolve();
    await Promise.resolve();
    expect(seen).toEqual(['1', '2']);
    expect(errors).toEqual(['tracker.shared_events', 'tracker.shared_events']);
  });
});
