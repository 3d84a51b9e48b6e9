import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { openDb } from '../db/open-db.ts';
import type { Db } from '../db/open-db.ts';
import { createIdempotencyStore } from './idempotency.ts';

let dir: string;
let db: Db;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cg-idem-'));
  db = openDb(dir);
});
afterEach(async () => {
  db.close();
  await rm(dir, { recursive: true, force: true });
});

const counted = z.object({ n: z.int() });
const text = z.string();

describe('idempotency store', () => {
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
    db.prepare('UPDATE idempotency SET response_json = ?').run('{"n":"one"}');
    await expect(store.run(call, fn)).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringMatching(/^Idempotency-Key: /),
    });
    db.prepare('UPDATE idempotency SET response_json = ?').run('{not json');
    await expect(store.run(call, fn)).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(calls).toBe(1);
  });
});
