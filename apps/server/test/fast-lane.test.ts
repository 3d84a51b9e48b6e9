import { randomUUID } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { createApp } from '../src/app.ts';
import type { GatewayApp } from '../src/app.ts';
import { startComfyApp, tinyWorkflow } from './comfy-fixture.ts';
import type { ComfyTestApp } from './comfy-fixture.ts';
import { capturingLogger, requestAnswer, countsAdded, requestCounts, serve } from './fast-lane-kit.ts';
import type { Answer, Served } from './fast-lane-kit.ts';
import { createApiToken } from './security/security-kit.ts';

interface Case {
  name: string;
  /** The status both paths must give (the first test). */
  status?: number;
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * One gateway over the test app's services, served twice: through its combined handler (fast
 * lane first) and through Express alone. `via` sends a case to both and says which path Express
 * saw, so a test knows the lane really answered.
 */
async function twoPaths(t: ComfyTestApp, config = t.config) {
  const { logger, lines } = capturingLogger();
  const gateway: GatewayApp = createApp({ config, db: t.database, services: t.services, logger });
  // `app(req, res)` is `app.handle(req, res, next)`: a call means Express saw the request.
  const expressSaw = vi.spyOn(gateway.app as unknown as { handle: (...a: unknown[]) => void }, 'handle');
  const lane = await serve(gateway.handler);
  const plain = await serve(gateway.app);
  const send = async (server: Served, c: Case) => {
    const before = await requestCounts(t.services.metrics);
    const logFrom = lines.length;
    const calls = expressSaw.mock.calls.length;
    const answer = await requestAnswer(server.url + c.path, {
      method: c.method ?? 'GET',
      headers: c.headers ?? {},
      ...(c.body !== undefined ? { body: c.body } : {}),
    });
    await server.settled();
    const logged = lines
      .slice(logFrom)
      .map(({ time: _t, ms: _ms, reqId, pid: _p, hostname: _h, ...rest }): Record<string, unknown> => ({
        ...rest,
        reqId: reqId === answer.requestId ? 'same as X-Request-Id' : reqId,
      }));
    return {
      answer,
      metrics: countsAdded(before, await requestCounts(t.services.metrics)),
      logged,
      byExpress: expressSaw.mock.calls.length > calls,
    };
  };
  return {
    lane: (c: Case) => send(lane, c),
    express: (c: Case) => send(plain, c),
    async [Symbol.asyncDispose]() {
      await lane[Symbol.asyncDispose]();
      await plain[Symbol.asyncDispose]();
    },
  };
}

// Readiness reports the database's latency, which differs per call (and with it ETag and length).
const timed = (a: Answer): Answer =>
  a.body.includes('"latency_ms"')
    ? {
        ...a,
        body: a.body.replace(/"latency_ms":[0-9.e-]+/g, '"latency_ms":0'),
        headers: { ...a.headers, etag: 'per body', 'content-length': 'per body' },
      }
    : a;

/** The two answers must be the same; ids differ only when each path made its own. */
function expectSame(a: Answer, b: Answer, sentId?: string) {
  expect({ ...timed(a), requestId: null }).toEqual({ ...timed(b), requestId: null });
  expect(a.requestId).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
  if (sentId !== undefined) expect([a.requestId, b.requestId]).toEqual([sentId, sentId]);
}

/** Queues a tiny workflow as `token`'s user and waits until it completed; its prompt id. */
async function completedJob(t: ComfyTestApp, token: string): Promise<string> {
  const queued = await t.request('/api/comfy/queue', {
    method: 'POST',
    token,
    json: { workflow: tinyWorkflow() },
  });
  const { prompt_id: id } = (await queued.json()) as { prompt_id: string };
  expect((await t.services.comfy.waitForEnd(id)).status).toBe('completed');
  return id;
}

