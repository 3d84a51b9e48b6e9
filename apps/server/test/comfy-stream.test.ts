import type { StreamEvent } from '@comfy-gateway/schema';
import { createTRPCClient, createWSClient, httpBatchLink, wsLink } from '@trpc/client';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { subscriberCount } from '../src/comfy/subscriber-count.ts';
import { appRouter, createCallerFactory, createContextInner } from '@comfy-gateway/api';
import type { AppRouter } from '@comfy-gateway/api';
import { readSse, samplerWorkflow, startComfyApp, tinyWorkflow } from './comfy-fixture.ts';

describe('GET /api/comfy/stream/:prompt_id', () => {
  it('sends status, images and a final done, with ids, then ends', async () => {
    await using app = await startComfyApp({ stepMs: 10 });
    await app.connected();
    const { prompt_id } = (await (
      await app.request('/api/comfy/queue', {
        token: app.adminToken,
        method: 'POST',
        json: { workflow: samplerWorkflow(1) },
      })
    ).json()) as { prompt_id: string };
    const res = await app.request(`/api/comfy/stream/${prompt_id}`, { token: app.adminToken });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = await readSse(res);
    const names = events.map((e) => e.event);
    expect(names[0]).toBe('status');
    expect(names.at(-1)).toBe('done');
    expect(names).toContain('images');
    expect(names).not.toContain('preview');
    const ids = events.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
    const last = events.at(-1)?.data;
    expect(last?.type === 'done' && last.snapshot.status).toBe('completed');
    const progress = events.flatMap((e) =>
      e.data.type === 'status' ? [e.data.snapshot.progress?.percent ?? 0] : [],
    );
    expect(progress.at(-1)).toBe(100);
  });

  it('resumes with Last-Event-ID without gaps or repeats, and sends previews on request', async () => {
    await using app = await startComfyApp({ stepMs: 15 });
    await app.connected();
    const { prompt_id } = (await (
      await app.request('/api/comfy/queue', {
        token: app.adminToken,
        method: 'POST',
        json: { workflow: samplerWorkflow(2, 10) },
      })
    ).json()) as { prompt_id: string };
    const head = await readSse(
      await app.request(`/api/comfy/stream/${prompt_id}`, { token: app.adminToken }),
      3,
    );
    const lastId = head.at(-1)?.id ?? '';
    const tail = await readSse(
      await app.request(`/api/comfy/stream/${prompt_id}?previews=1`, {
        token: app.adminToken,
        headers: { 'Last-Event-ID': lastId },
      }),
    );
    const all = [...head, ...tail].filter((e) => e.id !== null).map((e) => Number(e.id));
    expect(all).toEqual(all.map((_, i) => i + 1));
    expect(tail.at(-1)?.event).toBe('done');
    // Resuming after the final event ends at once.
    const after = await readSse(
      await app.request(`/api/comfy/stream/${prompt_id}`, {
        token: app.adminToken,
        headers: { 'Last-Event-ID': tail.at(-1)?.id ?? '' },
      }),
    );
    expect(after).toEqual([]);
  });

  it('404s unknown prompts and releases a subscriber that goes away', async () => {
    await using app = await startComfyApp({ stepMs: 50 });
    expect((await app.request('/api/comfy/stream/unknown-prompt', { token: app.adminToken })).status).toBe(
      404,
    );
    const { prompt_id } = (await (
      await app.request('/api/comfy/queue', {
        token: app.adminToken,
        method: 'POST',
        json: { workflow: samplerWorkflow(3, 40) },
      })
    ).json()) as { prompt_id: string };
    const ac = new AbortController();
    const res = await app.request(`/api/comfy/stream/${prompt_id}`, {
      token: app.adminToken,
      signal: ac.signal,
    });
    const reader = res.body?.getReader();
    await reader?.read();
    const { activeStreamCount } = await import('../src/comfy/sse-route.ts');
    expect(activeStreamCount()).toBeGreaterThanOrEqual(1);
    ac.abort();
    await expect.poll(() => activeStreamCount()).toBe(0);
  });

  it('ends the stream with an error when ComfyUI is killed mid-job (no retry left)', async () => {
    // With a retry left the job would wait in the gateway queue for the server to come back.
    await using app = await startComfyApp({ stepMs: 30 }, { COMFY_RETRY_ON_BACKEND_LOSS: '0' });
    await app.connected();
    const { prompt_id } = (await (
      await app.request('/api/comfy/queue', {
        token: app.adminToken,
        method: 'POST',
        json: { workflow: samplerWorkflow(4, 200) },
      })
    ).json()) as { prompt_id: string };
    const streaming = readSse(await app.request(`/api/comfy/stream/${prompt_id}`, { token: app.adminToken }));
    await expect.poll(() => app.services.comfy.conn().tracker.get(prompt_id)?.status).toBe('running');
    await app.sim.stop();
    const events = await streaming;
    const names = events.map((e) => e.event);
    expect(names).toContain('warning');
    expect(names).toContain('error');
    expect(names.at(-1)).toBe('done');
    const done = events.at(-1)?.data;
    expect(done?.type === 'done' && done.snapshot.status).toBe('failed');
  });
});

