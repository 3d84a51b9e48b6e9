import type { StreamEvent } from '@comfy-gateway/schema';
import { createTRPCClient, createWSClient, httpBatchLink, wsLink } from '@trpc/client';
import superjson from 'superjson';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import type { AppRouter } from '@comfy-gateway/api';
import { readSse, samplerWorkflow, startComfyApp } from './comfy-fixture.ts';

afterEach(() => vi.restoreAllMocks());

const isEvent = (v: unknown): v is StreamEvent =>
  typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string';

describe('tRPC fan-out', () => {
  it('serialises each event once for 50 WebSocket and 10 SSE subscribers', async () => {
    await using app = await startComfyApp({ stepMs: 40 });
    await app.connected();
    const http = createTRPCClient<AppRouter>({
      links: [
        httpBatchLink({
          url: `${app.url}/trpc`,
          transformer: superjson,
          headers: { authorization: `Bearer ${app.adminToken}` },
        }),
      ],
    });
    const { prompt_id } = await http.comfy.queue.mutate({ workflow: samplerWorkflow(3, 12) });
    // Counted from here: every call superjson gets for a job event, by event object, also inside
    // the `{ id, data }` envelope the WebSocket adapter builds per subscriber for `tracked`.
    const calls = new Map<object, number>();
    const real = superjson.serialize.bind(superjson);
    vi.spyOn(superjson, 'serialize').mockImplementation((v) => {
      const data = (v as { data?: unknown } | null)?.data;
      const event = isEvent(v) ? v : isEvent(data) ? data : undefined;
      if (event) calls.set(event, (calls.get(event) ?? 0) + 1);
      return real(v);
    });

    const sockets = Array.from({ length: 5 }, () =>
      createWSClient({
        url: `${app.url.replace('http', 'ws')}/trpc`,
        WebSocket: WebSocket as never,
        connectionParams: { token: app.adminToken },
      }),
    );
    const follow = (client: ReturnType<typeof createTRPCClient<AppRouter>>) =>
      new Promise<string[]>((resolve, reject) => {
        const ids: string[] = [];
        const sub = client.comfy.onStatus.subscribe(
          { prompt_id },
          {
            onData: ({ id, data }) => {
              ids.push(id);
              if (data.type === 'done') {
                sub.unsubscribe();
                resolve(ids);
              }
            },
            onError: reject,
          },
        );
      });
    const input = encodeURIComponent(JSON.stringify({ json: { prompt_id } }));
    const viaSse = Array.from({ length: 10 }, async () =>
      readSse(await app.request(`/trpc/comfy.onStatus?input=${input}`, { token: app.adminToken })),
    );
    const viaWs = sockets.flatMap((wsClient) => {
      const client = createTRPCClient<AppRouter>({
        links: [wsLink({ client: wsClient, transformer: superjson })],
      });
      return Array.from({ length: 10 }, () => follow(client));
    });
    const wsIds = await Promise.all(viaWs);
    const sse = await Promise.all(viaSse);
    await Promise.all(sockets.map((s) => s.close()));

    expect(wsIds).toHaveLength(50);
    expect(wsIds.every((ids) => ids.length > 3)).toBe(true);
    const sseTypes = sse.map((messages) =>
      messages.flatMap((m) => (m.data as unknown as { json?: StreamEvent }).json?.type ?? []),
    );
    expect(sseTypes.every((types) => types.at(-1) === 'done')).toBe(true);
    // The live events (the same object for every subscriber) went through superjson once each for
    // SSE and once in their envelope for the 50 WebSocket subscriptions.
    expect(calls.size).toBeGreaterThan(3);
    expect(Math.max(...calls.values())).toBeLessThanOrEqual(2);
    // ...while each subscriber got every one of them.
    const lastIds = new Set(wsIds.map((ids) => ids.at(-1)));
    expect(lastIds.size).toBe(1);
  });
});
