import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import {
  comfyQueueRequestSchema,
  jobListQuerySchema,
  setJobPriorityInputSchema,
} from '@comfy-gateway/schema';
import { Router } from 'express';
import type { Request, Response } from 'express';
import { currentUser, requireAdmin } from '../auth/middleware.ts';
import type { ServerConfig } from '../env.ts';
import { parseOrThrow } from '../errors.ts';
import { createRateLimiter } from '../http/rate-limit.ts';
import type { LimiterFactory } from '../shared-state/limiter.ts';
import { setServedFileHeaders } from '../http/served-file.ts';
import type { ComfyGatewayService } from './create.ts';
import { sseScopeOf } from '../http/sse.ts';
import { parsePromptIdParam } from './prompt-id-param.ts';
import { streamPromptEvents, streamRequestOptions } from './sse-route.ts';
import { parseViewParams } from './view-params.ts';

const promptIdOf = (req: Request) => parsePromptIdParam(req.params['prompt_id']);

const idempotencyKeyOf = (req: Request) => req.get('idempotency-key') ?? undefined;
const refreshOf = (req: Request) =>
  ['1', 'true', 'yes'].includes(
    typeof req.query['refresh'] === 'string' ? req.query['refresh'].toLowerCase() : '',
  );

/**
 * Cached JSON with an ETag; 304 when the client has it already. The serialised and gzipped bodies
 * are kept per hash, so a multi-megabyte object_info is a plain write, not a re-encode.
 */
function createCachedSender() {
  const bodies = new Map<string, { json: Buffer; gzip: Buffer }>();
  return (req: Request, res: Response, value: unknown, hash: string, warning?: string): void => {
    const etag = `"${hash.slice(0, 32)}"`;
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', 'private, no-cache');
    res.setHeader('Vary', 'Accept-Encoding');
    // Stale copies are announced, as the seed's service emits a warning.
    if (warning) res.setHeader('Warning', `110 - "${warning.replace(/"/g, "'")}"`);
    if (req.get('if-none-match') === etag) {
      res.status(304).end();
      return;
    }
    let body = bodies.get(hash);
    if (!body) {
      const json = Buffer.from(JSON.stringify(value));
      body = { json, gzip: gzipSync(json) };
      // Only the latest few versions are worth keeping.
      if (bodies.size >= 8) bodies.delete(bodies.keys().next().value ?? '');
      bodies.set(hash, body);
    }
    res.type('application/json');
    if (req.acceptsEncodings('gzip') === 'gzip') {
      res.setHeader('Content-Encoding', 'gzip');
      res.send(body.gzip);
    } else {
      res.send(body.json);
    }
  };
}

/** `/api/comfy` routes of the seed contract plus cancel and queue (ingest is mounted beside). */
export function comfyRoutes(
  comfy: ComfyGatewayService,
  config: ServerConfig,
  limiters?: LimiterFactory,
): Router {
  const r = Router();
  const sendCached = createCachedSender();
  const viewLimit = createRateLimiter({
    name: 'view',
    limit: config.comfyViewRateLimitPerMin,
    windowMs: 60_000,
    ...(limiters ? { limiters } : {}),
  });

  r.get('/health', async (req, res) => void res.json(await comfy.health(currentUser(req))));

  r.post('/queue', async (req, res) => {
    const body = parseOrThrow(comfyQueueRequestSchema, req.body);
    res.json(await comfy.queue(body, { user: currentUser(req), idempotencyKey: idempotencyKeyOf(req) }));
  });

  r.get('/queue', async (req, res) => void res.json(await comfy.queueState(currentUser(req))));

  r.get('/status/:prompt_id', async (req, res) => {
    res.json(await comfy.status(promptIdOf(req), currentUser(req)));
  });

  r.get('/history/:prompt_id', async (req, res) => {
    res.json(await comfy.history(promptIdOf(req), currentUser(req)));
  });

  r.post('/cancel/:prompt_id', async (req, res) => {
    res.json(await comfy.cancel(promptIdOf(req), currentUser(req)));
  });

  r.get('/jobs', async (req, res) => {
    res.json(await comfy.jobs.list(parseOrThrow(jobListQuerySchema, req.query), currentUser(req)));
  });

  r.patch('/jobs/:prompt_id', requireAdmin(), async (req, res) => {
    const { priority } = parseOrThrow(setJobPriorityInputSchema, req.body);
    res.json(await comfy.setPriority(promptIdOf(req), priority, currentUser(req)));
  });

  r.post('/backends/:name/drain', requireAdmin(), async (req, res) => {
    res.json(await comfy.drain(String(req.params['name'])));
  });

  r.post('/backends/:name/resume', requireAdmin(), async (req, res) => {
    res.json(await comfy.resume(String(req.params['name'])));
  });

  r.get('/jobs/:prompt_id', async (req, res) => {
    res.json(await comfy.jobs.byId(promptIdOf(req), currentUser(req)));
  });

  r.get('/object-info', async (req, res) => {
    const backend = typeof req.query['backend'] === 'string' ? req.query['backend'] : undefined;
    const info = await comfy.objectInfo({ refresh: refreshOf(req), ...(backend ? { backend } : {}) });
    sendCached(req, res, info.value, info.hash, info.warning);
  });

  r.get('/object-info/:node_class', async (req, res) => {
    const info = await comfy.nodeInfo(String(req.params['node_class']), { refresh: refreshOf(req) });
    sendCached(req, res, info.value, `${info.hash}${String(req.params['node_class'])}`, info.warning);
  });

  r.get('/view', viewLimit, async (req, res) => {
    const ref = await comfy.authorizeView(parseViewParams(req.query), currentUser(req));
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    const source = await comfy.view(ref, { signal: abort.signal });
    try {
      setServedFileHeaders(res, { filename: ref.filename, contentType: source.contentType });
      if (source.contentLength !== null) res.setHeader('Content-Length', String(source.contentLength));
      res.setHeader('Cache-Control', 'private, max-age=3600');
    } catch (err) {
      // Nothing was sent: release the cached file or the upstream body before answering.
      source.stream.destroy();
      throw err;
    }
    // A client that goes away mid-image just ends the pipeline; nothing to report.
    await pipeline(source.stream, res).catch(() => undefined);
  });

  r.post('/text2img', async (req, res) => {
    res.json(
      await comfy.text2img(req.body, { user: currentUser(req), idempotencyKey: idempotencyKeyOf(req) }),
    );
  });

  // The fast lane serves plain GETs of this route with the same function (`http/fast-routes.ts`).
  r.get('/stream/:prompt_id', async (req, res) => {
    await streamPromptEvents(req, res, comfy, {
      promptId: promptIdOf(req),
      user: currentUser(req),
      scope: sseScopeOf(req),
      ...streamRequestOptions(req),
    });
  });

  return r;
}