/** Each case through both paths: the lane answered it, with Express's status, body, headers, metrics and log lines. */
async function expectParity(paths: Awaited<ReturnType<typeof twoPaths>>, cases: Case[]) {
  for (const c of cases) {
    const viaLane = await paths.lane(c);
    const viaExpress = await paths.express(c);
    expect({ case: c.name, byExpress: viaLane.byExpress }).toEqual({ case: c.name, byExpress: false });
    expect(viaExpress.byExpress).toBe(true);
    expectSame(viaLane.answer, viaExpress.answer);
    expect({ case: c.name, status: viaLane.answer.status }).toEqual({ case: c.name, status: c.status });
    if (c.status === 401) expect(viaLane.answer.headers['www-authenticate']).toBe('Bearer');
    if (c.method === 'HEAD' || c.status === 304) expect(viaLane.answer.body).toBe('');
    expect(Object.values(viaLane.metrics)).toEqual([1]);
    expect(viaLane.logged.filter((l) => l['msg'] === 'request')).toHaveLength(1);
    expect({ case: c.name, metrics: viaLane.metrics }).toEqual({
      case: c.name,
      metrics: viaExpress.metrics,
    });
    expect({ case: c.name, logged: viaLane.logged }).toEqual({ case: c.name, logged: viaExpress.logged });
  }
}

