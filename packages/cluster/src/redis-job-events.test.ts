import { createJobEvents } from '@comfy-gateway/comfy-core/tracker';
import type { JobSnapshot, TrackedEvent } from '@comfy-gateway/comfy-core';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { streamFromBus } from './bus-stream.ts';
import { createEventFanIn } from './event-fan-in.ts';
import { createRedisJobEventBus } from './redis-job-event-bus.ts';
import { createRedisJobEventLog } from './redis-job-event-log.ts';
import { collect, ids, numbered, warning } from './testing/collect.ts';
import { nextCall, redisFixture } from './testing/redis-fixture.ts';
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
/** One gateway instance's share of the cluster: its own connection, log view, fan-in and bus. */
function instance(name: string, o: { blockMs?: number; onResync?: (ids: string[]) => void } = {}) {
  const redis = fx.connect(`cmd-${name}`);
  const log = createRedisJobEventLog(redis, { prefix: `ev${n}:` });
  const fanIn = createEventFanIn({ redis, log, name: `${name}-${n}`, retryMs: 50, ...o });
  closers.push(() => fanIn.close());
  return { redis, log, fanIn, bus: createRedisJobEventBus({ log, fanIn }) };
}

const snapshot = { prompt_id: 'p', status: 'completed' } as JobSnapshot;
const readers = async (admin: Redis, prefix: string) =>
  String(await admin.call('CLIENT', 'LIST'))
    .split('\n')
    .filter((line) => line.includes(`name=cg-fan-in:${prefix}`));

