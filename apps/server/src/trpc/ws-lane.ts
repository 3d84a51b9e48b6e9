import type { IncomingMessage } from 'node:http';
import { isListenable, listenTo, trpcTransformer } from '@comfy-gateway/api';
import type { AnyRouter } from '@trpc/server';
import {
  TRPCError,
  callTRPCProcedure,
  getTRPCErrorFromUnknown,
  getTRPCErrorShape,
  isTrackedEnvelope,
  transformTRPCResponse,
} from '@trpc/server';
import { parseTRPCMessage } from '@trpc/server/rpc';
import type { TRPCRequestMessage } from '@trpc/server/rpc';
import { WebSocket } from 'ws';
import { WS_MAX_CALLS_PER_FRAME } from './ws-call-budget.ts';
import { dataPrefix, framePayload, trackedDataFrame } from './ws-lane-wire.ts';
import { LaneWriter } from './ws-lane-writer.ts';

/** What tRPC's adapter hands its `onError`; the lane reports the same. */
export interface LaneErrorInfo<Context> {
  error: TRPCError;
  type: 'subscription';
  path: string;
  input: unknown;
  ctx: Context | undefined;
  req: IncomingMessage;
}

export interface LaneOptions<Context> {
  router: AnyRouter;
  /** Subscriptions served here; their procedures return listenable results (`listenable()`). */
  paths: ReadonlySet<string>;
  /** The socket's context as tRPC's adapter created it (undefined before its connectionParams). */
  contextOf: (ws: WebSocket) => Promise<Context> | undefined;
  onError: (info: LaneErrorInfo<Context>) => void;
  encode: (msg: unknown) => string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
/** What coalescing goes by: the event's `type` (a newer `status` replaces a waiting one). */
const kindOf = (event: unknown): string =>
  isObject(event) && typeof event['type'] === 'string' ? event['type'] : 'data';

/**
 * tRPC WebSocket subscriptions that thousands follow, served without tRPC's per-event promise
 * loop: the same procedure (context, middlewares, input schema) is called, its listenable result
 * is listened to synchronously and `started` / `data` / `stopped` / errors are written in the
 * adapter's wire format. Every other message goes on to tRPC's adapter unchanged.
 */
export function createSubscriptionLane<Context>(opts: LaneOptions<Context>) {
  // The router's config as tRPC's own helpers take it (AnyRouter types it loosely).
  const config = opts.router._def._config as Parameters<typeof transformTRPCResponse>[0];

  /** Returns the socket's message filter: what tRPC still gets (null: nothing). */
  function attach(ws: WebSocket, req: IncomingMessage): (raw: Buffer) => Buffer | null {
    const subs = new Map<number | string, () => void>();
    // Without compression ws writes every frame synchronously to the upgraded socket, so a frame
    // written there directly keeps its place among ws's own.
    const raw = ws.extensions === '' && req.socket.writable ? req.socket : null;
    const writer = raw ? new LaneWriter(raw) : null;
    ws.once('close', () => {
      for (const stop of [...subs.values()]) stop();
    });
    const send = (msg: unknown) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(opts.encode(transformTRPCResponse(config, msg as never)));
    };

    type Call = TRPCRequestMessage & { id: number | string };
    async function subscribe(msg: Call, batchIndex: number, ctxPromise: Promise<Context>) {
      const { id, jsonrpc } = msg;
      const { path, lastEventId } = msg.params;
      let input = msg.params.input;
      if (lastEventId !== undefined)
        input = isObject(input) ? { ...input, lastEventId } : (input ?? { lastEventId });
      let ctx: Context | undefined;
      const fail = (cause: unknown) => {
        const error = getTRPCErrorFromUnknown(cause);
        opts.onError({ error, type: 'subscription', path, input, ctx, req });
        const shape: unknown = getTRPCErrorShape({ config, ctx, error, type: 'subscription', path, input });
        send({ id, jsonrpc, error: shape });
      };
      if (subs.has(id)) return fail(new TRPCError({ code: 'BAD_REQUEST', message: `Duplicate id ${id}` }));

      const ac = new AbortController();
      let detach: (() => void) | null = null;
      let over = false;
      // Behind the subscription's frames still waiting for a slow socket.
      const later = (fn: () => void) => (writer ? writer.after(id, fn) : fn());
      const end = () => {
        if (over) return;
        over = true;
        subs.delete(id);
        later(() => send({ id, jsonrpc, result: { type: 'stopped' } }));
      };
      // `subscription.stop` or the socket's close.
      subs.set(id, () => {
        writer?.drop(id);
        ac.abort();
        detach?.();
        end();
      });
      try {
        ctx = await ctxPromise;
        if (ac.signal.aborted || ws.readyState !== WebSocket.OPEN) return end();
        const result: unknown = await callTRPCProcedure({
          router: opts.router,
          path,
          getRawInput: () => Promise.resolve(input),
          ctx,
          type: 'subscription',
          signal: ac.signal,
          batchIndex,
        });
        if (!isListenable(result))
          throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: `${path} is not listenable` });
        if (ac.signal.aborted || ws.readyState !== WebSocket.OPEN) return end();
        send({ id, jsonrpc, result: { type: 'started' } });
        const prefix = dataPrefix(id, jsonrpc);
        detach = listenTo(result, {
          next(value) {
            if (ws.readyState !== WebSocket.OPEN) return;
            if (!isTrackedEnvelope(value))
              return send({ id, jsonrpc, result: { type: 'data', data: value } });
            const frame = trackedDataFrame(prefix, value[0], value[1]);
            if (writer) writer.frame(id, kindOf(value[1]), frame);
            else ws.send(framePayload(frame), { binary: false });
          },
          error(err) {
            later(() => fail(err));
            end();
          },
          complete: end,
        });
      } catch (cause) {
        // Stopped meanwhile: `stopped` went out with the stop.
        if (over) return;
        over = true;
        subs.delete(id);
        fail(cause);
      }
    }

    /** Takes the calls of a frame that are ours; false leaves one to tRPC (which also answers bad ones). */
    function take(raw: unknown, index: number, ctxPromise: Promise<Context>): boolean {
      if (!isObject(raw)) return false;
      if (raw['method'] === 'subscription.stop') {
        const stop = subs.get(raw['id'] as number | string);
        stop?.();
        return stop !== undefined;
      }
      const params = raw['params'];
      if (raw['method'] !== 'subscription' || !isObject(params) || !opts.paths.has(params['path'] as string))
        return false;
      let msg;
      try {
        msg = parseTRPCMessage(raw, trpcTransformer);
      } catch {
        return false;
      }
      if (!('params' in msg) || msg.id === null) return false;
      subscribe(msg as Call, index, ctxPromise).catch((cause: unknown) =>
        opts.onError({
          error: getTRPCErrorFromUnknown(cause),
          type: 'subscription',
          path: String(params['path']),
          input: undefined,
          ctx: undefined,
          req,
        }),
      );
      return true;
    }

    return (raw) => {
      const ctxPromise = opts.contextOf(ws);
      // Before the context exists the frame is the connectionParams message: tRPC's.
      if (!ctxPromise) return raw;
      const text = raw.toString('utf8');
      if (!text.includes('"subscription')) return raw;
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return raw;
      }
      const list = Array.isArray(parsed) ? (parsed as unknown[]) : [parsed];
      // An oversized batch is answered by tRPC, all of it.
      if (list.length > WS_MAX_CALLS_PER_FRAME) return raw;
      const rest = list.filter((m, i) => !take(m, i, ctxPromise));
      if (rest.length === list.length) return raw;
      if (rest.length === 0) return null;
      return Buffer.from(JSON.stringify(Array.isArray(parsed) ? rest : rest[0]));
    };
  }

  return { attach };
}
