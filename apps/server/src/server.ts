import { createServer } from 'node:http';
import type { RequestListener, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createApp } from './app.ts';
import { openDatabase } from './db/open-db.ts';
import type { ServerConfig } from './env.ts';
import { createLogger } from './http/logger.ts';
import { createServices } from './services.ts';
import type { Services } from './services.ts';

export interface RunningGateway extends AsyncDisposable {
  url: string;
  port: number;
  services: Services;
  /** Stops accepting, closes streams and sockets, lets requests finish (grace), closes the db. */
  close(graceMs?: number): Promise<void>;
}

/** Slow clients cannot hold sockets: headers within 15 s, the whole request (uploads) within 2 min. */
export const HTTP_TIMEOUTS = { headersTimeoutMs: 15_000, requestTimeoutMs: 120_000 };

/**
 * The gateway's HTTP server with its timeouts. They bound receiving a request only: SSE streams
 * and WebSockets stay open as long as they like once their request is in.
 */
export function createHttpServer(app: RequestListener, timeouts = HTTP_TIMEOUTS): Server {
  return createServer(
    {
      headersTimeout: timeouts.headersTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      // Node checks the two timeouts on this interval (default 30 s, too coarse for headersTimeout).
      connectionsCheckingInterval: Math.max(10, Math.min(1000, timeouts.headersTimeoutMs / 4)),
    },
    app,
  );
}

/** Starts the whole gateway (db, services, ComfyUI integration, HTTP + WS) on HOST:PORT. */
export async function startGateway(
  config: ServerConfig,
  opts: { logger?: Logger } = {},
): Promise<RunningGateway> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const db = await openDatabase(config);
  const services = await createServices(config, db, { logger });
  const admin = await services.auth.bootstrapAdmin(config.admin);
  if (admin) logger.info({ email: admin.email }, 'created the first admin');
  else if ((await services.auth.listUsers()).length === 0)
    logger.warn('no users: set ADMIN_EMAIL and ADMIN_PASSWORD');

  const gateway = createApp({ config, db, services, logger });
  const server = createHttpServer(gateway.handler);
  gateway.attach(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  await services.comfy.start();
  const port = (server.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  logger.info(
    { url, comfy: config.app.comfy_enabled ? config.app.comfy_api_url : 'disabled' },
    'comfy-gateway listening',
  );

  let closing: Promise<void> | undefined;
  const close = (graceMs = 10_000) =>
    (closing ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await gateway.close();
      server.closeIdleConnections();
      // Requests still running get a grace period, then their sockets are cut.
      const grace = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(grace);
      await db.destroy();
    })());
  return { url, port, services, close, [Symbol.asyncDispose]: () => close(1000) };
}
