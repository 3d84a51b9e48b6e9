import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComfyApp, tinyWorkflow } from '../comfy-fixture.ts';
import type { ComfyTestApp } from '../comfy-fixture.ts';
import { startTestApp } from '../fixture.ts';
import { makePng } from '../images.ts';
import { createContractChecker } from './contract-kit.ts';

type Json = Record<string, unknown>;
interface CallInit {
  params?: Record<string, string | number>;
  query?: Record<string, string>;
  /** Bearer token; `null` sends none. Defaults to the admin's. */
  token?: string | null;
  json?: unknown;
  body?: RequestInit['body'];
  headers?: Record<string, string>;
}

// One gateway (with a simulator) for the whole file: every REST route is called on it and every
// answer, success or error, is checked against the document the server itself serves.
let app: ComfyTestApp;
let checker: ReturnType<typeof createContractChecker>;

async function call(method: string, template: string, init: CallInit = {}) {
  const path = template.replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent(String(init.params?.[k])));
  const qs = init.query ? `?${new URLSearchParams(init.query).toString()}` : '';
  const token = init.token === undefined ? app.adminToken : init.token;
  const res = await app.request(path + qs, {
    method,
    ...(token ? { token } : {}),
    ...(init.json !== undefined ? { json: init.json } : {}),
    ...(init.body !== undefined ? { body: init.body } : {}),
    ...(init.headers ? { headers: init.headers } : {}),
  });
  const etag = res.headers.get('etag');
  return { status: res.status, etag, body: (await checker.check(method, template, res)) as Json };
}

const pngForm = (seed: string) => {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(makePng(16, 16, { seed }))], { type: 'image/png' }), 'a.png');
  form.append('metadata', JSON.stringify({ by: 'contract' }));
  return form;
};

beforeAll(async () => {
  app = await startComfyApp();
  await app.connected();
  const doc = (await (await app.request('/api/openapi.json')).json()) as Json;
  checker = createContractChecker(doc);
});
afterAll(async () => {
  await app[Symbol.asyncDispose]();
});

describe('every REST answer matches the OpenAPI document', () => {
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
    const nobody = { params: { id: 99_999 }, json: { active: false } };
    expect((await call('PATCH', '/api/auth/users/{id}', nobody)).status).toBe(404);
    const self = { params: { id: 1 }, json: { active: false } };
    expect((await call('PATCH', '/api/auth/users/{id}', self)).status).toBe(409);

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
    const id = { params: { id: first.body['id'] as string } };
    expect((await call('GET', '/api/gallery/{id}', id)).status).toBe(200);
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
    await app.services.comfy.conn().tracker.waitForEnd(prompt.params.prompt_id);
    expect((await call('GET', '/api/comfy/status/{prompt_id}', prompt)).status).toBe(200);
    expect((await call('GET', '/api/comfy/status/{prompt_id}', unknown)).status).toBe(404);
    const history = await call('GET', '/api/comfy/history/{prompt_id}', prompt);
    expect(history.status).toBe(200);
    expect((await call('GET', '/api/comfy/history/{prompt_id}', unknown)).status).toBe(404);
    expect((await call('GET', '/api/comfy/stream/{prompt_id}', prompt)).status).toBe(200);
    expect((await call('GET', '/api/comfy/stream/{prompt_id}', unknown)).status).toBe(404);
    expect((await call('POST', '/api/comfy/cancel/{prompt_id}', prompt)).status).toBe(200);
    expect((await call('POST', '/api/comfy/cancel/{prompt_id}', unknown)).status).toBe(404);

    const image = (history.body['images'] as Array<{ filename: string; subfolder: string; type: string }>)[0];
    expect(image).toBeDefined();
    if (!image) return;
    const query = { filename: image.filename, subfolder: image.subfolder, type: image.type };
    expect((await call('GET', '/api/comfy/view', { query })).status).toBe(200);
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
