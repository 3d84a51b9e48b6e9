import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSse, samplerWorkflow, startComfyApp, tinyWorkflow } from '../comfy-fixture.ts';
import type { ComfyTestApp } from '../comfy-fixture.ts';
import { startTestApp } from '../fixture.ts';
import { makePng } from '../images.ts';
import { checkOwnershipAndCaps, checkScopesAndOtherUsers } from './contract-access.ts';
import { createCall, errorOf } from './contract-client.ts';
import { checkPool, checkPriority } from './contract-pool.ts';
import type { Call, Json } from './contract-client.ts';
import { createContractChecker } from './contract-kit.ts';
import { expressRoutes } from './express-routes.ts';

// One gateway (with a simulator) for the whole file: every REST route is called on it and every
// answer, success or error, is checked against the document the server itself serves.
let app: ComfyTestApp;
let doc: Json;
let checker: ReturnType<typeof createContractChecker>;
let call: Call;

const pngForm = (seed: string) => {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(makePng(16, 16, { seed }))], { type: 'image/png' }), 'a.png');
  form.append('metadata', JSON.stringify({ by: 'contract' }));
  return form;
};

beforeAll(async () => {
  // A small stream cap, so one user can reach it (contract-access.ts).
  app = await startComfyApp({}, { USER_MAX_STREAMS: '2' });
  await app.connected();
  doc = (await (await app.request('/api/openapi.json')).json()) as Json;
  checker = createContractChecker(doc);
  call = createCall(app, checker);
});
afterAll(async () => {
  await app[Symbol.asyncDispose]();
});

