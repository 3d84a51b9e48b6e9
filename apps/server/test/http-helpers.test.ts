import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { errorHandler } from '../src/http/error-handler.ts';
import { createLogger, requestId } from '../src/http/logger.ts';
import { createRateLimiter } from '../src/http/rate-limit.ts';
import { SseRegistry, openSse, sseScopeOf } from '../src/http/sse.ts';

async function serve(app: express.Express) {
  const server = createServer(app);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('createRateLimiter', () => {
  it('answers 429 RATE_LIMITED with Retry-After per key', async () => {
    const app = express();
    app.use(requestId(createLogger('silent')));
    app.get(
      '/x',
      createRateLimiter({ limit: 2, windowMs: 60_000, key: (req) => req.get('x-user') ?? null }),
      (_req, res) => {
        res.json({ ok: true });
      },
    );
    app.use(errorHandler());
    await using s = await serve(app);
    const hit = (user?: string) => fetch(`${s.url}/x`, { headers: user ? { 'x-user': user } : {} });
    expect((await hit('u1')).status).toBe(200);
    expect((await hit('u1')).status).toBe(200);
    const limited = await hit('u1');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('60');
    expect(await limited.json()).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    expect((await hit('u2')).status).toBe(200);
    expect((await hit()).status).toBe(200);
    expect((await hit()).status).toBe(200);
    expect((await hit()).status).toBe(200);
  });
});

describe('openSse', () => {
  it('streams events with ids, heartbeats, and ends on closeAll', async () => {
    const app = express();
    const registry = new SseRegistry();
    app.locals['sse'] = registry;
    let closedByServer = false;
    app.get('/events', async (req, res) => {
      const sse = await openSse(req, res, { heartbeatMs: 20, scope: sseScopeOf(req) });
      sse.onClose(() => (closedByServer = true));
      sse.send('status', 1, { state: 'queued' });
      sse.send('status', 2, { multi: 'line\nvalue' });
    });
    await using s = await serve(app);
    const res = await fetch(`${s.url}/events`, { headers: { 'last-event-id': '0' } });
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    expect(res.headers.get('cache-control')).toBe('no-cache, no-transform');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    const decoder = new TextDecoder();
    while (!text.includes('heartbeat')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    expect(text).toContain('event: status\nid: 1\ndata: {"state":"queued"}\n\n');
    expect(text).toContain('id: 2\ndata: {"multi":"line\\nvalue"}\n\n');
    expect(registry.size).toBe(1);
    registry.closeAll();
    while (!(await reader.read()).done) {
      // drain until the server ends the stream
    }
    expect(closedByServer).toBe(true);
    expect(registry.size).toBe(0);
  });
});
