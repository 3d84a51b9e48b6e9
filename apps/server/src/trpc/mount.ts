import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { createExpressMiddleware } from '@trpc/server/adapters/express';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import { extractCredentials, isForeignOrigin } from '../auth/credentials.ts';
import type { Services } from '../services.ts';
import { createHttpContextFactory, createWsContextFactory } from './context.ts';
import type { Context } from './context.ts';
import { appRouter } from './router.ts';

export const TRPC_PATH = '/trpc';

/** The HTTP side of `/trpc`: batched queries/mutations and SSE subscriptions. */
export function trpcHttpHandler(services: Services, logger: Logger): RequestHandler {
  return createExpressMiddleware({
    router: appRouter,
    createContext: createHttpContextFactory(services),
    allowBatching: true,
    maxBatchSize: 50,
    // Same cap as the REST JSON parser; without it tRPC buffers any body size.
    maxBodySize: 10 * 1024 * 1024,
    onError({ error, path }) {
      if (error.code === 'INTERNAL_SERVER_ERROR')
        logger.error({ err: error.cause ?? error, path }, 'trpc error');
    },
  });
}

const REFUSED_IDLE_MS = 10_000;

/** 4401/4403: the WebSocket application codes for an unauthorized or forbidden caller. */
function closeRefused(socket: WebSocket, ctx: Context): void {
  const forbidden = ctx.refused?.code === 'FORBIDDEN';
  if (socket.readyState === WebSocket.OPEN)
    socket.close(forbidden ? 4403 : 4401, ctx.refused?.message.slice(0, 120) ?? 'refused');
}

function refuse(socket: Duplex, status: number, reason: string, extra = ''): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n${extra}\r\n`);
}

/**
 * The WebSocket side of `/trpc` on an existing HTTP server (noServer mode): only `/trpc`
 * upgrades; a cookie from a foreign Origin is refused; without `connectionParams` the upgrade
 * itself must carry valid credentials, with them the first message does (checked in the context).
 */
export function createTrpcWs(services: Services, logger: Logger) {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  const contextFor = createWsContextFactory(services);
  // Sockets whose credentials were refused: closed once a call has been answered with why.
  const refusedSockets = new WeakMap<Context, WebSocket>();
  const handler = applyWSSHandler({
    wss,
    router: appRouter,
    createContext(opts) {
      const ctx = contextFor(opts);
      if (ctx.refused) {
        refusedSockets.set(ctx, opts.res);
        // A refused socket that never calls anything is not kept open either.
        const idle = setTimeout(() => closeRefused(opts.res, ctx), REFUSED_IDLE_MS);
        idle.unref();
        opts.res.once('close', () => clearTimeout(idle));
      }
      return ctx;
    },
    keepAlive: { enabled: true, pingMs: 30_000, pongWaitMs: 5_000 },
    onError({ error, path, ctx }) {
      const socket = ctx && refusedSockets.get(ctx);
      // onError runs before the reply is sent; close after it.
      if (socket && ctx) setImmediate(() => closeRefused(socket, ctx));
      if (error.code === 'INTERNAL_SERVER_ERROR')
        logger.error({ err: error.cause ?? error, path }, 'trpc ws error');
    },
  });

  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== TRPC_PATH) return refuse(socket, 404, 'Not Found');
    const creds = extractCredentials(req);
    if (creds?.via === 'cookie' && isForeignOrigin(req, req.headers.host))
      return refuse(socket, 403, 'Forbidden');
    if (url.searchParams.get('connectionParams') !== '1') {
      const user = creds ? services.auth.authenticate(creds.token) : null;
      if (!user) return refuse(socket, 401, 'Unauthorized', 'WWW-Authenticate: Bearer\r\n');
      if (!user.active) return refuse(socket, 403, 'Forbidden');
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
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