describe('tRPC comfy router', () => {
  it('queues over HTTP and follows onStatus over SSE and WebSocket to done', async () => {
    await using app = await startComfyApp({ stepMs: 5 });
    await app.connected();
    const headers = { authorization: `Bearer ${app.adminToken}` };
    const http = createTRPCClient<AppRouter>({
      links: [httpBatchLink({ url: `${app.url}/trpc`, transformer: superjson, headers })],
    });
    const health = await http.comfy.health.query();
    expect(health.service?.connection_state).toBe('connected');
    const { prompt_id } = await http.comfy.queue.mutate({ workflow: tinyWorkflow(8) });
    // tRPC's SSE transport, read as a plain EventSource would: GET with the superjson input.
    const input = encodeURIComponent(JSON.stringify({ json: { prompt_id } }));
    const sse = await readSse(
      await app.request(`/trpc/comfy.onStatus?input=${input}`, { token: app.adminToken }),
      50,
    );
    const types = sse.flatMap((m) => {
      const payload = (m.data as unknown as { json?: { type?: string } }).json;
      return payload?.type ? [payload.type] : [];
    });
    expect(types[0]).toBe('status');
    expect(types.at(-1)).toBe('done');
    expect(
      sse
        .filter((m) => (m.data as unknown as { json?: { type?: string } }).json?.type)
        .every((m) => m.id !== null),
    ).toBe(true);

    const follow = (client: typeof http) =>
      new Promise<string[]>((resolve, reject) => {
        const seen: string[] = [];
        const sub = client.comfy.onStatus.subscribe(
          { prompt_id },
          {
            onData: ({ data }) => {
              seen.push(data.type);
              if (data.type === 'done') {
                sub.unsubscribe();
                resolve(seen);
              }
            },
            onError: reject,
          },
        );
      });

    const wsClient = createWSClient({
      url: `${app.url.replace('http', 'ws')}/trpc`,
      WebSocket: WebSocket as never,
      connectionParams: { token: app.adminToken },
    });
    const ws = createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient, transformer: superjson })] });
    const viaWs = await follow(ws);
    expect(viaWs[0]).toBe('status');
    expect(viaWs.at(-1)).toBe('done');
    expect((await ws.comfy.status.query({ prompt_id })).status).toBe('completed');
    await wsClient.close();
  });

  it('onStatus is an adapter over the same stream: tracked ids, nothing after done, no leaked listener', async () => {
    await using app = await startComfyApp({ stepMs: 5 });
    await app.connected();
    const user = (await app.services.auth.listUsers())[0] ?? null;
    const ctx = createContextInner({ services: app.services, user });
    const caller = createCallerFactory(appRouter)(ctx);
    const { prompt_id } = await caller.comfy.queue({ workflow: samplerWorkflow(9, 3) });
    const seen: { id: string; type: string }[] = [];
    for await (const e of await caller.comfy.onStatus({ prompt_id })) {
      // A server-side caller hands out tRPC's raw tracked envelopes: [id, data].
      const [id, event] = e as unknown as [string, StreamEvent];
      seen.push({ id, type: event.type });
    }
    expect(seen.map((e) => e.id)).toEqual(seen.map((_, i) => String(i + 1)));
    expect(seen.at(-1)?.type).toBe('done');
    const again: unknown[] = [];
    for await (const e of await caller.comfy.onStatus({ prompt_id, lastEventId: seen.at(-1)?.id ?? '' }))
      again.push(e);
    expect(again).toEqual([]);
    const unknown = await caller.comfy.onStatus({ prompt_id: 'no-such-prompt' });
    await expect(unknown[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const running = await caller.comfy.queue({ workflow: samplerWorkflow(10, 400) });
    const ac = new AbortController();
    const leaving = createCallerFactory(appRouter)(ctx, { signal: ac.signal });
    const live = await leaving.comfy.onStatus({ prompt_id: running.prompt_id });
    const reading = (async () => {
      for await (const _ of live) ac.abort();
    })();
    await reading;
    const tracker = app.services.comfy.conn().tracker;
    await expect.poll(() => subscriberCount('trpc')).toBe(0);
    expect(tracker.listenerCount(running.prompt_id)).toBe(0);
    await caller.comfy.cancel({ prompt_id: running.prompt_id });
  });
});
