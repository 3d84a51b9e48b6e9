import {
  TRPCClientError,
  createTRPCUntypedClient,
  createWSClient,
  httpBatchLink,
  httpSubscriptionLink,
  wsLink,
} from '@trpc/client';
import type { AnyTRPCRouter } from '@trpc/server';
import { EventSource } from 'eventsource';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startComfyApp } from './comfy-fixture.ts';
import type { ComfyTestApp } from './comfy-fixture.ts';

// `@trpc/client` as a third party uses it: untyped, no import of the gateway's router.
type Client = ReturnType<typeof createTRPCUntypedClient<AnyTRPCRouter>>;
// What the wire carries, as a third party would declare it.
type WireErrorShape = { code: number; message: string; data: { code: string; httpStatus: number } };
type ClientError = TRPCClientError<{ transformer: false; errorShape: WireErrorShape }>;

const UNKNOWN = { prompt_id: 'no-such-prompt' };

function httpClient(app: ComfyTestApp, token: string): Client {
  const authorization = `Bearer ${token}`;
  return createTRPCUntypedClient({
    links: [httpBatchLink({ url: `${app.url}/trpc`, transformer: superjson, headers: { authorization } })],
  });
}

/** The `eventsource` package, the standard EventSource for Node, sending a Bearer token. */
function sseClient(app: ComfyTestApp, token: string): Client {
  return createTRPCUntypedClient({
    links: [
      httpSubscriptionLink({
        url: `${app.url}/trpc`,
        transformer: superjson,
        EventSource,
        eventSourceOptions: {
          fetch: (input, init) =>
            fetch(input, { ...init, headers: { ...init.headers, authorization: `Bearer ${token}` } }),
        },
      }),
    ],
  });
}

function wsClient(app: ComfyTestApp, token: string, onClose?: (code: number | undefined) => void) {
  const ws = createWSClient({
    url: `${app.url.replace('http', 'ws')}/trpc`,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    connectionParams: { token },
    onClose: (cause) => onClose?.(cause?.code),
  });
  return { client: createTRPCUntypedClient({ links: [wsLink({ client: ws, transformer: superjson })] }), ws };
}

/** The error a subscription ends with; a link that starts reconnecting instead fails the test. */
function subscriptionError(client: Client, path: string, input: unknown): Promise<ClientError> {
  return new Promise((resolve, reject) => {
    const sub = client.subscription(path, input, {
      onData: (data) => {
        sub.unsubscribe();
        reject(new Error(`expected an error, got data ${JSON.stringify(data)}`));
      },
      onError: (err) => resolve(err),
      onConnectionStateChange: (state) => {
        if (state.state === 'connecting' && state.error) {
          sub.unsubscribe();
          reject(new Error(`the link is retrying after: ${state.error.message}`));
        }
      },
    });
  });
}

async function callError(call: Promise<unknown>): Promise<ClientError> {
  const err = await call.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof TRPCClientError)) throw new Error(`expected a TRPCClientError, got ${String(err)}`);
  return err as ClientError;
}

/** What an outside client keys on: the JSON-RPC code, the tRPC code name and the HTTP status. */
function expectCode(err: ClientError, code: 'NOT_FOUND' | 'UNAUTHORIZED', rpc: number, status: number) {
  expect({ rpc: err.shape?.code, code: err.data?.code, httpStatus: err.data?.httpStatus }).toEqual({
    rpc,
    code,
    httpStatus: status,
  });
}

describe('@trpc/client without the gateway types', () => {
  it('HTTP: an unknown prompt is NOT_FOUND, a bad token UNAUTHORIZED', async () => {
    await using app = await startComfyApp();
    const ok = httpClient(app, app.adminToken);
    expectCode(await callError(ok.query('comfy.status', UNKNOWN)), 'NOT_FOUND', -32004, 404);
    const bad = httpClient(app, 'cgs_forged');
    expectCode(await callError(bad.query('comfy.health')), 'UNAUTHORIZED', -32001, 401);
  });

  it('SSE: a subscription to an unknown prompt ends with NOT_FOUND instead of retrying', async () => {
    await using app = await startComfyApp();
    const err = await subscriptionError(sseClient(app, app.adminToken), 'comfy.onStatus', UNKNOWN);
    expectCode(err, 'NOT_FOUND', -32004, 404);
  });

  it('SSE: a bad token ends the subscription with UNAUTHORIZED', async () => {
    await using app = await startComfyApp();
    const err = await subscriptionError(sseClient(app, 'cgs_forged'), 'comfy.onStatus', UNKNOWN);
    expectCode(err, 'UNAUTHORIZED', -32001, 401);
  });

  it('WebSocket: an unknown prompt is NOT_FOUND', async () => {
    await using app = await startComfyApp();
    const { client, ws } = wsClient(app, app.adminToken);
    try {
      expectCode(await subscriptionError(client, 'comfy.onStatus', UNKNOWN), 'NOT_FOUND', -32004, 404);
      expectCode(await callError(client.query('comfy.status', UNKNOWN)), 'NOT_FOUND', -32004, 404);
    } finally {
      await ws.close();
    }
  });

  it('WebSocket: a bad token reaches the caller as UNAUTHORIZED, then the socket closes (4401)', async () => {
    await using app = await startComfyApp();
    let closedWith: (code: number | undefined) => void = () => undefined;
    const closed = new Promise<number | undefined>((resolve) => (closedWith = resolve));
    const { client, ws } = wsClient(app, 'cgs_forged', (code) => closedWith(code));
    try {
      expectCode(await subscriptionError(client, 'comfy.onStatus', UNKNOWN), 'UNAUTHORIZED', -32001, 401);
      expectCode(await callError(client.query('auth.me')), 'UNAUTHORIZED', -32001, 401);
      expect(await closed).toBe(4401);
    } finally {
      await ws.close();
    }
  });

  it('WebSocket: a deactivated account reaches the caller as FORBIDDEN, then the socket closes (4403)', async () => {
    await using app = await startComfyApp();
    const user = await app.createUser('gone@example.com');
    await app.services.auth.setActive(user.id, false, 1);
    let closedWith: (code: number | undefined) => void = () => undefined;
    const closed = new Promise<number | undefined>((resolve) => (closedWith = resolve));
    const { client, ws } = wsClient(app, user.token, (code) => closedWith(code));
    try {
      const err = await callError(client.query('auth.me'));
      expect({ rpc: err.shape?.code, code: err.data?.code, httpStatus: err.data?.httpStatus }).toEqual({
        rpc: -32003,
        code: 'FORBIDDEN',
        httpStatus: 403,
      });
      expect(await closed).toBe(4403);
    } finally {
      await ws.close();
    }
  });
});
