import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createHashGate } from '../../src/auth/hash-gate.ts';
import { HTTP_TIMEOUTS, createHttpServer } from '../../src/server.ts';
import { startComfyApp } from '../comfy-fixture.ts';
import { ADMIN, startTestApp } from '../fixture.ts';
import type { TestApp } from '../fixture.ts';
import { openRawWs, openStream, openTrpcSse, queueLongJob } from './security-kit.ts';

/** Waits for a condition the server reaches on an event we cannot await from here (a socket's close). */
async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

/**
 * POSTs a body announced as `announced` bytes but sends only `sent` of them, and resolves with
 * the status once the server answers: an answer at all proves it did not wait for (or buffer) the rest.
 */
function postPartial(
  t: TestApp,
  p: string,
  opts: { announced: number; sent: number; token?: string },
): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const url = new URL(p, t.url);
    const req = httpRequest(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': String(opts.announced),
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      },
    });
    req.on('response', (res) => {
      resolve({ status: res.statusCode ?? 0 });
      res.resume();
      req.destroy();
    });
    req.on('error', (err) => {
      if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(err);
    });
    req.write(Buffer.alloc(opts.sent, 0x20));
  });
}

const authMe = (id: number) => ({
  id,
  method: 'query',
  params: { path: 'auth.me', input: superjson.serialize(undefined) },
});

describe('per-user stream cap (USER_MAX_STREAMS)', () => {
  it('refuses the user’s next SSE stream (429), tRPC subscription (429) and WebSocket (TOO_MANY_REQUESTS), not others', async () => {
    await using t = await startComfyApp({ stepMs: 100 }, { USER_MAX_STREAMS: '2' });
    await t.connected();
    const bob = await t.createUser('bob@example.com');
    const job = await queueLongJob(t, bob.token);
    const ws = await openRawWs(t, bob.token);
    expect((await ws.call('auth.me')).result?.type).toBe('data');
    const sse = await openStream(t, bob.token, job);
    expect(sse.res.status).toBe(200);

    const third = await t.request(`/api/comfy/stream/${job}`, { token: bob.token });
    expect(third.status).toBe(429);
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await third.json()).toMatchObject({
      error: { code: 'RATE_LIMITED', message: expect.stringMatching(/at most 2 per user/) },
    });
    expect((await openTrpcSse(t, bob.token, job)).res.status).toBe(429);
    const refused = await openRawWs(t, bob.token);
    const closed = await refused.closed;
    expect(closed.code).toBeGreaterThan(0);
    expect(refused.responses[0]?.error?.json.data).toMatchObject({ code: 'RATE_LIMITED', httpStatus: 429 });

    // Another user is not affected; closing one of bob's frees a place.
    const adminJob = await queueLongJob(t, t.adminToken);
    expect((await openStream(t, t.adminToken, adminJob)).res.status).toBe(200);
    ws.ws.close();
    await ws.closed;
    await until(() => t.services.auth.connections.countForUser(bob.id) === 1, 'the socket to be released');
    expect((await openStream(t, bob.token, job)).res.status).toBe(200);
  });
});

describe('WebSocket call limits', () => {
  it('answers a frame of 51 calls with errors and serves one of 50', async () => {
    // The per-second budget (default 100) is not what this test is about.
    await using t = await startTestApp({ WS_MAX_CALLS_PER_SECOND: '1000' });
    const ws = await openRawWs(t, t.adminToken);
    try {
      expect((await ws.call('auth.me')).result?.type).toBe('data');
      const before = ws.responses.length;
      ws.sendFrame(Array.from({ length: 51 }, (_, i) => authMe(1000 + i)));
      await until(() => ws.responses.length >= before + 51, '51 answers');
      const big = ws.responses.slice(before);
      expect(big.every((r) => r.error?.json.data.httpStatus === 400)).toBe(true);

      const mid = ws.responses.length;
      ws.sendFrame(Array.from({ length: 50 }, (_, i) => authMe(2000 + i)));
      await until(() => ws.responses.length >= mid + 50, '50 answers');
      expect(ws.responses.slice(mid).every((r) => r.result?.type === 'data')).toBe(true);
    } finally {
      ws.ws.close();
    }
  });

  it('closes a socket that overspends WS_MAX_CALLS_PER_SECOND with 1008 and the budget, before running the calls', async () => {
    await using t = await startTestApp({ WS_MAX_CALLS_PER_SECOND: '20' });
    const ws = await openRawWs(t, t.adminToken);
    ws.sendFrame(Array.from({ length: 10 }, (_, i) => authMe(1 + i)));
    ws.sendFrame(Array.from({ length: 10 }, (_, i) => authMe(11 + i)));
    ws.sendFrame(Array.from({ length: 10 }, (_, i) => authMe(21 + i)));
    expect(await ws.closed).toEqual({ code: 1008, reason: 'too many calls: at most 20 per second' });
    const ids = ws.responses.map((r) => Number(r.id));
    expect(ids.every((id) => id <= 20)).toBe(true);
  });
});

