import { createMemoryJobEventBus } from '@comfy-gateway/comfy-core/tracker';
import type { JobEventBus, JobSnapshot } from '@comfy-gateway/comfy-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { followBus, streamFromBus } from './bus-stream.ts';
import { createEventFanIn } from './event-fan-in.ts';
import { createRedisJobEventBus } from './redis-job-event-bus.ts';
import { createRedisJobEventLog } from './redis-job-event-log.ts';
import { collect, drain, ids, numbered } from './testing/collect.ts';
import { redisFixture } from './testing/redis-fixture.ts';
import type { RedisFixture } from './testing/redis-fixture.ts';

let fx: RedisFixture;
beforeAll(async () => {
  fx = await redisFixture();
});
afterAll(() => fx.close());

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

let n = 0;
const BUSES: [string, (maxLenPerJob: number) => JobEventBus][] = [
  ['memory', (maxLenPerJob) => createMemoryJobEventBus({ maxLenPerJob })],
  [
    'redis',
    (maxLenPerJob) => {
      const redis = fx.connect();
      const log = createRedisJobEventLog(redis, { maxLenPerJob, prefix: `contract:${++n}:` });
      const fanIn = createEventFanIn({ redis, log, name: `contract-${n}` });
      closers.push(() => fanIn.close());
      return createRedisJobEventBus({ log, fanIn });
    },
  ],
];

const snapshot = { prompt_id: 'p', status: 'completed' } as JobSnapshot;

