import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startTestApp } from './fixture.ts';

describe('probes and metrics', () => {
  it('answers /healthz without a user', async () => {
    await using t = await startTestApp();
    const res = await t.request('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('reports readiness with checks, including hooked ones, and 503 when one fails', async () => {
    await using t = await startTestApp();
    const ok = await t.request('/readyz');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({
      status: 'ok',
      checks: {
        database: { ok: true, state: 'ready', latency_ms: expect.any(Number) },
        comfy: { ok: true, detail: 'disabled' },
        shutdown: { ok: true },
      },
    });

    t.services.readinessChecks.push(() =>
      Promise.resolve({ name: 'comfy', ok: false, detail: 'connection refused' }),
    );
    const down = await t.request('/readyz');
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({
      status: 'unavailable',
      checks: { comfy: { ok: false, detail: 'connection refused' } },
    });
  });

  it('goes unready when the database is closed', async () => {
    await using t = await startTestApp();
    await t.database.destroy();
    const res = await t.request('/readyz');
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({
      checks: { database: { ok: false, state: 'down', detail: 'no answer' } },
    });
    // The fixture destroys the database again on dispose.
    Object.assign(t, { database: { destroy: () => Promise.resolve() } });
  });

  it('exposes Prometheus metrics with the request histogram by route pattern', async () => {
    await using t = await startTestApp();
    await t.request('/api/gallery/0123456789abcdef', { token: t.adminToken });
    const res = await t.request('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toContain('# TYPE comfy_gateway_http_request_duration_seconds histogram');
    expect(text).toMatch(
      /comfy_gateway_http_request_duration_seconds_count\{method="GET",route="\/api\/gallery\/:id",status="404"\} 1/,
    );
    const counter = t.services.metrics.counter({ name: 'comfy_gateway_test_total', help: 'test counter' });
    counter.inc(3);
    expect(t.services.metrics.counter({ name: 'comfy_gateway_test_total', help: 'test counter' })).toBe(
      counter,
    );
    expect(await (await t.request('/metrics')).text()).toContain('comfy_gateway_test_total 3');
  });

  it('protects /metrics when METRICS_TOKEN is set', async () => {
    await using t = await startTestApp({ METRICS_TOKEN: 'scrape-secret' });
    expect((await t.request('/metrics')).status).toBe(401);
    expect((await t.request('/metrics', { token: 'scrape-secret' })).status).toBe(200);
  });
});

describe('error handling', () => {
  it('answers unknown errors with a generic 500 and keeps serving', async () => {
    await using t = await startTestApp();
    t.services.gallery.list = () => {
      throw new Error('secret internals');
    };
    const res = await t.request('/api/gallery', { token: t.adminToken });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: { code: 'INTERNAL', message: 'internal error' } });
    expect((await t.request('/healthz')).status).toBe(200);
  });

  it('answers unknown routes 404, oversized JSON 413, and echoes request ids', async () => {
    await using t = await startTestApp();
    const missing = await t.request('/api/nope', {
      token: t.adminToken,
      headers: { 'x-request-id': 'abc-123' },
    });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-request-id')).toBe('abc-123');
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    const generated = await t.request('/healthz', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

    const big = await t.request('/api/auth/login', {
      method: 'POST',
      json: { email: 'a@b.co', password: 'x'.repeat(11 * 1024 * 1024) },
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('compresses JSON but never images', async () => {
    await using t = await startTestApp();
    for (let i = 0; i < 30; i++)
      await t.request('/api/auth/tokens', {
        method: 'POST',
        token: t.adminToken,
        json: { name: `token number ${i}` },
      });
    const res = await t.request('/api/auth/tokens', {
      token: t.adminToken,
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(((await res.json()) as { items: unknown[] }).items).toHaveLength(30);
  });
});

describe('web UI', () => {
  it('serves WEB_DIR with an index.html fallback for client routes only', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cg-web-'));
    await writeFile(path.join(dir, 'index.html'), '<!doctype html><title>ui</title>');
    await writeFile(path.join(dir, 'app.js'), 'console.log(1)');
    await using t = await startTestApp({ WEB_DIR: dir });
    expect(await (await t.request('/app.js')).text()).toBe('console.log(1)');
    const route = await t.request('/gallery/abc', { headers: { accept: 'text/html' } });
    expect(route.status).toBe(200);
    expect(await route.text()).toContain('<title>ui</title>');
    const api = await t.request('/api/unknown', { headers: { accept: 'text/html' } });
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toMatch(/json/);
    const trpc = await t.request('/trpc/nope', { headers: { accept: 'text/html' } });
    expect(trpc.headers.get('content-type')).toMatch(/json/);
  });
});
