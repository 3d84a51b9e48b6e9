import { EventEmitter, on } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { listenable, shareAcrossSubscribers, trpcTransformer } from '@comfy-gateway/api';
import { TRPCError, initTRPC, tracked } from '@trpc/server';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import * as z from 'zod';
import { BudgetedWebSocket } from './ws-call-budget.ts';
import { sharedEventEncoder } from './ws-encoder.ts';
import { createSubscriptionLane } from './ws-lane.ts';

// Ticks 1..3, the same objects for every subscriber (as the job bus hands them out).
const hub = new EventEmitter();
const ticks = [1, 2, 3].map((n) => shareAcrossSubscribers({ n, at: new Date(n) }));
const LAST = 3;
// How subscriptions were read: tRPC's adapter iterates, the lane listens.
const reads = { iterated: 0, listened: 0 };

interface Ctx {
  user: string | null;
  opened: number;
}
// isDev off: no stack traces in error shapes (they differ by call path, not by wire format).
const t = initTRPC.context<Ctx>().create({ transformer: trpcTransformer, isDev: false });
const authed = t.procedure.use(({ ctx, next }) => {
  if (!ctx.user) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'who are you' });
  return next({ ctx: { user: ctx.user } });
});

/** Like `onStatus`: listenable, opened on first read (so its errors come after `started`). */
function tickEvents(after: number, failOpen: boolean, signal: AbortSignal | undefined) {
  type Tick = (typeof ticks)[number];
  const open = () =>
    failOpen
      ? Promise.reject(new TRPCError({ code: 'NOT_FOUND', message: 'no such ticker' }))
      : Promise.resolve();
  async function* iterate() {
    reads.iterated++;
    await open();
    for await (const [tick] of on(hub, 'tick', { signal }) as AsyncIterable<[Tick]>) {
      if (tick.n > after) yield tracked(String(tick.n), tick);
      if (tick.n === LAST) return;
    }
  }
  return listenable(
    () => iterate(),
    (sink) => {
      reads.listened++;
      const onTick = (tick: Tick) => {
        if (tick.n > after) sink.next(tracked(String(tick.n), tick));
        if (tick.n !== LAST) return;
        stop();
        sink.complete();
      };
      const stop = () => void hub.off('tick', onTick);
      open().then(
        () => hub.on('tick', onTick),
        (err: unknown) => sink.error(err),
      );
      return stop;
    },
  );
}