describe.each(BUSES)('JobEventBus contract: %s', (_name, makeBus) => {
  it('hands published events to subscribers in order, with their ids', async () => {
    const bus = makeBus(300);
    const sub = collect(bus, 'p');
    await bus.backfill('p', 0);
    for (let i = 1; i <= 5; i++) await bus.publish('p', numbered(i));
    await sub.until(5);
    expect(sub.events).toEqual([1, 2, 3, 4, 5].map((i) => numbered(i)));
  });

  it('refuses an id that is not above the last one: no repeat reaches anyone', async () => {
    const bus = makeBus(300);
    const sub = collect(bus, 'p');
    await bus.backfill('p', 0);
    for (const i of [1, 2, 3, 2, 3, 1, 4]) await bus.publish('p', numbered(i));
    await sub.until(4);
    expect(ids(sub.events)).toEqual([1, 2, 3, 4]);
    expect(ids((await bus.backfill('p', 0)).events)).toEqual([1, 2, 3, 4]);
  });

  it('backfills what follows `after`, oldest first; an unknown job has nothing', async () => {
    const bus = makeBus(300);
    for (const i of [1, 2, 5, 9]) await bus.publish('p', numbered(i));
    expect(await bus.backfill('p', 2)).toEqual({ events: [numbered(5), numbered(9)], missed: false });
    expect(await bus.backfill('p', 9)).toEqual({ events: [], missed: false });
    expect(await bus.backfill('nobody', 0)).toEqual({ events: [], missed: false });
  });

  it('keeps the newest events of a long job and says when a backfill starts before them', async () => {
    const bus = makeBus(100);
    for (let i = 1; i <= 250; i++) await bus.publish('p', numbered(i));
    const all = await bus.backfill('p', 0);
    const kept = ids(all.events);
    expect(all.missed).toBe(true);
    expect(kept.length).toBeGreaterThanOrEqual(100);
    expect(kept.length).toBeLessThan(250);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => 251 - kept.length + i));
    const first = kept[0] ?? 0;
    expect((await bus.backfill('p', first - 1)).missed).toBe(false);
  });

  it('subscribe then backfill, while events are being published, together hold every event', async () => {
    const bus = makeBus(300);
    const publishing = (async () => {
      for (let i = 1; i <= 100; i++) await bus.publish('p', numbered(i));
    })();
    const live = collect(bus, 'p');
    const { events } = await bus.backfill('p', 0);
    await publishing;
    await live.until(100);
    const seen = new Set([...ids(events), ...ids(live.events)]);
    expect([...seen].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(ids(live.events)).toEqual([...ids(live.events)].sort((x, y) => x - y));
  });

  it('keeps jobs apart and stops after unsubscribe', async () => {
    const bus = makeBus(300);
    const p = collect(bus, 'p');
    const q = collect(bus, 'q');
    const p2 = collect(bus, 'p');
    await Promise.all([bus.backfill('p', 0), bus.backfill('q', 0)]);
    await bus.publish('p', numbered(1));
    await bus.publish('q', numbered(7));
    await Promise.all([p.until(1), p2.until(1), q.until(7)]);
    p2.off();
    await bus.publish('p', numbered(2));
    await bus.publish('q', numbered(8));
    await Promise.all([p.until(2), q.until(8)]);
    expect(ids(p.events)).toEqual([1, 2]);
    expect(ids(p2.events)).toEqual([1]);
    expect(ids(q.events)).toEqual([7, 8]);
  });

  it('streamFromBus: subscribe, backfill after `after`, no repeats, ends after done', async () => {
    const bus = makeBus(300);
    for (let i = 1; i <= 3; i++) await bus.publish('p', numbered(i));
    const stream = drain(streamFromBus(bus, 'p', { after: 1 }));
    for (let i = 4; i <= 6; i++) await bus.publish('p', numbered(i));
    await bus.publish('p', numbered(7, { type: 'done', snapshot }));
    expect(ids(await stream)).toEqual([2, 3, 4, 5, 6, 7]);
    // A resume from the done it saw yields nothing more, a resume from before it the rest.
    expect(ids(await drain(streamFromBus(bus, 'p', { after: 5 })))).toEqual([6, 7]);
    expect(await drain(streamFromBus(bus, 'p', { after: 7 }))).toEqual([]);
  });

  it('streamFromBus: a resume older than what is kept starts with events_dropped and the newest status', async () => {
    const bus = makeBus(100);
    for (let i = 1; i <= 240; i++)
      await bus.publish('p', numbered(i, i === 230 ? { type: 'status', snapshot } : undefined));
    await bus.publish('p', numbered(241, { type: 'done', snapshot }));
    const got = await drain(streamFromBus(bus, 'p', { after: 3 }));
    expect(got[0]?.event).toMatchObject({ type: 'warning', code: 'events_dropped' });
    expect(ids(got.slice(1))).toEqual(Array.from({ length: 12 }, (_, i) => 230 + i));
  });

  it('followBus pushes the backfill, then each live event as the bus hands it over, and ends after done', async () => {
    const bus = makeBus(300);
    await bus.publish('p', numbered(1));
    const seen: number[] = [];
    let ended = 0;
    followBus(
      bus,
      'p',
      {},
      (e) => seen.push(Number(e.id)),
      () => void ended++,
    );
    await expect.poll(() => seen).toEqual([1]);
    const live = collect(bus, 'p'); // another subscriber, to know when the bus delivered
    await bus.publish('p', numbered(2));
    await live.until(2);
    expect(seen).toEqual([1, 2]); // delivered to both in the same hand-over, no await per listener
    await bus.publish('p', numbered(3, { type: 'done', snapshot }));
    await live.until(3);
    expect(seen).toEqual([1, 2, 3]);
    expect(ended).toBe(1);
  });

  it('followBus ends with the error when the backfill fails, before any event', async () => {
    const bus = makeBus(300);
    const failing: JobEventBus = { ...bus, backfill: () => Promise.reject(new Error('redis gone')) };
    const seen: unknown[] = [];
    const end = await new Promise<unknown>((resolve) =>
      followBus(failing, 'p', {}, (e) => seen.push(e), resolve),
    );
    expect(end).toMatchObject({ message: 'redis gone' });
    expect(seen).toEqual([]);
  });

  it('streamFromBus ends when its signal aborts', async () => {
    const bus = makeBus(300);
    await bus.publish('p', numbered(1));
    const ac = new AbortController();
    const seen: number[] = [];
    for await (const e of streamFromBus(bus, 'p', { signal: ac.signal })) {
      seen.push(Number(e.id));
      ac.abort();
    }
    expect(seen).toEqual([1]);
  });
});