describe('the fast lane answers exactly as the Express routes do', () => {
  it('status, probes and every refusal: same status, body, headers, metrics and log lines', async () => {
    await using t = await startComfyApp();
    await t.connected();
    const alice = await t.createUser('alice@example.com');
    const bob = await t.createUser('bob@example.com');
    const carol = await t.createUser('carol@example.com');
    const writeOnly = await createApiToken(t, alice.token, { name: 'w', scopes: ['generate'] });
    await t.request(`/api/auth/users/${carol.id}`, {
      method: 'PATCH',
      token: t.adminToken,
      json: { active: false },
    });
    const id = await completedJob(t, alice.token);

    await using paths = await twoPaths(t);
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    const status = `/api/comfy/status/${id}`;
    const etag = (await t.request(status, { token: alice.token })).headers.get('etag') ?? '';
    expect(etag).not.toBe('');
    const cases: Case[] = [
      { name: 'good token', status: 200, path: status, headers: bearer(alice.token) },
      { name: 'query string', status: 200, path: `${status}?x=1`, headers: bearer(alice.token) },
      { name: 'session cookie', status: 200, path: status, headers: { cookie: `cg_session=${alice.token}` } },
      {
        name: 'cookie from a foreign origin (a read)',
        status: 200,
        path: status,
        headers: { cookie: `cg_session=${alice.token}`, origin: 'https://evil.example' },
      },
      { name: 'admin', status: 200, path: status, headers: bearer(t.adminToken) },
      { name: 'bad token', status: 401, path: status, headers: bearer('cg_nope') },
      { name: 'no token', status: 401, path: status },
      { name: 'deactivated user', status: 403, path: status, headers: bearer(carol.token) },
      { name: 'token without read', status: 403, path: status, headers: bearer(writeOnly.token) },
      { name: 'bad id', status: 404, path: '/api/comfy/status/not!an*id', headers: bearer(alice.token) },
      {
        name: 'unknown id',
        status: 404,
        path: `/api/comfy/status/${randomUUID()}`,
        headers: bearer(alice.token),
      },
      { name: "another user's job", status: 404, path: status, headers: bearer(bob.token) },
      { name: 'HEAD', status: 200, path: status, method: 'HEAD', headers: bearer(alice.token) },
      {
        name: 'If-None-Match',
        status: 304,
        path: status,
        headers: { ...bearer(alice.token), 'if-none-match': etag },
      },
      { name: 'healthz', status: 200, path: '/healthz' },
      { name: 'HEAD healthz', status: 200, path: '/healthz', method: 'HEAD' },
      { name: 'readyz', status: 200, path: '/readyz' },
    ];
    await expectParity(paths, cases);
  });

  it('a job stream: replay, resume, refusals; HEAD stays with Express', async () => {
    await using t = await startComfyApp();
    await t.connected();
    const alice = await t.createUser('alice@example.com');
    const bob = await t.createUser('bob@example.com');
    const id = await completedJob(t, alice.token);

    await using paths = await twoPaths(t);
    const bearer = { authorization: `Bearer ${alice.token}` };
    const stream = `/api/comfy/stream/${id}`;
    const replay = await paths.lane({ name: 'replay', path: stream, headers: bearer });
    expect(replay.answer.body).toContain('event: done');
    const ids = [...replay.answer.body.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    const [second, last] = [ids[1], ids.at(-1)];
    expect(second).toBeDefined();
    const cases: Case[] = [
      { name: 'whole replay', status: 200, path: stream, headers: bearer },
      { name: 'previews asked', status: 200, path: `${stream}?previews=1`, headers: bearer },
      {
        name: 'resume by header',
        status: 200,
        path: stream,
        headers: { ...bearer, 'last-event-id': String(second) },
      },
      {
        name: 'resume by query',
        status: 200,
        path: `${stream}?lastEventId=${String(second)}`,
        headers: bearer,
      },
      {
        name: 'resume at done',
        status: 204,
        path: stream,
        headers: { ...bearer, 'last-event-id': String(last) },
      },
      { name: 'no token', status: 401, path: stream },
      { name: 'bad id', status: 404, path: '/api/comfy/stream/not!an*id', headers: bearer },
      {
        name: "another user's job",
        status: 404,
        path: stream,
        headers: { authorization: `Bearer ${bob.token}` },
      },
    ];
    await expectParity(paths, cases);
    const head = await paths.lane({ name: 'HEAD', path: stream, method: 'HEAD', headers: bearer });
    expect(head.byExpress).toBe(true);
  });

  it('adopts a sane X-Request-Id and replaces an unsafe one, as the Express path does', async () => {
    await using t = await startComfyApp();
    await using paths = await twoPaths(t);
    const sane = { name: 'sane id', path: '/healthz', headers: { 'x-request-id': 'abc-123' } };
    const lane = await paths.lane(sane);
    expectSame(lane.answer, (await paths.express(sane)).answer, 'abc-123');
    const unsafe = { name: 'unsafe id', path: '/healthz', headers: { 'x-request-id': 'a b<script>' } };
    const [a, b] = [(await paths.lane(unsafe)).answer, (await paths.express(unsafe)).answer];
    expectSame(a, b);
    expect(a.requestId).not.toBe('a b<script>');
  });

  it('sends HSTS behind a trusted proxy that saw https, as Express does', async () => {
    await using t = await startComfyApp();
    await using paths = await twoPaths(t, { ...t.config, trustProxy: true });
    const c = { name: 'https proxy', path: '/healthz', headers: { 'x-forwarded-proto': 'https' } };
    const lane = await paths.lane(c);
    expect(lane.byExpress).toBe(false);
    expect(lane.answer.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    expectSame(lane.answer, (await paths.express(c)).answer);
  });

  it('leaves to Express what it does not serve exactly: other spellings, a body, other methods', async () => {
    await using t = await startComfyApp();
    await using paths = await twoPaths(t);
    const auth = { authorization: `Bearer ${t.adminToken}` };
    const cases: Case[] = [
      { name: 'trailing slash', path: '/api/comfy/status/abc/', headers: auth },
      { name: 'upper case', path: '/API/comfy/status/abc', headers: auth },
      { name: 'encoded id', path: '/api/comfy/status/%61bc', headers: auth },
      { name: 'empty id', path: '/api/comfy/status/', headers: auth },
      { name: 'POST', path: '/api/comfy/status/abc', method: 'POST', headers: auth, body: '{}' },
      {
        name: 'malformed JSON on a GET',
        path: '/api/comfy/status/abc',
        headers: { ...auth, 'content-type': 'application/json' },
        body: '{nope',
      },
      { name: 'other method', path: '/healthz', method: 'DELETE' },
    ];
    for (const c of cases) {
      const viaLane = await paths.lane(c);
      expect({ case: c.name, byExpress: viaLane.byExpress }).toEqual({ case: c.name, byExpress: true });
      expectSame(viaLane.answer, (await paths.express(c)).answer);
    }
  });
});

describe('compression', () => {
  it('wraps the routes with large bodies (lists, /metrics) but not the probes nor a job status', async () => {
    await using t = await startComfyApp();
    const gzip = { 'accept-encoding': 'gzip' };
    const vary = async (p: string) =>
      (
        await requestAnswer(t.url + p, {
          method: 'GET',
          headers: { ...gzip, authorization: `Bearer ${t.adminToken}` },
        })
      ).headers['vary'];
    // compression adds `Vary: Accept-Encoding` to every response it may encode, whatever the size.
    expect(await vary('/api/comfy/jobs')).toBe('Accept-Encoding');
    expect(await vary('/api/auth/tokens')).toBe('Accept-Encoding');
    expect(await vary('/metrics')).toBe('Accept-Encoding');
    expect(await vary(`/api/comfy/status/${randomUUID()}`)).toBeUndefined();
    expect(await vary(`/api/comfy/status/${randomUUID()}/`)).toBeUndefined();
    expect(await vary('/healthz')).toBeUndefined();
  });
});