const router = t.router({
  hello: authed.query(({ ctx }) => `hello ${ctx.user}`),
  onTick: authed
    .input(z.object({ failOpen: z.boolean().optional(), lastEventId: z.string().nullish() }))
    .subscription(({ input, signal }) =>
      tickEvents(Number(input.lastEventId ?? 0), input.failOpen ?? false, signal),
    ),
});

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** tRPC's adapter on a real server, with or without the lane in front of it. */
async function serve(withLane: boolean): Promise<string> {
  const server = http.createServer();
  const wss = new WebSocketServer({ server, WebSocket: BudgetedWebSocket });
  const contexts = new WeakMap<WebSocket, Promise<Ctx>>();
  applyWSSHandler({
    wss,
    router,
    experimental_encoder: sharedEventEncoder,
    createContext: ({ req, res }) => {
      const user = new URL(req.url ?? '/', 'http://x').searchParams.get('user');
      const ctx = Promise.resolve({ user, opened: 0 });
      contexts.set(res, ctx);
      return ctx;
    },
  });
  if (withLane) {
    const lane = createSubscriptionLane<Ctx>({
      router,
      paths: new Set(['onTick']),
      contextOf: (ws) => contexts.get(ws),
      onError: () => undefined,
      encode: (msg) => sharedEventEncoder.encode(msg),
    });
    wss.on('connection', (ws: BudgetedWebSocket, req: http.IncomingMessage) => {
      ws.divert = lane.attach(ws, req);
    });
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push({
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.close(() => resolve());
      }),
  });
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A raw client: every frame it gets, by call id. */
async function rawClient(url: string) {
  const ws = new WebSocket(url);
  const frames = new Map<string, string[]>();
  const waiters: (() => void)[] = [];
  ws.on('message', (data: Buffer) => {
    const text = data.toString();
    const id = String((JSON.parse(text) as { id: unknown }).id);
    frames.set(id, [...(frames.get(id) ?? []), text]);
    for (const w of waiters.splice(0)) w();
  });
  await new Promise((resolve) => ws.once('open', resolve));
  const until = async (ok: () => boolean) => {
    while (!ok()) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  return {
    frames,
    send: (msg: unknown) => ws.send(JSON.stringify(msg)),
    /** Waits until call `id` got `n` frames. */
    got: (id: number | string, n: number) => until(() => (frames.get(String(id))?.length ?? 0) >= n),
    close: () => ws.close(),
  };
}

const sub = (id: number | string, input: object = {}, extra: object = {}) => ({
  id,
  method: 'subscription',
  params: { path: 'onTick', input: { json: input }, ...extra },
});

/** The same script against one server: what its client receives, frame by frame, per call. */
async function script(url: string) {
  const a = await rawClient(`${url}/?user=ann`);
  const anon = await rawClient(url);
  // A batch mixing a query (tRPC's) and a subscription (the lane's).
  a.send([{ id: 1, method: 'query', params: { path: 'hello', input: { json: null } } }, sub(2)]);
  // JSON-RPC 2.0 and a resume after event 1.
  a.send({ jsonrpc: '2.0', ...sub('three', {}, { lastEventId: '1' }) });
  a.send(sub(4, { failOpen: true }));
  a.send(sub(5, { failOpen: 'yes' }));
  a.send(sub(6));
  anon.send(sub(7));
  await Promise.all([a.got(1, 1), a.got(2, 1), a.got('three', 1), a.got(4, 3), a.got(5, 1), a.got(6, 1)]);
  await anon.got(7, 1);
  a.send(sub(2)); // still running: a duplicate id
  a.send({ id: 6, method: 'subscription.stop' });
  await a.got(6, 2);
  await a.got(2, 2);
  for (const tick of ticks) hub.emit('tick', tick);
  await Promise.all([a.got(2, 6), a.got('three', 4)]);
  a.close();
  anon.close();
  return { ann: Object.fromEntries(a.frames), anon: Object.fromEntries(anon.frames) };
}

describe('WebSocket subscription lane', () => {
  it('sends the very frames tRPC’s adapter sends, for every outcome of a subscription', async () => {
    const stock = await script(await serve(false));
    expect(reads).toEqual({ iterated: 4, listened: 0 });
    const laned = await script(await serve(true));
    expect(reads).toEqual({ iterated: 4, listened: 4 });
    expect(laned).toEqual(stock);
    // What that is, so the comparison cannot pass on two empty scripts.
    const types = (frames: string[] | undefined) =>
      (frames ?? []).map((f) => {
        const m = JSON.parse(f) as {
          result?: { type: string; id?: string };
          error?: { json: { data: { code: string } } };
        };
        return m.error
          ? `error ${m.error.json.data.code}`
          : `${m.result?.type}${m.result?.id ? ` ${m.result.id}` : ''}`;
      });
    expect(types(laned.ann['1'])).toEqual(['data']);
    expect(types(laned.ann['2'])).toEqual([
      'started',
      'error BAD_REQUEST',
      'data 1',
      'data 2',
      'data 3',
      'stopped',
    ]);
    expect(types(laned.ann['three'])).toEqual(['started', 'data 2', 'data 3', 'stopped']);
    expect(types(laned.ann['4'])).toEqual(['started', 'error NOT_FOUND', 'stopped']);
    expect(types(laned.ann['5'])).toEqual(['error BAD_REQUEST']);
    expect(types(laned.ann['6'])).toEqual(['started', 'stopped']);
    expect(types(laned.anon['7'])).toEqual(['error UNAUTHORIZED']);
    expect(laned.ann['three']?.[1]).toContain('"jsonrpc":"2.0"');
  });
});
