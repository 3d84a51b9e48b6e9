import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTRPCClient } from '@trpc/client';
import { initTRPC, tracked } from '@trpc/server';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import superjson from 'superjson';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { startCutProxy } from '../test/cut-proxy.ts';
import { createGatewayLinks } from './trpc-client.ts';

// A stand-in router with the gateway's conventions (superjson, Bearer or connectionParams,
// tracked subscriptions), so the links' resume logic is tested apart from the real server.
const t = initTRPC.context<{ token: string | null }>().create({ transformer: superjson });
const router = t.router({
  whoami: t.procedure.query(({ ctx }) => ({ token: ctx.token, at: new Date(0) })),
  onTick: t.procedure
    .input((v) => v as { upTo: number; lastEventId?: string | null })
    .subscription(async function* ({ input, ctx, signal }) {
      for (let n = input.lastEventId ? Number(input.lastEventId) + 1 : 1; n <= input.upTo; n++) {
        await new Promise((r) => setTimeout(r, 15));
        if (signal?.aborted) return;
        yield tracked(String(n), { n, token: ctx.token });
      }
    }),
});
type TestRouter = typeof router;

async function startTestTrpc() {
  const handler = createHTTPHandler({
    router,
    basePath: '/trpc/',
    createContext: ({ req }) => ({ token: req.headers.authorization?.replace(/^Bearer /, '') ?? null }),
  });
  const server = createServer((req, res) => void handler(req, res));
  const wss = new WebSocketServer({ server, path: '/trpc' });
  const ws = applyWSSHandler({
    wss,
    router,
    createContext: ({ info }) => ({
      token: typeof info.connectionParams?.['token'] === 'string' ? info.connectionParams['token'] : null,
    }),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async [Symbol.asyncDispose]() {
      ws.broadcastReconnectNotification();
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe.each(['http', 'ws'] as const)('createGatewayLinks (%s subscriptions)', (transport) => {
  it('sends the token, uses superjson and resumes a cut subscription without gaps or repeats', async () => {
    await using server = await startTestTrpc();
    await using proxy = await startCutProxy(server.url);
    const gateway = createGatewayLinks({
      url: proxy.url,
      token: () => Promise.resolve('tok-1'),
      transport,
      WebSocket,
    });
    const client = createTRPCClient<TestRouter>({
      links: gateway.links,
    });
    try {
      await expect(client.whoami.query()).resolves.toEqual({ token: 'tok-1', at: new Date(0) });
      const seen = await new Promise<{ n: number; token: string | null }[]>((resolve, reject) => {
        const got: { n: number; token: string | null }[] = [];
        const sub = client.onTick.subscribe(
          { upTo: 30 },
          {
            onData: ({ id, data }) => {
              expect(id).toBe(String(data.n));
              got.push(data);
              if (data.n === 5) proxy.cut();
              if (data.n === 30) {
                sub.unsubscribe();
                resolve(got);
              }
            },
            onError: reject,
          },
        );
      });
      expect(seen.map((d) => d.n)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      expect(new Set(seen.map((d) => d.token))).toEqual(new Set(['tok-1']));
      expect(proxy.accepted).toBeGreaterThanOrEqual(transport === 'ws' ? 2 : 3);
    } finally {
      await gateway.close();
    }
  });
});

// Both sides of the global-WebSocket fallback, whatever the Node version (Node 20 has no global).
describe('createGatewayLinks without a WebSocket option', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("asks for a WebSocket class when transport is 'ws' and none is global", () => {
    vi.stubGlobal('WebSocket', undefined);
    expect(() => createGatewayLinks({ url: 'http://x', token: 't', transport: 'ws' })).toThrow(
      /pass the `ws` package/,
    );
  });

  it('subscribes through the global WebSocket when there is one', async () => {
    await using server = await startTestTrpc();
    const opened: string[] = [];
    class RecordingWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols);
        opened.push(url);
      }
    }
    vi.stubGlobal('WebSocket', RecordingWebSocket);
    const gateway = createGatewayLinks({ url: server.url, token: 'tok-g', transport: 'ws' });
    const client = createTRPCClient<TestRouter>({ links: gateway.links });
    try {
      const first = await new Promise<{ n: number; token: string | null }>((resolve, reject) => {
        const sub = client.onTick.subscribe(
          { upTo: 1 },
          {
            onData: ({ data }) => {
              sub.unsubscribe();
              resolve(data);
            },
            onError: reject,
          },
        );
      });
      expect(first).toEqual({ n: 1, token: 'tok-g' });
      expect(opened).toEqual([`${server.url.replace(/^http/, 'ws')}/trpc?connectionParams=1`]);
    } finally {
      await gateway.close();
    }
  });
});
