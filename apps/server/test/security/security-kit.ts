import type { TokenScope } from '@comfy-gateway/schema';
import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import superjson from 'superjson';
import WebSocket from 'ws';
import type { AppRouter } from '@comfy-gateway/api';
import type { TestApp } from '../fixture.ts';
import { samplerWorkflow } from '../comfy-fixture.ts';

/** A tRPC client over HTTP batching with a Bearer token. */
export function trpcHttp(t: Pick<TestApp, 'url'>, token?: string) {
  return createTRPCClient<AppRouter>({
    links: [
      httpBatchLink({
        url: `${t.url}/trpc`,
        transformer: superjson,
        headers: () => (token ? { authorization: `Bearer ${token}` } : {}),
      }),
    ],
  });
}

/** The `data` of a rejected tRPC call (code, httpStatus, fields), or fails the test if it resolved. */
export async function trpcError(
  p: Promise<unknown>,
): Promise<{ code: string; httpStatus: number; message: string }> {
  const err = await p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
  if (!(err instanceof TRPCClientError)) throw err;
  const data = err.data as { code: string; httpStatus: number };
  return { ...data, message: err.message };
}

/** Creates an API token for `sessionToken`'s user over REST; returns its id and the token. */
export async function createApiToken(
  t: TestApp,
  sessionToken: string,
  body: { name?: string; scopes?: TokenScope[]; expires_in_days?: number } = {},
): Promise<{ id: number; token: string; scopes: TokenScope[]; expires_at: number }> {
  const res = await t.request('/api/auth/tokens', {
    method: 'POST',
    token: sessionToken,
    json: { name: 'test', ...body },
  });
  if (res.status !== 201) throw new Error(`token creation failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: number; token: string; scopes: TokenScope[]; expires_at: number };
}

export interface RawWsResponse {
  id: number | string | null;
  result?: { type?: string; data?: unknown };
  error?: { json: { message: string; data: { code: string; httpStatus: number } } };
}

/** A raw tRPC WebSocket (connectionParams auth) that exposes close codes and reasons. */
export interface RawTrpcWs {
  ws: WebSocket;
  /** Sends one call and waits for its response. */
  call(
    path: string,
    opts?: { type?: 'query' | 'mutation' | 'subscription'; input?: unknown },
  ): Promise<RawWsResponse>;
  /** Sends a frame of messages as they are. */
  sendFrame(messages: unknown[]): void;
  responses: RawWsResponse[];
  closed: Promise<{ code: number; reason: string }>;
}

let nextId = 1;

/** Opens `/trpc?connectionParams=1` and authenticates with `token` in the first message. */
export async function openRawWs(t: TestApp, token: string): Promise<RawTrpcWs> {
  const ws = new WebSocket(`${t.url.replace('http', 'ws')}/trpc?connectionParams=1`);
  const responses: RawWsResponse[] = [];
  const waiters = new Map<number | string, (r: RawWsResponse) => void>();
  ws.on('message', (data: Buffer) => {
    const text = data.toString('utf8');
    if (text === 'PING' || text === 'PONG') return;
    const msg = JSON.parse(text) as RawWsResponse;
    responses.push(msg);
    if (msg.id !== null) waiters.get(msg.id)?.(msg);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })),
  );
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ method: 'connectionParams', data: { token } }));
  return {
    ws,
    responses,
    closed,
    sendFrame(messages) {
      ws.send(JSON.stringify(messages));
    },
    call(path, opts = {}) {
      const id = nextId++;
      // The transformer reads `input` even when there is none.
      const params = { path, input: superjson.serialize(opts.input) };
      const answered = new Promise<RawWsResponse>((resolve) => waiters.set(id, resolve));
      ws.send(JSON.stringify({ id, method: opts.type ?? 'query', params }));
      return Promise.race([
        answered,
        closed.then(() => ({
          id,
          error: { json: { message: 'closed', data: { code: 'CLOSED', httpStatus: 0 } } },
        })),
      ]);
    },
  };
}

/** A long job of the caller's own (so ownership rules let them stream it). */
export async function queueLongJob(t: TestApp, token: string): Promise<string> {
  const res = await t.request('/api/comfy/queue', {
    method: 'POST',
    token,
    json: { workflow: samplerWorkflow(Math.floor(Math.random() * 1e6), 200) },
  });
  if (res.status !== 200) throw new Error(`queue failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { prompt_id: string }).prompt_id;
}

/** An open SSE response and a promise of how it ended: `done` event seen, or cut before. */
export async function openStream(
  t: TestApp,
  token: string,
  promptId: string,
): Promise<{ res: Response; ended: Promise<{ sawDone: boolean }> }> {
  const res = await t.request(`/api/comfy/stream/${promptId}`, { token });
  return { res, ended: drain(res) };
}

/** A tRPC subscription over HTTP (SSE), read raw; ends when the server ends it. */
export async function openTrpcSse(
  t: TestApp,
  token: string,
  promptId: string,
): Promise<{ res: Response; ended: Promise<{ sawDone: boolean }> }> {
  const input = encodeURIComponent(JSON.stringify(superjson.serialize({ prompt_id: promptId })));
  const res = await t.request(`/trpc/comfy.onStatus?input=${input}`, {
    token,
    headers: { accept: 'text/event-stream' },
  });
  return { res, ended: drain(res) };
}

async function drain(res: Response): Promise<{ sawDone: boolean }> {
  let text = '';
  const reader = (res.body as ReadableStream<Uint8Array> | null)?.getReader();
  if (!reader) return { sawDone: false };
  const dec = new TextDecoder();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += dec.decode(value, { stream: true });
    }
  } catch {
    // A connection cut by the server ends the stream too.
  }
  return { sawDone: /"type":"done"/.test(text) };
}
