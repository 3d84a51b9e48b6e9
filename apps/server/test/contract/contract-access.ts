import { expect } from 'vitest';
import { samplerWorkflow } from '../comfy-fixture.ts';
import type { ComfyTestApp } from '../comfy-fixture.ts';
import { errorOf } from './contract-client.ts';
import type { Call, Json } from './contract-client.ts';

type Item = Record<string, unknown>;
const itemsOf = (queue: Json) => [...(queue['running'] as Item[]), ...(queue['pending'] as Item[])];

/**
 * Two users and one long job: the queue as each of them and an admin sees it, 404 for every
 * per-prompt route of someone else's job, 429 over the caller's job cap and stream cap.
 * The app must run with `USER_MAX_STREAMS=2`.
 */
export async function checkOwnershipAndCaps(app: ComfyTestApp, call: Call): Promise<void> {
  const alice = await app.createUser('alice@example.com');
  const bob = await app.createUser('bob@example.com');
  const capOne = { params: { id: alice.id }, json: { max_active_jobs: 1 } };
  expect((await call('PATCH', '/api/auth/users/{id}', capOne)).body['max_active_jobs']).toBe(1);
  const queued = await call('POST', '/api/comfy/queue', {
    token: alice.token,
    json: { workflow: samplerWorkflow(7, 5000) },
  });
  expect(queued.status).toBe(200);
  const promptId = queued.body['prompt_id'] as string;
  const prompt = { params: { prompt_id: promptId } };

  // The queue: alice's own item in full, bob only a position, an admin every item with its owner.
  const own = itemsOf((await call('GET', '/api/comfy/queue', { token: alice.token })).body);
  expect(own).toContainEqual(expect.objectContaining({ prompt_id: promptId, mine: true }));
  expect(own.find((i) => i['prompt_id'] === promptId)).not.toHaveProperty('owner_id');
  const others = itemsOf((await call('GET', '/api/comfy/queue', { token: bob.token })).body);
  expect(others).toContainEqual({ position: expect.any(Number), ours: true, mine: false });
  const admin = itemsOf((await call('GET', '/api/comfy/queue')).body);
  expect(admin).toContainEqual(expect.objectContaining({ prompt_id: promptId, owner_id: alice.id }));

  // Someone else's job answers 404 on every route that names it.
  const asBob = { ...prompt, token: bob.token };
  for (const [method, path] of [
    ['GET', '/api/comfy/status/{prompt_id}'],
    ['GET', '/api/comfy/history/{prompt_id}'],
    ['GET', '/api/comfy/jobs/{prompt_id}'],
    ['GET', '/api/comfy/stream/{prompt_id}'],
    ['POST', '/api/comfy/cancel/{prompt_id}'],
  ] as const) {
    const res = await call(method, path, asBob);
    expect(res.status, `${method} ${path}`).toBe(404);
    expect(errorOf(res).code).toBe('NOT_FOUND');
  }
  expect((await call('GET', '/api/comfy/jobs/{prompt_id}', { ...prompt, token: alice.token })).status).toBe(
    200,
  );

  // Over her cap of one unfinished job: 429 with Retry-After (the checker requires the header).
  const again = await call('POST', '/api/comfy/queue', {
    token: alice.token,
    json: { workflow: samplerWorkflow(8, 2) },
  });
  expect(again.status).toBe(429);
  expect(errorOf(again).message).toContain('USER_MAX_ACTIVE_JOBS');
  const t2i = { caption: 'a lighthouse', width: 64, height: 64, steps: 2 };
  expect((await call('POST', '/api/comfy/text2img', { token: alice.token, json: t2i })).status).toBe(429);

  // USER_MAX_STREAMS=2: two streams held open, the third is 429.
  const held = new AbortController();
  const open = () =>
    app.request(`/api/comfy/stream/${promptId}`, { token: alice.token, signal: held.signal });
  try {
    expect((await open()).status).toBe(200);
    expect((await open()).status).toBe(200);
    const third = await call('GET', '/api/comfy/stream/{prompt_id}', { ...prompt, token: alice.token });
    expect(third.status).toBe(429);
    expect(errorOf(third).code).toBe('RATE_LIMITED');
  } finally {
    held.abort();
  }

  const cancelled = await call('POST', '/api/comfy/cancel/{prompt_id}', { ...prompt, token: alice.token });
  expect(cancelled.body).toMatchObject({ prompt_id: promptId, cancelled: true });
  await app.services.comfy.waitForEnd(promptId);
}

/**
 * A read-only token is 403 naming the `generate` scope on every write of the document (the scope is
 * checked before anything else, so placeholder ids do); non-admins naming another user are 403.
 */
export async function checkScopesAndOtherUsers(app: ComfyTestApp, call: Call, doc: Json): Promise<void> {
  const carol = await app.createUser('carol@example.com');
  const created = await call('POST', '/api/auth/tokens', {
    token: carol.token,
    json: { name: 'read-only', scopes: ['read'] },
  });
  expect(created.status).toBe(201);
  expect(created.body['scopes']).toEqual(['read']);
  const readOnly = created.body['token'] as string;
  expect((await call('GET', '/api/comfy/jobs', { token: readOnly })).status).toBe(200);

  const paths = doc['paths'] as Record<string, Record<string, Json>>;
  const writes = Object.entries(paths).flatMap(([path, ops]) =>
    Object.entries(ops)
      .filter(([method, op]) => method !== 'get' && !isPublic(op))
      .map(([method]) => [method.toUpperCase(), path] as const),
  );
  expect(writes.length).toBeGreaterThan(10);
  for (const [method, path] of writes) {
    const params = Object.fromEntries([...path.matchAll(/\{(\w+)\}/g)].map((m) => [m[1] ?? '', '1']));
    const res = await call(method, path, { token: readOnly, params, json: {} });
    expect(res.status, `${method} ${path}`).toBe(403);
    expect(errorOf(res).details, `${method} ${path}`).toEqual({ missing_scope: 'generate' });
  }

  // Naming another user's gallery or jobs is for admins only; one's own id is fine.
  for (const path of ['/api/gallery', '/api/comfy/jobs']) {
    const theirs = await call('GET', path, { token: carol.token, query: { user: '1' } });
    expect(theirs.status, path).toBe(403);
    expect(errorOf(theirs).message, path).toContain('user');
    const mine = { token: carol.token, query: { user: String(carol.id) } };
    expect((await call('GET', path, mine)).status, path).toBe(200);
  }

  // Upstream details of the health answer are for admins only.
  const health = await call('GET', '/api/comfy/health', { token: carol.token });
  expect(health.body['service']).not.toHaveProperty('base_url');
  expect((await call('GET', '/api/comfy/health')).body['service']).toHaveProperty('base_url');
}

const isPublic = (op: Json) => Array.isArray(op['security']) && op['security'].length === 0;
