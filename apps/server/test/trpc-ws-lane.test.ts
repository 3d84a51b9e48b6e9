import type { AppRouter } from '@comfy-gateway/api';
import type { StreamEvent } from '@comfy-gateway/schema';
import { createTRPCClient, createWSClient, httpBatchLink, wsLink } from '@trpc/client';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { subscriberCount } from '../src/comfy/subscriber-count.ts';
import { samplerWorkflow, startComfyApp } from './comfy-fixture.ts';

/** `comfy.onStatus` over the WebSocket lane, with the stock tRPC client. */
describe('tRPC onStatus over the WebSocket lane', () => {
  it('resumes after lastEventId, and a stop or a closed socket releases the stream', async () => {
    await using app = await startComfyApp({ stepMs: 30 });
    await app.connected();
    const headers = { authorization: `Bearer ${app.adminToken}` };
    const http = createTRPCClient<AppRouter>({
      links: [httpBatchLink({ url: `${app.url}/trpc`, transformer: superjson, headers })],
    });
    const wsClient = createWSClient({
      url: `${app.url.replace('http', 'ws')}/trpc`,
      WebSocket: WebSocket as never,
      connectionParams: { token: app.adminToken },
    });
    const client = createTRPCClient<AppRouter>({
      links: [wsLink({ client: wsClient, transformer: superjson })],
    });
    const tracker = app.services.comfy.conn().tracker;
    const { prompt_id } = await http.comfy.queue.mutate({ workflow: samplerWorkflow(4, 8) });

    /** Ids and types until `stopAt` returns true (then unsubscribes) or `done`. */
    const follow = (lastEventId: string | null, stopAt: (e: StreamEvent) => boolean) =>
      new Promise<{ id: string; type: string }[]>((resolve, reject) => {
        const seen: { id: string; type: string }[] = [];
        const sub = client.comfy.onStatus.subscribe(
          { prompt_id, lastEventId },
          {
            onData: ({ id, data }) => {
              seen.push({ id, type: data.type });
              if (data.type === 'done' || stopAt(data)) {
                sub.unsubscribe();
                resolve(seen);
              }
            },
            onError: reject,
          },
        );
      });

    // Stopped mid-job: the stream's listener and the subscriber count go at once.
    const first = await follow(null, (e) => e.type === 'status' && (e.snapshot.progress?.value ?? 0) >= 2);
    expect(first.at(-1)?.type).toBe('status');
    await expect.poll(() => subscriberCount('trpc')).toBe(0);
    expect(tracker.listenerCount(prompt_id)).toBe(0);

    // Resumed after the last id it saw: no repeats, no gaps, through done.
    const rest = await follow(first.at(-1)?.id ?? null, () => false);
    const ids = [...first, ...rest].map((e) => Number(e.id));
    expect(ids).toEqual(ids.map((_, i) => i + 1));
    expect(rest.at(-1)?.type).toBe('done');
    await wsClient.close();

    // A raw socket that goes away mid-job releases its subscriptions too.
    const running = await http.comfy.queue.mutate({ workflow: samplerWorkflow(5, 400) });
    const raw = new WebSocket(`${app.url.replace('http', 'ws')}/trpc`, { headers });
    await new Promise((resolve) => raw.once('open', resolve));
    const subscribe = (id: number) => ({
      id,
      method: 'subscription',
      params: { path: 'comfy.onStatus', input: { json: { prompt_id: running.prompt_id } } },
    });
    raw.send(JSON.stringify([subscribe(1), subscribe(2)]));
    const data = new Set<number>();
    await new Promise<void>((resolve) =>
      raw.on('message', (m: Buffer) => {
        const msg = JSON.parse(m.toString()) as { id: number; result?: { type: string } };
        if (msg.result?.type === 'data') data.add(msg.id);
        if (data.size === 2) resolve();
      }),
    );
    expect(subscriberCount('trpc')).toBe(2);
    expect(tracker.listenerCount(running.prompt_id)).toBe(2);
    raw.terminate();
    await expect.poll(() => subscriberCount('trpc')).toBe(0);
    expect(tracker.listenerCount(running.prompt_id)).toBe(0);
    await http.comfy.cancel.mutate({ prompt_id: running.prompt_id });
  });
});
