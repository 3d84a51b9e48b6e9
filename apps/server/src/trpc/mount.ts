import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { ERROR_TRPC_CODE, appRouter } from '@comfy-gateway/api';
import type { Context } from '@comfy-gateway/api';
import { TRPCError } from '@trpc/server';
import { createExpressMiddleware } from '@trpc/server/adapters/express';
import type { CreateWSSContextFnOptions } from '@trpc/server/adapters/ws';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import { extractCredentials, isForeignOrigin } from '../auth/credentials.ts';
import { hashToken } from '../auth/tokens.ts';
import { isGatewayError } from '../errors.ts';
import type { Services } from '../services.ts';
import { createHttpContextFactory, createWsContextFactory } from './context.ts';
import { BudgetedWebSocket, WS_MAX_CALLS_PER_FRAME } from './ws-call-budget.ts';
import { sharedEventEncoder } from './ws-encoder.ts';
import { createSubscriptionLane } from './ws-lane.ts';

export const TRPC_PATH = '/trpc';

/** Body limits: callers without a valid credential get a login-sized one; only submits get 10 MB. */
const BODY_LIMITS = { anonymous: 8 * 1024, authed: 64 * 1024, submit: 10 * 1024 * 1024 };
const SUBMIT_PROCEDURES = new Set(['comfy.queue', 'comfy.text2img']);

/** WebSocket close code for a credential that was revoked while the socket was open. */
export const WS_CLOSE_REVOKED = 4001;

function procedureTypeOf(path: string): string | undefined {
  // At run time `_def.procedures` is flat: "comfy.onStatus" -> procedure.
  const procedures = appRouter._def.procedures as unknown as Record<
    string,
    { _def: { type: string } } | undefined
  >;
  return procedures[path]?._def.type;
}

/**
 * The HTTP side of `/trpc`: batched queries/mutations and SSE subscriptions. The body limit is
 * chosen from the credential before tRPC reads anything; a subscription stream counts against
 * `USER_MAX_STREAMS` and ends when its credential is revoked.
 */
