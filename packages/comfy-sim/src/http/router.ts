import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Runtime } from '../runtime.ts';
import { sleep } from '../util/sleep.ts';
import { originRejected } from './origin.ts';
import { AIOHTTP_500, HttpError, sendEmpty, sendText } from './respond.ts';

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  rt: Runtime;
}

export type Handler = (ctx: Ctx) => Promise<void> | void;

interface Route {
  method: string;
  pattern: string;
  regex: RegExp;
  keys: string[];
  handler: Handler;
}

/** A tiny method+path router; every route also answers under /api, as ComfyUI aliases them. */
export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler): this {
    const keys: string[] = [];
    const source = pattern.replace(/\{(\w+)\}/g, (_, k: string) => {
      keys.push(k);
      return '([^/]+)';
    });
    this.routes.push({ method, pattern, regex: new RegExp(`^${source}$`), keys, handler });
    return this;
  }

  /** Handles one request against the current runtime, applying the origin check and HTTP faults. */
  async handle(req: IncomingMessage, res: ServerResponse, rt: Runtime): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.startsWith('/api/') ? url.pathname.slice(4) : url.pathname;
    const method = req.method ?? 'GET';
    const byPath = this.routes.filter((r) => r.regex.test(path));
    const route = byPath.find((r) => r.method === method || (method === 'HEAD' && r.method === 'GET'));
    const key = `${method} ${route?.pattern ?? path}`;
    rt.stats.requests[key] = (rt.stats.requests[key] ?? 0) + 1;
    const { faults } = rt;
    if (faults.httpDelayMs > 0) await sleep(faults.httpDelayMs);
    try {
      if (originRejected(req)) return sendEmpty(res, 403);
      const fail = faults.httpFailure;
      if (fail?.routes) fail.routes.lastIndex = 0;
      if (fail && fail.remaining > 0 && (!fail.routes || fail.routes.test(req.url ?? '/'))) {
        fail.remaining--;
        return sendText(res, fail.status, `${fail.status}: comfy-sim injected failure`);
      }
      if (!route)
        return sendText(
          res,
          byPath.length ? 405 : 404,
          byPath.length ? '405: Method Not Allowed' : '404: Not Found',
        );
      const m = route.regex.exec(path);
      const params = Object.fromEntries(route.keys.map((k, i) => [k, decodeURIComponent(m?.[i + 1] ?? '')]));
      await route.handler({ req, res, url, params, rt });
    } catch (e) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (e instanceof HttpError) return e.body ? sendText(res, e.status, e.body) : sendEmpty(res, e.status);
      sendText(res, 500, AIOHTTP_500);
    }
  }
}