describe('request bodies', () => {
  it('answers an unauthenticated 5 MB POST with 401 without reading the body', async () => {
    await using t = await startTestApp();
    const announced = 5 * 1024 * 1024;
    for (const p of ['/api/comfy/queue', '/api/comfy/text2img', '/trpc/comfy.queue']) {
      const res = await postPartial(t, p, { announced, sent: 16 * 1024 });
      // An answer while 5 MB are still owed: the server neither waited for nor buffered the body.
      expect([401, 413], p).toContain(res.status);
    }
    const queue = await postPartial(t, '/api/comfy/queue', { announced, sent: 16 * 1024 });
    expect(queue.status).toBe(401);
  });

  it('keeps auth and small routes to a few KB, submits to 10 MB', async () => {
    await using t = await startTestApp();
    const big = (n: number) => ({ name: 'x'.repeat(n) });
    const login = await t.request('/api/auth/login', {
      method: 'POST',
      json: { email: ADMIN.email, password: 'x'.repeat(9 * 1024) },
    });
    expect(login.status).toBe(413);
    const token = await t.request('/api/auth/tokens', {
      method: 'POST',
      token: t.adminToken,
      json: big(9 * 1024),
    });
    expect(token.status).toBe(413);
    const cancel = await t.request('/api/comfy/cancel/p', {
      method: 'POST',
      token: t.adminToken,
      json: big(100 * 1024),
    });
    expect(cancel.status).toBe(413);
    // A 1 MB workflow is read (and then refused for what it says, not for its size).
    const workflow = { '1': { class_type: 'EmptyImage', inputs: { pad: 'x'.repeat(1024 * 1024) } } };
    const queue = await t.request('/api/comfy/queue', {
      method: 'POST',
      token: t.adminToken,
      json: { workflow },
    });
    expect(queue.status).not.toBe(413);
  });
});

describe('HTTP server timeouts', () => {
  it('sets headersTimeout and requestTimeout, and drops a client that never finishes its headers', async () => {
    const server = createHttpServer((_req, res) => res.end('ok'), {
      headersTimeoutMs: 200,
      requestTimeoutMs: 400,
    });
    const defaults = createHttpServer(() => undefined);
    expect(defaults.headersTimeout).toBe(HTTP_TIMEOUTS.headersTimeoutMs);
    expect(defaults.requestTimeout).toBe(HTTP_TIMEOUTS.requestTimeoutMs);
    expect(HTTP_TIMEOUTS.headersTimeoutMs).toBeLessThanOrEqual(30_000);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
      socket.write('GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ');
      let answer = '';
      socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
      await new Promise((r) => socket.once('close', r));
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('login limits', () => {
  it('limits failed logins per address across emails; successful logins do not count', async () => {
    await using t = await startTestApp({ LOGIN_IP_RATE_LIMIT_PER_MIN: '3', LOGIN_RATE_LIMIT_PER_MIN: '3' });
    const login = (email: string, password: string) =>
      t.request('/api/auth/login', { method: 'POST', json: { email, password } });
    for (let i = 0; i < 6; i++) expect((await login(ADMIN.email, ADMIN.password)).status).toBe(200);
    for (const email of ['a@example.com', 'b@example.com', 'c@example.com'])
      expect((await login(email, 'wrong-password-1')).status).toBe(401);
    const limited = await login('d@example.com', 'wrong-password-1');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited.json()) as { error: { message: string } }).error.message).toMatch(
      /from this address/,
    );
  });

  it('caps concurrent password hashing: excess logins are refused at once, not slowed', async () => {
    await using t = await startTestApp({ LOGIN_HASH_CONCURRENCY: '1', LOGIN_HASH_QUEUE: '0' });
    const attempts = await Promise.all(
      Array.from({ length: 6 }, () =>
        t.request('/api/auth/login', {
          method: 'POST',
          json: { email: ADMIN.email, password: 'wrong-password-1' },
        }),
      ),
    );
    const statuses = attempts.map((r) => r.status);
    expect(statuses).toContain(401);
    expect(statuses).toContain(429);
    const refused = attempts.find((r) => r.status === 429);
    expect(((await refused?.json()) as { error: { message: string } }).error.message).toMatch(
      /logins in progress/,
    );
    expect(t.services.auth.hashGate.running).toBe(0);
  });
});

describe('createHashGate', () => {
  it('runs at most `concurrency` at once, queues `queue` more, refuses the rest, and hands slots over', async () => {
    const gate = createHashGate({ concurrency: 2, queue: 1 });
    const release: (() => void)[] = [];
    let active = 0;
    let peak = 0;
    const job = () =>
      gate.run(async () => {
        active++;
        peak = Math.max(peak, active);
        await new Promise<void>((r) => release.push(r));
        active--;
        return 'done';
      });
    const a = job();
    const b = job();
    const c = job();
    await expect(job()).rejects.toMatchObject({ code: 'RATE_LIMITED', details: { retry_after_s: 1 } });
    expect([gate.running, gate.waiting]).toEqual([2, 1]);
    release.shift()?.();
    await a;
    await until(() => release.length === 2, 'the queued run to start');
    expect([gate.running, gate.waiting]).toEqual([2, 0]);
    for (const r of release.splice(0)) r();
    await expect(Promise.all([b, c])).resolves.toEqual(['done', 'done']);
    expect(peak).toBe(2);
    expect(gate.running).toBe(0);
  });
});
