import { txt2img } from '@comfy-gateway/comfy-sim/conformance';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { GatewayClientError, createComfyGatewayClient, fromTrpcError } from '../src/index.ts';
import type { ComfyGatewayClient, StreamEvent } from '../src/index.ts';
import { startCutProxy } from './cut-proxy.ts';
import { startTestGateway } from './gateway.ts';

/** Subscribes to `comfy.onStatus` until `done`; calls `onItem` with each event's tracked id. */
function followStatus(
  client: ComfyGatewayClient,
  promptId: string,
  onItem?: (id: string, n: number) => void,
) {
  const items: { id: string; event: StreamEvent }[] = [];
  return new Promise<typeof items>((resolve, reject) => {
    const sub = client.trpc.comfy.onStatus.subscribe(
      { prompt_id: promptId },
      {
        onData(tracked) {
          items.push({ id: tracked.id, event: tracked.data });
          onItem?.(tracked.id, items.length);
          if (tracked.data.type === 'done') {
            sub.unsubscribe();
            resolve(items);
          }
        },
        onError: reject,
        onComplete: () => resolve(items),
      },
    );
  });
}

describe.each(['http', 'ws'] as const)('tRPC with %s subscriptions', (transport) => {
  const clientFor = (url: string, token: string) =>
    createComfyGatewayClient({ url, token, transport, ...(transport === 'ws' ? { WebSocket } : {}) });

  it('batches queries and follows a job over onStatus to done', async () => {
    await using gw = await startTestGateway();
    await using client = clientFor(gw.url, gw.apiToken);
    const [me, health] = await Promise.all([client.trpc.auth.me.query(), client.trpc.comfy.health.query()]);
    expect(me.email).toBe(gw.adminEmail);
    expect(health).toMatchObject({ status: 'ok', enabled: true });

    const job = await client.trpc.comfy.text2img.mutate({
      caption: 'a tiny boat',
      width: 256,
      height: 256,
      steps: 4,
    });
    const items = await followStatus(client, job.prompt_id);
    expect(items.at(-1)?.event).toMatchObject({
      type: 'done',
      snapshot: { prompt_id: job.prompt_id, status: 'completed' },
    });
    expect(new Set(items.map((i) => i.id)).size).toBe(items.length);
  });

  it('resumes a subscription after a dropped connection from the last tracked id', async () => {
    await using gw = await startTestGateway({ stepMs: 20 });
    await using proxy = await startCutProxy(gw.url);
    await using direct = clientFor(gw.url, gw.apiToken);
    await using viaProxy = clientFor(proxy.url, gw.apiToken);
    const { prompt_id } = await direct.rest.queue(txt2img({ steps: 30, size: 256 }));
    const reference = followStatus(direct, prompt_id);
    const items = await followStatus(viaProxy, prompt_id, (_id, n) => {
      if (n === 2) proxy.cut();
    });
    expect(proxy.accepted).toBeGreaterThanOrEqual(2);
    expect(items.map((i) => i.id)).toEqual((await reference).map((i) => i.id));
  });

  it('refuses a bad token', async () => {
    await using gw = await startTestGateway();
    await using client = clientFor(gw.url, 'cgt_nope');
    await expect(client.trpc.auth.me.query()).rejects.toMatchObject({
      data: { code: 'UNAUTHORIZED', httpStatus: 401 },
    });
    const err = await new Promise<unknown>((resolve) => {
      client.trpc.comfy.onStatus.subscribe(
        { prompt_id: 'nope' },
        { onData: () => resolve(new Error('got data')), onError: resolve },
      );
    });
    const mapped = fromTrpcError(err);
    expect(mapped).toBeInstanceOf(GatewayClientError);
    // Over WS the refusal comes as the socket's first message; the client ends the subscription with it.
    expect((mapped as GatewayClientError).code).toBe('UNAUTHORIZED');
  });
});