describe('job events across instances (Redis streams)', () => {
  it('an event emitted by the tracker on A reaches a subscriber on B with the same id', async () => {
    n++;
    const a = instance('a');
    const b = instance('b');
    const events = createJobEvents({ shared: a.bus });
    events.open('job', { floor: 41, onReserve: () => undefined });
    const local: TrackedEvent[] = [];
    events.subscribe('job', (e) => local.push(e));
    const onB = collect(b.bus, 'job');
    await b.bus.backfill('job', 0);
    events.emit('job', warning(1));
    events.emit('job', { type: 'done', snapshot });
    await onB.until(43);
    expect(onB.events).toEqual(local);
    expect(ids(onB.events)).toEqual([42, 43]);
  });

  it('a resume with `after` on B backfills from Redis without gaps or repeats', async () => {
    n++;
    const a = instance('a');
    const b = instance('b');
    for (let i = 1; i <= 10; i++) await a.bus.publish('job', numbered(i));
    // A first client on B reads up to 6, then drops.
    const first: number[] = [];
    for await (const e of streamFromBus(b.bus, 'job')) {
      first.push(Number(e.id));
      if (e.id === '6') break;
    }
    for (let i = 11; i <= 14; i++) await a.bus.publish('job', numbered(i));
    const resumed: number[] = [];
    const done = (async () => {
      for await (const e of streamFromBus(b.bus, 'job', { after: 6 })) resumed.push(Number(e.id));
    })();
    await a.bus.publish('job', numbered(15, { type: 'done', snapshot }));
    await done;
    expect([...first, ...resumed]).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
  });

  it('a job moving to another holder (lease taken over) keeps rising ids for a subscriber on a third instance', async () => {
    n++;
    const a = instance('a');
    const b = instance('b');
    const c = instance('c');
    // The floor the old holder persisted in the ledger (reservation ceiling).
    let floor = 0;
    const onA = createJobEvents({ shared: a.bus });
    onA.open('job', { floor: 0, onReserve: (f) => (floor = f) });
    floor = onA.ids('job')?.floor ?? 0;
    const seen: number[] = [];
    const stream = (async () => {
      for await (const e of streamFromBus(c.bus, 'job')) seen.push(Number(e.id));
    })();
    await c.bus.backfill('job', 0);
    const watcher = collect(c.bus, 'job');
    onA.emit('job', warning(1));
    onA.emit('job', warning(2));
    await watcher.until(2);
    // A dies; B restores the job from the ledger and continues above its floor.
    const onB = createJobEvents({ shared: b.bus });
    onB.open('job', { floor, onReserve: () => undefined });
    onB.emit('job', warning(3));
    onB.emit('job', { type: 'done', snapshot });
    await stream;
    expect(seen).toEqual([1, 2, floor + 1, floor + 2]);
  });

  it('200 jobs x 20 subscribers over 2 instances read through exactly 2 blocking connections', async () => {
    n++;
    const admin = fx.connect();
    const publisher = instance('pub');
    const insts = [instance('x'), instance('y')];
    const jobs = Array.from({ length: 200 }, (_, i) => `job-${i}`);
    const got = new Map<string, number>();
    let target = 200 * 20;
    let all = nextCall<void>();
    for (const job of jobs) {
      for (let s = 0; s < 20; s++) {
        insts[s % 2]?.bus.subscribe(job, (e) => {
          const key = `${job}:${s}:${e.id}`;
          got.set(key, (got.get(key) ?? 0) + 1);
          if (got.size === target) all.resolve();
        });
      }
    }
    await Promise.all(jobs.flatMap((job) => insts.map((i) => i.bus.backfill(job, 0))));
    for (const job of jobs) await publisher.bus.publish(job, numbered(1));
    await all.promise;
    // A second round: a repeat of the first would show as a count above one.
    target *= 2;
    all = nextCall<void>();
    for (const job of jobs) await publisher.bus.publish(job, numbered(2));
    await all.promise;
    expect([...got.values()].every((count) => count === 1)).toBe(true);
    const lines = [...(await readers(admin, 'x-')), ...(await readers(admin, 'y-'))];
    expect(lines).toHaveLength(2);
    expect(lines.every((line) => line.includes('cmd=xread'))).toBe(true);
    expect(insts.map((i) => i.fanIn.followed())).toEqual([200, 200]);
  });

  it('a job followed while the reader is blocked on others is read at once (the read is unblocked)', async () => {
    n++;
    const a = instance('a');
    const b = instance('b', { blockMs: 60_000 });
    const first = collect(b.bus, 'one');
    await b.bus.backfill('one', 0);
    await a.bus.publish('one', numbered(1));
    await first.until(1);
    const second = collect(b.bus, 'two');
    await b.bus.backfill('two', 0);
    const sent = Date.now();
    await a.bus.publish('two', numbered(1));
    await second.until(1);
    expect(Date.now() - sent).toBeLessThan(2_000);
  });

  it('Redis restarted mid-stream: the fan-in reconnects and delivers what is appended after it', async () => {
    n++;
    const resynced = nextCall<string[]>();
    const a = instance('a');
    const b = instance('b', { onResync: (ids) => resynced.resolve(ids) });
    const sub = collect(b.bus, 'job');
    await b.bus.backfill('job', 0);
    for (let i = 1; i <= 3; i++) await a.bus.publish('job', numbered(i));
    await sub.until(3);

    await fx.server.kill({ hard: true });
    await fx.server.restart();

    // Ids continue on the publisher; the stream starts again empty.
    for (let i = 4; i <= 6; i++) await a.bus.publish('job', numbered(i));
    await a.bus.publish('job', numbered(7, { type: 'done', snapshot }));
    await sub.until(7);
    expect(ids(sub.events)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(await resynced.promise).toEqual(['job']);
    // What Redis held before the restart is gone: a backfill has only the later events.
    expect(ids((await b.bus.backfill('job', 0)).events)).toEqual([4, 5, 6, 7]);
  });

  it('after a resync, the final state from the ledger ends streams whose done was lost with Redis', async () => {
    n++;
    const a = instance('a');
    const resynced = nextCall<string[]>();
    const b = instance('b', { onResync: (ids) => resynced.resolve(ids) });
    await a.bus.publish('job', numbered(1));
    const seen: TrackedEvent[] = [];
    const stream = (async () => {
      for await (const e of streamFromBus(b.bus, 'job')) seen.push(e);
    })();
    await b.bus.backfill('job', 0);
    await fx.server.kill({ hard: true });
    await fx.server.restart();
    // The holder's done went out while Redis was down and never arrived; the ledger has the job as final.
    for (const id of await resynced.promise) {
      b.fanIn.deliverLocally(id, numbered(9, { type: 'done', snapshot }));
    }
    await stream;
    expect(ids(seen)).toEqual([1, 9]);
  });
});

describe('createRedisJobEventLog', () => {
  it('writes the event id as the entry id and refuses a repeat or an older id', async () => {
    const redis = fx.connect();
    const log = createRedisJobEventLog(redis, { prefix: 'log1:' });
    expect(await log.append('j', numbered(5))).toBe(true);
    expect(await log.append('j', numbered(5))).toBe(false);
    expect(await log.append('j', numbered(3))).toBe(false);
    expect(await log.append('j', numbered(6))).toBe(true);
    expect((await redis.xrange('log1:j', '-', '+')).map(([id]) => id)).toEqual(['5-0', '6-0']);
    expect(await log.lastEntryId('j')).toBe('6-0');
    expect(await log.lastEntryId('none')).toBe('0-0');
    await expect(log.append('j', { id: '', event: warning(0) })).rejects.toThrow(/positive integer/);
  });

  it('latestSnapshot is the newest status or done snapshot, past later warnings; none for an unknown job', async () => {
    const log = createRedisJobEventLog(fx.connect(), { prefix: 'log3:' });
    const running = { prompt_id: 'j', status: 'running' } as JobSnapshot;
    await log.append('j', { id: '1', event: { type: 'status', snapshot: { ...running, status: 'queued' } } });
    await log.append('j', { id: '2', event: { type: 'status', snapshot: running } });
    await log.append('j', { id: '3', event: warning(3) });
    expect(await log.latestSnapshot('j')).toEqual(running);
    await log.append('j', { id: '4', event: { type: 'done', snapshot } });
    expect(await log.latestSnapshot('j')).toEqual(snapshot);
    expect(await log.latestSnapshot('none')).toBeUndefined();
  });

  it('keeps a job for idleTtlMs after each event and finishedTtlMs after its done', async () => {
    const redis = fx.connect();
    const log = createRedisJobEventLog(redis, { prefix: 'log2:', idleTtlMs: 600_000, finishedTtlMs: 60_000 });
    await log.append('j', numbered(1));
    expect(await redis.pttl('log2:j')).toBeGreaterThan(60_000);
    await log.append('j', numbered(2, { type: 'done', snapshot }));
    const ttl = await redis.pttl('log2:j');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    // A refused repeat after done does not extend it again.
    await log.append('j', numbered(2));
    expect(await redis.pttl('log2:j')).toBeLessThanOrEqual(60_000);
  });
});
