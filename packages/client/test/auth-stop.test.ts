import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { GatewayClientError, createComfyGatewayClient, fromTrpcError } from '../src/index.ts';
import type { ComfyGatewayClient } from '../src/index.ts';
import { startCutProxy } from './cut-proxy.ts';
import { startTestGateway } from './gateway.ts';

// Longer than the first two reconnect delays (250 ms, 500 ms): a client that retried would have.
const RECONNECT_WINDOW_MS = 1200;

function subscribeUntilError(client: ComfyGatewayClient): Promise<unknown> {
  return new Promise((resolve) => {
    client.trpc.comfy.onStatus.subscribe(
      { prompt_id: 'nope' },
      {
        onData: () => resolve(new Error('got data')),
        onError: resolve,
        onComplete: () => resolve('completed'),
      },
    );
  });
}

describe('auth failures end subscriptions instead of reconnecting', () => {
  it.each(['ws', 'http'] as const)(
    'tRPC over %s: UNAUTHORIZED, then no new connection',
    async (transport) => {
      await using gw = await startTestGateway();
      await using proxy = await startCutProxy(gw.url);
      await using client = createComfyGatewayClient({
        url: proxy.url,
        token: 'cgt_nope',
        transport,
        ...(transport === 'ws' ? { WebSocket } : {}),
      });
      const mapped = fromTrpcError(await subscribeUntilError(client));
      expect(mapped).toBeInstanceOf(GatewayClientError);
      expect(mapped).toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
      const connections = proxy.accepted;
      expect(connections).toBeGreaterThanOrEqual(1);
      await delay(RECONNECT_WINDOW_MS);
      expect(proxy.accepted).toBe(connections);
    },
  );

  it('a revoked token ends an open WebSocket subscription with UNAUTHORIZED', async () => {
    await using gw = await startTestGateway({ stepMs: 50 });
    await using proxy = await startCutProxy(gw.url);
    const admin = createComfyGatewayClient({ url: gw.url, token: gw.sessionToken });
    const created = await admin.trpc.auth.tokens.create.mutate({ name: 'short-lived' });
    await using client = createComfyGatewayClient({
      url: proxy.url,
      token: created.token,
      transport: 'ws',
      WebSocket,
    });
    const { prompt_id } = await client.rest.text2img({
      caption: 'a slow boat',
      steps: 40,
      width: 256,
      height: 256,
    });
    const ended = new Promise<unknown>((resolve) => {
      let revoked = false;
      client.trpc.comfy.onStatus.subscribe(
        { prompt_id },
        {
          onData: () => {
            if (revoked) return;
            revoked = true;
            // Revoke, then drop the socket: the reconnect must not keep trying with a dead token.
            void admin.trpc.auth.tokens.revoke.mutate({ id: created.id }).then(() => proxy.cut());
          },
          onError: resolve,
          onComplete: () => resolve('completed'),
        },
      );
    });
    expect(fromTrpcError(await ended)).toMatchObject({ code: 'UNAUTHORIZED' });
    const connections = proxy.accepted;
    await delay(RECONNECT_WINDOW_MS);
    expect(proxy.accepted).toBe(connections);
  });

  it('rest.stream throws the 401 at once, without a second request', async () => {
    await using gw = await startTestGateway();
    await using proxy = await startCutProxy(gw.url);
    const { rest } = createComfyGatewayClient({ url: proxy.url, token: 'cgt_nope' });
    const reconnects: number[] = [];
    const iterate = async () => {
      for await (const _ of rest.stream('nope', { onReconnect: ({ attempt }) => reconnects.push(attempt) })) {
        // no event is expected
      }
    };
    await expect(iterate()).rejects.toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    expect(reconnects).toEqual([]);
    expect(proxy.accepted).toBe(1);
  });
});