describe('every REST answer matches the OpenAPI document', () => {
  it('documents every route the server registers, and only those', () => {
    const paths = doc['paths'] as Record<string, Json>;
    const documented = Object.entries(paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`));
    expect(expressRoutes(app.express)).toEqual(documented.sort());
  });

  it('probes and the document itself', async () => {
    expect((await call('GET', '/healthz', { token: null })).status).toBe(200);
    expect((await call('GET', '/readyz', { token: null })).status).toBe(200);
    expect((await call('GET', '/metrics', { token: null })).status).toBe(200);
    expect((await call('GET', '/api/openapi.json', { token: null })).status).toBe(200);
  });

  it('auth: login, me, tokens, users, logout', async () => {
    const login = '/api/auth/login';
    const admin = { email: 'admin@example.com', password: 'admin-password-1' };
    expect((await call('POST', login, { token: null, json: admin })).status).toBe(200);
    expect((await call('POST', login, { token: null, json: { ...admin, password: 'wrong' } })).status).toBe(
      401,
    );
    expect((await call('POST', login, { token: null, json: { email: 'not-an-email' } })).status).toBe(400);
    const malformed = { body: '{"email":', headers: { 'content-type': 'application/json' }, token: null };
    expect((await call('POST', login, malformed)).status).toBe(400);

    expect((await call('GET', '/api/auth/me')).status).toBe(200);
    expect((await call('GET', '/api/auth/me', { token: null })).status).toBe(401);
    expect((await call('GET', '/api/auth/me', { token: 'cgs_forged' })).status).toBe(401);

    const created = await call('POST', '/api/auth/tokens', { json: { name: 'ci', expires_in_days: 30 } });
    expect(created.status).toBe(201);
    expect((await call('POST', '/api/auth/tokens', { json: { name: '' } })).status).toBe(400);
    expect((await call('GET', '/api/auth/tokens')).status).toBe(200);
    const tokenId = { params: { id: created.body['id'] as number } };
    expect((await call('DELETE', '/api/auth/tokens/{id}', tokenId)).status).toBe(204);
    expect((await call('DELETE', '/api/auth/tokens/{id}', tokenId)).status).toBe(404);
    expect((await call('DELETE', '/api/auth/tokens/{id}', { params: { id: 'abc' } })).status).toBe(400);
    const scoped = await call('POST', '/api/auth/tokens', { json: { name: 'ro', scopes: ['read'] } });
    expect(scoped.body['scopes']).toEqual(['read']);
    const listed = (await call('GET', '/api/auth/tokens')).body['items'];
    expect(listed).toContainEqual(expect.objectContaining({ id: scoped.body['id'], scopes: ['read'] }));

    // Your own password: 204; a wrong current one or a weak new one is 400 naming the field.
    const pw = await app.createUser('password@example.com');
    const change = (current_password: string, new_password: string) =>
      call('POST', '/api/auth/password', { token: pw.token, json: { current_password, new_password } });
    const wrongCurrent = await change('not-the-password', 'a-new-password-2');
    expect(wrongCurrent.status).toBe(400);
    expect(errorOf(wrongCurrent).message).toContain('current_password');
    const weak = await change('user-password-1', 'short');
    expect(weak.status).toBe(400);
    expect(errorOf(weak).message).toContain('new_password');
    expect((await change('user-password-1', 'a-new-password-2')).status).toBe(204);

    const user = await call('POST', '/api/auth/users', {
      json: { email: 'contract@example.com', password: 'user-password-1' },
    });
    expect(user.status).toBe(201);
    const again = { json: { email: 'contract@example.com', password: 'user-password-1' } };
    expect((await call('POST', '/api/auth/users', again)).status).toBe(409);
    expect((await call('GET', '/api/auth/users')).status).toBe(200);
    const plain = await app.createUser('plain@example.com');
    expect((await call('GET', '/api/auth/users', { token: plain.token })).status).toBe(403);
    const userId = { id: user.body['id'] as number };
    expect(
      (await call('PATCH', '/api/auth/users/{id}', { params: userId, json: { role: 'admin' } })).status,
    ).toBe(200);
    expect((await call('PATCH', '/api/auth/users/{id}', { params: userId, json: {} })).status).toBe(400);
    const cap = await call('PATCH', '/api/auth/users/{id}', { params: userId, json: { max_active_jobs: 5 } });
    expect(cap.body['max_active_jobs']).toBe(5);
    const badCap = { params: userId, json: { max_active_jobs: -1 } };
    expect((await call('PATCH', '/api/auth/users/{id}', badCap)).status).toBe(400);
    const nobody = { params: { id: 99_999 }, json: { active: false } };
    expect((await call('PATCH', '/api/auth/users/{id}', nobody)).status).toBe(404);
    const self = { params: { id: 1 }, json: { active: false } };
    expect((await call('PATCH', '/api/auth/users/{id}', self)).status).toBe(409);

    // An admin lists and revokes any user's API tokens; a token under another user's id is 404.
    const owned = await call('POST', '/api/auth/tokens', { token: plain.token, json: { name: 'plain-ci' } });
    const ownedId = owned.body['id'] as number;
    const userTokens = '/api/auth/users/{id}/tokens';
    const plainTokens = await call('GET', userTokens, { params: { id: plain.id } });
    expect(plainTokens.body['items']).toEqual([expect.objectContaining({ id: ownedId })]);
    expect((await call('GET', userTokens, { params: { id: 99_999 } })).status).toBe(404);
    expect((await call('GET', userTokens, { params: { id: 'abc' } })).status).toBe(400);
    expect((await call('GET', userTokens, { params: { id: plain.id }, token: plain.token })).status).toBe(
      403,
    );
    const userToken = '/api/auth/users/{id}/tokens/{token_id}';
    expect((await call('DELETE', userToken, { params: { id: 1, token_id: ownedId } })).status).toBe(404);
    expect((await call('DELETE', userToken, { params: { id: plain.id, token_id: ownedId } })).status).toBe(
      204,
    );
    expect((await call('DELETE', userToken, { params: { id: plain.id, token_id: ownedId } })).status).toBe(
      404,
    );
    expect((await call('DELETE', userToken, { params: { id: plain.id, token_id: 'x' } })).status).toBe(400);

    // A deactivated account: 403 on login and on every authenticated call.
    const gone = await app.createUser('gone@example.com');
    await call('PATCH', '/api/auth/users/{id}', { params: { id: gone.id }, json: { active: false } });
    const goneLogin = { token: null, json: { email: 'gone@example.com', password: 'user-password-1' } };
    expect((await call('POST', login, goneLogin)).status).toBe(403);
    expect((await call('GET', '/api/auth/me', { token: gone.token })).status).toBe(403);

    const session = await app.createUser('leaving@example.com');
    expect((await call('POST', '/api/auth/logout', { token: session.token })).status).toBe(204);
  });

  it('gallery: ingest (new and deduplicated), list, item, file (and 304), delete', async () => {
    const ingest = '/api/comfy/ingest';
    const first = await call('POST', ingest, { body: pngForm('contract') });
    expect(first.status).toBe(201);
    expect((await call('POST', ingest, { body: pngForm('contract') })).status).toBe(200);
    const text = { body: 'hello', headers: { 'content-type': 'text/plain' } };
    expect((await call('POST', ingest, text)).status).toBe(415);
    const badJson = { body: 'not json', headers: { 'content-type': 'application/json' } };
    expect((await call('POST', ingest, badJson)).status).toBe(400);

    expect((await call('GET', '/api/gallery', { query: { limit: '5' } })).status).toBe(200);
    expect((await call('GET', '/api/gallery', { query: { limit: '0' } })).status).toBe(400);
    expect((await call('GET', '/api/gallery', { query: { user: 'all' } })).status).toBe(200);
    expect((await call('GET', '/api/gallery', { query: { user: '1' } })).status).toBe(200);
    expect((await call('GET', '/api/gallery', { query: { user: 'someone' } })).status).toBe(400);
    const stranger = await app.createUser('stranger@example.com');
    const id = { params: { id: first.body['id'] as string } };
    expect((await call('GET', '/api/gallery/{id}', id)).status).toBe(200);
    expect((await call('GET', '/api/gallery/{id}', { ...id, token: stranger.token })).status).toBe(404);
    expect((await call('GET', '/api/gallery/{id}', { params: { id: 'nope' } })).status).toBe(400);
    expect((await call('GET', '/api/gallery/{id}', { params: { id: '0123456789abcdef' } })).status).toBe(404);
    const file = await call('GET', '/api/gallery/{id}/file', id);
    expect(file.status).toBe(200);
    const cached = { ...id, headers: { 'if-none-match': file.etag ?? '' } };
    expect((await call('GET', '/api/gallery/{id}/file', cached)).status).toBe(304);
    expect((await call('DELETE', '/api/gallery/{id}', id)).status).toBe(204);
    expect((await call('DELETE', '/api/gallery/{id}', id)).status).toBe(404);
    expect((await call('GET', '/api/gallery/{id}/file', id)).status).toBe(404);
  });

  it('comfy: queue, status, history, stream, cancel, view, ingest from ComfyUI', async () => {
    expect((await call('GET', '/api/comfy/health')).status).toBe(200);
    const key = { 'idempotency-key': 'contract-1' };
    const queued = await call('POST', '/api/comfy/queue', {
      json: { workflow: tinyWorkflow(3) },
      headers: key,
    });
    expect(queued.status).toBe(200);
    const replay = await call('POST', '/api/comfy/queue', {
      json: { workflow: tinyWorkflow(3) },
      headers: key,
    });
    expect(replay.body['prompt_id']).toBe(queued.body['prompt_id']);
    expect(
      (await call('POST', '/api/comfy/queue', { json: { workflow: tinyWorkflow(4) }, headers: key })).status,
    ).toBe(409);
    expect((await call('POST', '/api/comfy/queue', { json: { workflow: {} } })).status).toBe(400);
    const invalidNode = { workflow: { '1': { class_type: 'NoSuchNode', inputs: {} } } };
    expect((await call('POST', '/api/comfy/queue', { json: invalidNode })).status).toBe(400);
    expect((await call('GET', '/api/comfy/queue')).status).toBe(200);

    const prompt = { params: { prompt_id: queued.body['prompt_id'] as string } };
    const unknown = { params: { prompt_id: 'no-such-prompt' } };
    await app.services.comfy.waitForEnd(prompt.params.prompt_id);
    expect((await call('GET', '/api/comfy/status/{prompt_id}', prompt)).status).toBe(200);
    expect((await call('GET', '/api/comfy/status/{prompt_id}', unknown)).status).toBe(404);
    const history = await call('GET', '/api/comfy/history/{prompt_id}', prompt);
    expect(history.status).toBe(200);
    expect((await call('GET', '/api/comfy/history/{prompt_id}', unknown)).status).toBe(404);
    expect((await call('GET', '/api/comfy/stream/{prompt_id}', prompt)).status).toBe(200);
    // Resuming after the last event of an ended stream: 204, so EventSource stops reconnecting.
    const streamed = await readSse(
      await app.request(`/api/comfy/stream/${prompt.params.prompt_id}`, { token: app.adminToken }),
    );
    const lastId = streamed.findLast((e) => e.id !== null)?.id ?? '';
    expect(lastId).not.toBe('');
    const resumed = { ...prompt, headers: { 'last-event-id': lastId } };
    expect((await call('GET', '/api/comfy/stream/{prompt_id}', resumed)).status).toBe(204);
    expect((await call('GET', '/api/comfy/stream/{prompt_id}', unknown)).status).toBe(404);
    expect((await call('POST', '/api/comfy/cancel/{prompt_id}', prompt)).status).toBe(200);
    expect((await call('POST', '/api/comfy/cancel/{prompt_id}', unknown)).status).toBe(404);

    const jobsQuery = { status: 'completed', kind: 'workflow', limit: '1' };
    const jobs = await call('GET', '/api/comfy/jobs', { query: jobsQuery });
    expect(jobs.body['items']).toEqual([expect.objectContaining(prompt.params)]);
    expect((await call('GET', '/api/comfy/jobs', { query: { user: 'all' } })).status).toBe(200);
    expect((await call('GET', '/api/comfy/jobs', { query: { limit: '0' } })).status).toBe(400);
    expect((await call('GET', '/api/comfy/jobs', { query: { status: 'sleeping' } })).status).toBe(400);
    const record = await call('GET', '/api/comfy/jobs/{prompt_id}', prompt);
    expect(record.body).toMatchObject({ ...prompt.params, workflow: tinyWorkflow(3) });
    expect((await call('GET', '/api/comfy/jobs/{prompt_id}', unknown)).status).toBe(404);

    const image = (history.body['images'] as Array<{ filename: string; subfolder: string; type: string }>)[0];
    expect(image).toBeDefined();
    if (!image) return;
    const query = { filename: image.filename, subfolder: image.subfolder, type: image.type };
    expect((await call('GET', '/api/comfy/view', { query })).status).toBe(200);
    const stranger = await app.createUser('viewer@example.com');
    expect((await call('GET', '/api/comfy/view', { query, token: stranger.token })).status).toBe(404);
    expect((await call('GET', '/api/comfy/view', { query: { type: 'output' } })).status).toBe(400);
    expect((await call('GET', '/api/comfy/view', { query: { ...query, type: 'elsewhere' } })).status).toBe(
      400,
    );
    expect((await call('GET', '/api/comfy/view', { query: { filename: 'missing.png' } })).status).toBe(404);

    const pull = { prompt_id: prompt.params.prompt_id, filename: image.filename, subfolder: image.subfolder };
    expect((await call('POST', '/api/comfy/ingest', { json: pull })).status).toBe(201);
    expect((await call('POST', '/api/comfy/ingest', { json: pull })).status).toBe(200);
    const missing = { ...pull, filename: 'missing.png' };
    expect((await call('POST', '/api/comfy/ingest', { json: missing })).status).toBe(404);
  });

  it('comfy: text2img and object_info (with 304)', async () => {
    const t2i = '/api/comfy/text2img';
    const ok = { caption: 'a lighthouse', width: 64, height: 64, steps: 2 };
    expect((await call('POST', t2i, { json: ok, headers: { 'idempotency-key': 't2i-1' } })).status).toBe(200);
    expect((await call('POST', t2i, { json: { ...ok, steps: 'twenty' } })).status).toBe(400);
    expect((await call('POST', t2i, { json: { ...ok, checkpoint: 'zzz_nothing_like_it' } })).status).toBe(
      400,
    );
    expect((await call('POST', t2i, { json: { ...ok, preset: 'no_such_preset' } })).status).toBe(400);
    const badKey = { json: ok, headers: { 'idempotency-key': 'with space' } };
    expect((await call('POST', t2i, badKey)).status).toBe(400);

    const info = await call('GET', '/api/comfy/object-info');
    expect(info.status).toBe(200);
    const cached = { headers: { 'if-none-match': info.etag ?? '' } };
    expect((await call('GET', '/api/comfy/object-info', cached)).status).toBe(304);
    expect((await call('GET', '/api/comfy/object-info', { query: { refresh: '1' } })).status).toBe(200);
    const node = { params: { node_class: 'KSampler' } };
    const one = await call('GET', '/api/comfy/object-info/{node_class}', node);
    expect(one.status).toBe(200);
    const oneCached = { ...node, headers: { 'if-none-match': one.etag ?? '' } };
    expect((await call('GET', '/api/comfy/object-info/{node_class}', oneCached)).status).toBe(304);
    const none = { params: { node_class: 'NoSuchNode' } };
    expect((await call('GET', '/api/comfy/object-info/{node_class}', none)).status).toBe(404);
  });

  it('comfy: 502 when ComfyUI answers badly, 503 when it is unreachable', async () => {
    app.sim.faults.failHttp({ status: 500, routes: /^\/queue/ });
    try {
      expect((await call('GET', '/api/comfy/queue')).status).toBe(502);
    } finally {
      app.sim.faults.failHttp(null);
    }
    await app.sim.stop();
    try {
      expect((await call('GET', '/api/comfy/queue')).status).toBe(503);
    } finally {
      await app.sim.restart();
    }
  });

  it('another user\u2019s job is 404, the job and stream caps are 429 with Retry-After', async () => {
    await checkOwnershipAndCaps(app, call);
  });

  it('a read-only token is 403 on every write; only admins name other users', async () => {
    await checkScopesAndOtherUsers(app, call, doc);
  });

  it('comfy: priority is for admins (queue, text2img, PATCH a job); one server has nothing to drain', async () => {
    await checkPriority(app, call);
  });

  it('comfy, two servers: drain and resume, `backend` on view and object-info, health per server', async () => {
    await checkPool(checker);
  });

  // Reads what the tests above recorded, so it runs last in this describe (vitest keeps the order).
  it('(after the tests above) has called every operation of the document, each with a success', () => {
    expect(checker.gaps()).toEqual({ uncalled: [], neverSucceeded: [] });
  });
});

describe('with the ComfyUI integration off', () => {
  it('answers 503 COMFY_DISABLED as documented', async () => {
    await using off = await startTestApp();
    const doc = (await (await off.request('/api/openapi.json')).json()) as Json;
    const offChecker = createContractChecker(doc);
    const res = await off.request('/api/comfy/queue', { token: off.adminToken });
    expect(res.status).toBe(503);
    await offChecker.check('GET', '/api/comfy/queue', res);
    const json = await off.request('/api/comfy/ingest', {
      token: off.adminToken,
      method: 'POST',
      json: { prompt_id: 'p', filename: 'a.png' },
    });
    expect(json.status).toBe(503);
    await offChecker.check('POST', '/api/comfy/ingest', json);
  });
});

describe('with QUEUE_MAX_PENDING reached', () => {
  it('answers 429 with Retry-After as documented, for workflows and text2img alike', async () => {
    await using capped = await startComfyApp({}, { QUEUE_MAX_PENDING: '1' });
    await capped.connected();
    const doc = (await (await capped.request('/api/openapi.json')).json()) as Json;
    const cappedCall = createCall(capped, createContractChecker(doc));
    const long = await cappedCall('POST', '/api/comfy/queue', {
      json: { workflow: samplerWorkflow(1, 5000) },
    });
    expect(long.status).toBe(200);
    const full = await cappedCall('POST', '/api/comfy/queue', { json: { workflow: tinyWorkflow(1) } });
    expect(full.status).toBe(429);
    expect(errorOf(full).message).toContain('QUEUE_MAX_PENDING');
    const t2i = { caption: 'a lighthouse', width: 64, height: 64, steps: 2 };
    expect((await cappedCall('POST', '/api/comfy/text2img', { json: t2i })).status).toBe(429);
    const promptId = long.body['prompt_id'] as string;
    await cappedCall('POST', '/api/comfy/cancel/{prompt_id}', { params: { prompt_id: promptId } });
    await capped.services.comfy.waitForEnd(promptId);
  });
});
