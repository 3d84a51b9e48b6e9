import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { DIALECTS, testDatabases } from '../../test/db-dialects.ts';
import type { TestDb } from '../../test/db-dialects.ts';
import type { Db } from '../db/open-db.ts';
import { createIdempotencyStore } from './idempotency.ts';

const dbs = testDatabases();
let t: TestDb;
let db: Db;

const counted = z.object({ n: z.int() });
const text = z.string();

describe.each(DIALECTS)('idempotency store on %s', (dialect) => {
  beforeEach(async () => {
    t = await dbs.open(dialect);
    db = t.db;
  });
  afterEach(async () => {
    await t[Symbol.asyncDispose]();
  });

  it('runs once per key and replays the stored answer for the same body', async () => {
    const store = createIdempotencyStore(db);
    let calls = 0;
    const fn = () => Promise.resolve({ n: ++calls });
    const call = { key: 'k1', userId: 1, route: 'queue', body: { a: 1, b: [2] }, response: counted };
    expect(await store.run(call, fn)).toEqual({ value: { n: 1 }, replayed: false });
    expect(await store.run({ ...call, body: { b: [2], a: 1 } }, fn)).toEqual({
      value: { n: 1 },
      replayed: true,
    });
    expect(calls).toBe(1);
  });

  it('shares a call that is still running', async () => {
    const store = createIdempotencyStore(db);
    let calls = 0;
    const fn = () => new Promise<number>((resolve) => setTimeout(() => resolve(++calls), 20));
    const call = { key: 'k', userId: 1, route: 'queue', body: {}, response: z.number() };
    const [a, b] = await Promise.all([store.run(call, fn), store.run(call, fn)]);
    expect([a.value, b.value, calls]).toEqual([1, 1, 1]);
    expect([a.replayed, b.replayed].sort()).toEqual([false, true]);
  });

  it('refuses the same key with another body, and keys are per user and route', async () => {
    const store = createIdempotencyStore(db);
    const fn = () => Promise.resolve('ok');
    await store.run({ key: 'k', userId: 1, route: 'queue', body: { a: 1 }, response: text }, fn);
    await expect(
      store.run({ key: 'k', userId: 1, route: 'queue', body: { a: 2 }, response: text }, fn),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    expect(
      (await store.run({ key: 'k', userId: 2, route: 'queue', body: { a: 2 }, response: text }, fn)).replayed,
    ).toBe(false);
    expect(
      (await store.run({ key: 'k', userId: 1, route: 'text2img', body: { a: 2 }, response: text }, fn))
        .replayed,
    ).toBe(false);
  });

  it('does not store failures, validates the key, and forgets keys after a day', async () => {
    let t = 0;
    const store = createIdempotencyStore(db, () => t);
    const call = { key: 'k', userId: 1, route: 'queue', body: {}, response: z.number() };
    await expect(store.run(call, () => Promise.reject(new Error('upstream down')))).rejects.toThrow(
      'upstream down',
    );
    expect((await store.run(call, () => Promise.resolve(1))).replayed).toBe(false);
    await expect(store.run({ ...call, key: 'bad key' }, () => Promise.resolve(1))).rejects.toMatchObject({
      code: 'VALIDATION_ERROR',
    });
    t = 25 * 3_600_000;
    expect((await store.run(call, () => Promise.resolve(2))).value).toBe(2);
  });

  it('parses a stored answer when replaying it: one that no longer fits is a 409, never a second run', async () => {
    const store = createIdempotencyStore(db);
    let calls = 0;
    const fn = () => Promise.resolve({ n: ++calls });
    const call = { key: 'k', userId: 1, route: 'queue', body: {}, response: counted };
    await store.run(call, fn);
    await db.updateTable('idempotency').set({ response_json: '{"n":"one"}' }).execute();
    await expect(store.run(call, fn)).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(/^Idempotency-Key: /),
    });
    await db.updateTable('idempotency').set({ response_json: '{not json' }).execute();
    await expect(store.run(call, fn)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(calls).toBe(1);
  });

  it('lets one instance run a key: another instance answers 409 while it runs, then replays its answer', async () => {
    // Two stores over one database: two gateway instances, no shared memory.
    const a = createIdempotencyStore(db);
    const b = createIdempotencyStore(db);
    let release = (_: number) => undefined as void;
    const running = new Promise<number>((resolve) => (release = resolve));
    const call = { key: 'k', userId: 1, route: 'queue', body: { a: 1 }, response: z.number() };
    const first = a.run(call, () => running);
    // Claimed once the row exists; the other instance then refuses rather than running it twice.
    await expect.poll(() => db.selectFrom('idempotency').select('key').execute()).toHaveLength(1);
    await expect(b.run(call, () => Promise.resolve(2))).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(/still running/),
    });
    release(1);
    expect(await first).toEqual({ value: 1, replayed: false });
    expect(await b.run(call, () => Promise.resolve(2))).toEqual({ value: 1, replayed: true });
  });

  it('runs a key once when instances race for it', async () => {
    const stores = [1, 2, 3, 4].map(() => createIdempotencyStore(db));
    let calls = 0;
    const call = { key: 'race', userId: 1, route: 'queue', body: {}, response: z.number() };
    const results = await Promise.allSettled(stores.map((s) => s.run(call, () => Promise.resolve(++calls))));
    expect(calls).toBe(1);
    expect(results.filter((r) => r.status === 'fulfilled' && !r.value.replayed)).toHaveLength(1);
  });

  it('takes over a claim whose instance died before answering, once it is old', async () => {
    let now = 1_000_000;
    const store = createIdempotencyStore(db, () => now);
    await db
      .insertInto('idempotency')
      .values({
        key: 'k',
        user_id: 1,
        route: 'queue',
        body_hash: 'x',
        response_json: '',
        status: 0,
        created_at: now,
      })
      .execute();
    const call = { key: 'k', userId: 1, route: 'queue', body: {}, response: z.number() };
    await expect(store.run(call, () => Promise.resolve(1))).rejects.toMatchObject({ code: 'CONFLICT' });
    now += 11 * 60_000;
    expect(await store.run(call, () => Promise.resolve(1))).toEqual({ value: 1, replayed: false });
  });
});
