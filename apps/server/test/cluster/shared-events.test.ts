import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import { readSse } from '../comfy-fixture.ts';
import type { TestApp } from '../fixture.ts';
import { startCluster, until } from './cluster-fixture.ts';

// Enough steps that the job still runs while streams on both instances open and reconnect.
const JOB = { caption: 'a lighthouse at dusk', width: 64, height: 64, steps: 120 };

async function submit(t: TestApp, token: string, job = JOB): Promise<string> {
  const res = await t.request('/api/comfy/text2img', { token, method: 'POST', json: job });
  expect(res.status).toBe(200);
  return ((await res.json()) as { prompt_id: string }).prompt_id;
}

const stream = (t: TestApp, id: string, token: string, lastEventId?: string) =>
  t.request(`/api/comfy/stream/${id}`, {
    token,
    ...(lastEventId !== undefined ? { headers: { 'last-event-id': lastEventId } } : {}),
  });

/** tRPC `comfy.onStatus` over SSE, resumed after `lastEventId`. */
const onStatus = (t: TestApp, id: string, token: string, lastEventId: string) => {
  const input = encodeURIComponent(JSON.stringify(superjson.serialize({ prompt_id: id, lastEventId })));
  return t.request(`/trpc/comfy.onStatus?input=${input}`, {
    token,
    headers: { accept: 'text/event-stream' },
  });
};

const idsOf = (events: { id: string | null }[]) => events.map((e) => e.id);

describe('job events shared by two instances through Redis', () => {
  it('streams a job submitted on A from B with the same ids, resumes on B, 204 at the end, 404 for others', async () => {
    await using c = await startCluster();
    await c.connected();
    const bob = await c.a.createUser('bob@example.com');
    const eve = await c.a.createUser('eve@example.com');
    const id = await submit(c.a, bob.token);
    // B has the job only through the ledger and Redis: it does not follow it.
    expect(c.b.services.comfy.pool?.follows(id)).toBe(false);

    const onA = readSse(await stream(c.a, id, bob.token));
    // On B: a few events, a disconnect, then a reconnect from the last id seen.
    const head = await readSse(await stream(c.b, id, bob.token), 3);
    const lastSeen = head.at(-1)?.id;
    expect(lastSeen).toMatch(/^\d+$/);
    const tail = await readSse(await stream(c.b, id, bob.token, lastSeen as string));
    const fromA = await onA;

    expect(fromA.at(-1)?.event).toBe('done');
    expect(tail.at(-1)?.event).toBe('done');
    expect(tail.at(-1)?.data).toMatchObject({ snapshot: { status: 'completed' } });
    // No gap and no repeat: B's two halves are A's stream, id for id and event for event.
    expect(idsOf([...head, ...tail])).toEqual(idsOf(fromA));
    expect([...head, ...tail].map((e) => e.event)).toEqual(fromA.map((e) => e.event));
    expect(new Set(idsOf(fromA)).size).toBe(fromA.length);

    // After the end, a fresh stream on B replays the same ids from Redis; one from the middle, the rest.
    const again = await readSse(await stream(c.b, id, bob.token));
    expect(idsOf(again)).toEqual(idsOf(fromA));
    const mid = fromA[Math.floor(fromA.length / 2)]?.id as string;
    const rest = await readSse(await stream(c.b, id, bob.token, mid));
    expect(idsOf(rest)).toEqual(idsOf(fromA.slice(Math.floor(fromA.length / 2) + 1)));
    // tRPC's lastEventId resumes on B the same way.
    const viaTrpc = await readSse(await onStatus(c.b, id, bob.token, mid));
    expect(idsOf(viaTrpc.filter((e) => e.id !== null))).toEqual(idsOf(rest));

    // A resume at the final id: nothing left (204), on either instance.
    const finalId = fromA.at(-1)?.id as string;
    expect((await stream(c.b, id, bob.token, finalId)).status).toBe(204);
    expect((await stream(c.a, id, bob.token, finalId)).status).toBe(204);

    // Status on B comes from the shared ledger; another user gets 404 on B for both.
    const status = await c.b.request(`/api/comfy/status/${id}`, { token: bob.token });
    expect(await status.json()).toMatchObject({ prompt_id: id, status: 'completed' });
    expect((await stream(c.b, id, eve.token)).status).toBe(404);
    expect((await c.b.request(`/api/comfy/status/${id}`, { token: eve.token })).status).toBe(404);
  });

  it('answers 503 REDIS_UNAVAILABLE on B for a job it does not follow while Redis is down', async () => {
    await using c = await startCluster();
    await c.connected();
    const bob = await c.a.createUser('bob@example.com');
    const id = await submit(c.a, bob.token);
    await c.a.services.comfy.waitForEnd(id);
    await c.redis.kill();
    const res = await stream(c.b, id, bob.token);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('REDIS_UNAVAILABLE');
  });

  it("ends a stream on B with the ledger's done when the job ended while Redis was down", async () => {
    // About 3 s of sampling: Redis is killed well before the job ends.
    await using c = await startCluster({}, { stepMs: 20 });
    await c.connected();
    const bob = await c.a.createUser('bob@example.com');
    const id = await submit(c.a, bob.token, { ...JOB, steps: 150 });
    const seen: string[] = [];
    const onB = readSse(await stream(c.b, id, bob.token), Infinity, (e) => seen.push(e.event));
    await until(() => seen.length > 0, 'the first event on B');
    await c.redis.kill({ hard: true });
    // The job ends on A while Redis is away, then A's event connection goes with what it had queued
    // (as if A died): the `done` never reaches Redis.
    const final = await c.a.services.comfy.waitForEnd(id);
    await c.a.services.shared.jobEvents?.close();
    await c.redis.restart();
    const events = await onB;
    const floor = (await c.b.services.comfy.ledger.byId(id))?.eventIdFloor;
    expect(events.at(-1)).toMatchObject({ event: 'done', id: String(floor) });
    expect(events.at(-1)?.data).toMatchObject({ snapshot: { status: final.status } });
  });
});
