import type { RequestListener, Server } from 'node:http';
import path from 'node:path';
import express, { Router } from 'express';
import type { Express, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { authRoutes } from './auth/routes.ts';
import { requireUser } from './auth/middleware.ts';
import type { Db } from './db/open-db.ts';
import type { ServerConfig } from './env.ts';
import { comfyRoutes } from './comfy/routes.ts';
import { mountIngestRoute } from './gallery/ingest-route.ts';
import { galleryRoutes } from './gallery/routes.ts';
import { compressLargeBodies } from './http/compression.ts';
import { errorHandler, notFound } from './http/error-handler.ts';
import { createFastLane } from './http/fast-lane.ts';
import { fastRoutes } from './http/fast-routes.ts';
import { accessLog, createLogger, requestId } from './http/logger.ts';
import { warnIfMetricsOpen } from './http/metrics-exposure.ts';
import { markMount, metricsMiddleware } from './http/metrics.ts';
import { buildOpenApi } from './http/openapi.ts';
import { probeRoutes } from './http/probes.ts';
import { createSecurityHeaders, securityHeaders } from './http/security-headers.ts';
import { SseRegistry } from './http/sse.ts';
import type { Services } from './services.ts';
import { TRPC_PATH, createTrpcWs, trpcHttpHandler } from './trpc/mount.ts';
import './http/express-types.ts';

export interface AppDeps {
  config: ServerConfig;
  db: Db;
  services: Services;
  logger?: Logger;
  /** Off: every request goes through Express (the parity tests compare the two paths). */
  fastLane?: boolean;
}

export interface GatewayApp {
  /** The HTTP server's listener: the fast lane (see `http/fast-lane.ts`), then Express. */
  handler: RequestListener;
  app: Express;
  /** Routes WebSocket upgrades of `server` (only `/trpc`). */
  attach(server: Server): void;
  /** Readiness goes 503, SSE and WebSocket clients are closed, the comfy service stops. */
  close(): Promise<void>;
}

/** Builds the Express app: probes, `/api/*` REST, `/trpc` (HTTP + WS), optional web UI. */
export function createApp(deps: AppDeps): GatewayApp {
  const { config, services } = deps;
  const logger = deps.logger ?? createLogger(config.logLevel);
  const sse = new SseRegistry();
  const ws = createTrpcWs(services, logger, { callsPerSecond: config.wsMaxCallsPerSecond });
  let shuttingDown = false;
  const isShuttingDown = () => shuttingDown;
  warnIfMetricsOpen(config, logger);

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.locals['sse'] = sse;
  app.locals['connections'] = services.auth.connections;
  app.use(requestId(logger), accessLog(), metricsMiddleware(services.metrics));
  const applySecurityHeaders = createSecurityHeaders({ webDir: config.webDir });
  app.use(securityHeaders(applySecurityHeaders));
  // Not on the probes, a job's status nor its stream: small bodies (an event stream is never compressed).
  const compress = compressLargeBodies({ skip: (p) => /^\/comfy\/(status|stream)\//i.test(p) });
  app.use(['/api', TRPC_PATH, '/metrics'], compress);
  app.use(
    probeRoutes({
      metrics: services.metrics,
      checks: services.readinessChecks,
      isShuttingDown,
      metricsToken: config.metricsToken,
    }),
  );

  const api = Router();
  // Public, like the docs it is: describes the REST shim, reveals no data.
  const openApi = buildOpenApi();
  api.get('/openapi.json', (_req, res) => void res.json(openApi));
  api.use('/auth', markMount, authRoutes(services.auth));
  const authed = requireUser(services.auth);
  api.use('/gallery', markMount, authed, galleryRoutes(services.gallery));
  // Bodies are parsed after authentication, per route (tRPC reads its own, multipart is streamed).
  api.use('/comfy', markMount, authed, comfyJsonBody(), comfyApi(deps));
  api.use(notFound());
  app.use('/api', api);

  app.use(TRPC_PATH, markMount, trpcHttpHandler(services, logger));
  if (config.webDir) app.use(compressLargeBodies(), webUi(config.webDir));
  app.use(notFound());
  app.use(errorHandler());

  const lane =
    deps.fastLane === false
      ? null
      : createFastLane({
          app,
          routes: fastRoutes({ services, isShuttingDown, sse }),
          metrics: services.metrics,
          logger,
          securityHeaders: applySecurityHeaders,
        });
  return {
    handler: lane ? (req, res) => void (lane(req, res) || app(req, res)) : app,
    app,
    attach(server) {
      server.on('upgrade', (req, socket, head) => {
        if (shuttingDown) socket.destroy();
        else void ws.handleUpgrade(req, socket, head);
      });
    },
    async close() {
      shuttingDown = true;
      sse.closeAll();
      await ws.close();
      await services.comfy.close();
      await services.shared.close();
    },
  };
}

/** Submits carry workflows and keep 10 MB; every other `/api/comfy` body is a few fields. */
const COMFY_BODY_LIMITS: Record<string, string> = { '/queue': '10mb', '/text2img': '10mb' };

function comfyJsonBody(): RequestHandler {
  const parsers = new Map<string, RequestHandler>();
  const parserFor = (limit: string) => {
    let p = parsers.get(limit);
    if (!p) parsers.set(limit, (p = express.json({ limit })));
    return p;
  };
  return (req, res, next) => parserFor(COMFY_BODY_LIMITS[req.path] ?? '64kb')(req, res, next);
}

/** `/api/comfy`: the gallery ingest now; the ComfyUI integration mounts its routes here too. */
function comfyApi(deps: AppDeps): Router {
  const r = Router();
  mountIngestRoute(r, {
    gallery: deps.services.gallery,
    maxBytes: deps.config.uploadMaxBytes,
    ingestFromComfy: deps.services.comfy.ingestFromComfy,
  });
  r.use(comfyRoutes(deps.services.comfy, deps.config, deps.services.shared.limiters));
  return r;
}

/** Static files of the built web UI, with `index.html` for client-side routes. */
function webUi(dir: string): Router {
  const r = Router();
  r.use(express.static(dir, { index: 'index.html', maxAge: '1h' }));
  r.use((req: Request, res: Response, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (!req.accepts('html')) return next();
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(path.join(dir, 'index.html'));
  });
  return r;
}