export function trpcHttpHandler(services: Services, logger: Logger): RequestHandler {
  const handler = (maxBodySize: number) =>
    createExpressMiddleware({
      router: appRouter,
      createContext: createHttpContextFactory(services),
      allowBatching: true,
      maxBatchSize: 50,
      maxBodySize,
      onError({ error, path }) {
        if (error.code === 'INTERNAL_SERVER_ERROR')
          logger.error({ err: error.cause ?? error, path }, 'trpc error');
      },
    });
  const handlers = {
    anonymous: handler(BODY_LIMITS.anonymous),
    authed: handler(BODY_LIMITS.authed),
    submit: handler(BODY_LIMITS.submit),
  };

  return async (req, res, next) => {
    const creds = extractCredentials(req);
    const found = creds ? await services.auth.authenticateCredential(creds.token) : null;
    if (!found?.user.active) return handlers.anonymous(req, res, next);
    const paths = req.path.replace(/^\//, '').split(',');
    const run = () =>
      (paths.some((p) => SUBMIT_PROCEDURES.has(p)) ? handlers.submit : handlers.authed)(req, res, next);
    if (req.method === 'GET' && paths.length === 1 && procedureTypeOf(paths[0] ?? '') === 'subscription') {
      services.auth.connections
        .open({
          userId: found.user.id,
          credential: found.credential,
          kind: 'trpc-sse',
          close: () => res.destroy(),
        })
        .then((release) => {
          res.once('close', release);
          if (res.destroyed) release();
          return run();
        }, next);
      return;
    }
    return run();
  };
}

const REFUSED_IDLE_MS = 10_000;
/** Subscriptions the WebSocket lane serves (their procedures return listenable results). */
const LANE_PATHS = new Set(['comfy.onStatus']);

/** 4401/4403: the WebSocket application codes for an unauthorized or forbidden caller. */
function closeRefused(socket: WebSocket, ctx: Context): void {
  const forbidden = ctx.refused?.code === 'FORBIDDEN';
  if (socket.readyState === WebSocket.OPEN)
    socket.close(forbidden ? 4403 : 4401, ctx.refused?.message.slice(0, 120) ?? 'refused');
}

function refuse(socket: Duplex, status: number, reason: string, extra = ''): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n${extra}\r\n`);
}

/** A GatewayError as the TRPCError of the same table, so the adapter sends the right code. */
function asTrpcError(err: unknown): unknown {
  return isGatewayError(err)
    ? new TRPCError({ code: ERROR_TRPC_CODE[err.code], message: err.message, cause: err })
    : err;
}

/**
 * WebSocket contexts register their socket per credential: `USER_MAX_STREAMS` applies, and a
 * revoked credential closes the socket (calls on it are re-checked anyway).
 */
function registeringWsContext(services: Services) {
  const create = createWsContextFactory(services);
  return async (opts: CreateWSSContextFnOptions): Promise<Context> => {
    const ctx = await create(opts);
    const socket = opts.res;
    if (!ctx.user || !ctx.token) return ctx;
    let release: () => void;
    try {
      release = await services.auth.connections.open({
        userId: ctx.user.id,
        credential: hashToken(ctx.token),
        kind: 'ws',
        close: (reason) => socket.close(WS_CLOSE_REVOKED, reason),
      });
    } catch (err) {
      throw asTrpcError(err);
    }
    socket.once('close', release);
    if (socket.readyState !== socket.OPEN) release();
    return ctx;
  };
}

/**
 * The WebSocket side of `/trpc` on an existing HTTP server (noServer mode): only `/trpc`
 * upgrades; a cookie from a foreign Origin is refused; without `connectionParams` the upgrade
 * itself must carry valid credentials, with them the first message does (checked in the context).
 * A frame holds at most 50 calls and a socket spends at most `callsPerSecond`.
 */
export function createTrpcWs(services: Services, logger: Logger, opts: { callsPerSecond: number }) {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024, WebSocket: BudgetedWebSocket });
  const contextFor = registeringWsContext(services);
  // Sockets whose credentials were refused: closed once a call has been answered with why.
  const refusedSockets = new WeakMap<Context, WebSocket>();
  // Each socket's context as the adapter created it, for the subscription lane.
  const contexts = new WeakMap<WebSocket, Promise<Context>>();
  const onError = ({
    error,
    path,
    ctx,
  }: {
    error: TRPCError;
    path: string | undefined;
    ctx: Context | undefined;
  }) => {
    const socket = ctx && refusedSockets.get(ctx);
    // onError runs before the reply is sent; close after it.
    if (socket && ctx) setImmediate(() => closeRefused(socket, ctx));
    if (error.code === 'INTERNAL_SERVER_ERROR')
      logger.error({ err: error.cause ?? error, path }, 'trpc ws error');
  };
  async function createContext(o: CreateWSSContextFnOptions): Promise<Context> {
    const ctx = await contextFor(o);
    if (ctx.refused) {
      refusedSockets.set(ctx, o.res);
      // A refused socket that never calls anything is not kept open either.
      const idle = setTimeout(() => closeRefused(o.res, ctx), REFUSED_IDLE_MS);
      idle.unref();
      o.res.once('close', () => clearTimeout(idle));
    }
    return ctx;
  }
  const handler = applyWSSHandler({
    wss,
    router: appRouter,
    createContext(o) {
      const ctx = createContext(o);
      contexts.set(o.res, ctx);
      return ctx;
    },
    maxBatchSize: WS_MAX_CALLS_PER_FRAME,
    experimental_encoder: sharedEventEncoder,
    // The pong is timed from when the PING was queued: behind seconds of events for a busy
    // subscriber, 5 s closed healthy sockets (1006 in the fan-out bench). Dead ones go within 60 s.
    keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 30_000 },
    onError,
  });
  // Job streams thousands follow skip tRPC's per-event promise loop (same procedure, same wire).
  const lane = createSubscriptionLane({
    router: appRouter,
    paths: LANE_PATHS,
    contextOf: (ws) => contexts.get(ws),
    onError,
    encode: (msg) => sharedEventEncoder.encode(msg),
  });
  wss.on('connection', (ws: BudgetedWebSocket, req: IncomingMessage) => {
    ws.divert = lane.attach(ws, req);
  });

  async function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== TRPC_PATH) return refuse(socket, 404, 'Not Found');
    const creds = extractCredentials(req);
    if (creds?.via === 'cookie' && isForeignOrigin(req, req.headers.host))
      return refuse(socket, 403, 'Forbidden');
    if (url.searchParams.get('connectionParams') !== '1') {
      // The database may be down: refuse the upgrade rather than leave the socket hanging.
      const user = creds ? await services.auth.authenticate(creds.token).catch(() => undefined) : null;
      if (user === undefined) return refuse(socket, 503, 'Service Unavailable');
      if (!user) return refuse(socket, 401, 'Unauthorized', 'WWW-Authenticate: Bearer\r\n');
      if (!user.active) return refuse(socket, 403, 'Forbidden');
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.callsPerSecond = opts.callsPerSecond;
      wss.emit('connection', ws, req);
    });
  }

  return {
    handleUpgrade,
    /** Asks clients to reconnect elsewhere, then closes every socket. */
    async close(): Promise<void> {
      handler.broadcastReconnectNotification();
      for (const client of wss.clients) client.close(1001, 'server shutting down');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          for (const client of wss.clients) client.terminate();
        }, 1000);
        wss.close(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
