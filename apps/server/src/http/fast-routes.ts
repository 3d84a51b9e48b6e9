import { authenticateRequest } from '../auth/middleware.ts';
import { parsePromptIdParam } from '../comfy/prompt-id-param.ts';
import { streamPromptEvents, streamRequestOptions } from '../comfy/sse-route.ts';
import type { Services } from '../services.ts';
import type { LaneContext } from './fast-lane.ts';
import { HEALTHY, readiness } from './probes.ts';
import type { SseRegistry } from './sse.ts';

/** One route of the fast lane; its answers must equal the Express route's in every case. */
export interface FastRoute {
  methods: readonly string[];
  /** The path parameter (or '') when `path` is exactly this route's, else null. */
  match(path: string): string | null;
  /** The metrics label of a request that never reaches the route's handler (refused by a mount). */
  mount: string;
  handle(ctx: LaneContext, param: string): void | Promise<void>;
}

// Express's `app.get` answers HEAD with the GET route; so does the lane.
const READ = ['GET', 'HEAD'] as const;

/** `exact` only; other spellings Express also accepts (case, trailing slash) go to Express. */
const exactly = (p: string) => (path: string) => (path === p ? '' : null);

/**
 * The one plain segment after `prefix`: with no '%' Express's decoding is the identity, so the
 * parameter is the same as the Express route's.
 */
const segmentAfter = (prefix: string) => (path: string) => {
  if (!path.startsWith(prefix) || path.length === prefix.length) return null;
  const param = path.slice(prefix.length);
  return param.includes('/') || param.includes('%') ? null : param;
};

/**
 * The routes the lane serves: the probes, `GET /api/comfy/status/:prompt_id` (polled by every
 * watcher) and `GET /api/comfy/stream/:prompt_id` (held open by every watcher: without Express's
 * per-request objects a stream costs far less memory). Each calls the same functions as its
 * Express route (`probes.ts`, `requireUser`'s checks, `comfy.status`, `streamPromptEvents`); a
 * change of behaviour belongs in those, not here.
 */
export function fastRoutes(deps: {
  services: Pick<Services, 'auth' | 'comfy' | 'readinessChecks'>;
  isShuttingDown: () => boolean;
  /** The app's open SSE streams (ended at shutdown). */
  sse: SseRegistry;
}): FastRoute[] {
  const { auth, comfy, readinessChecks } = deps.services;
  /**
   * `requireUser` at the `/api/comfy` mount, before the route is matched: a refused request counts
   * under the mount, an authenticated one under `route`.
   */
  const passMount = async (ctx: LaneContext, route: string) => {
    const { auth: found } = await authenticateRequest(auth, ctx.req);
    ctx.user = found.user;
    ctx.route = route;
    return found;
  };
  return [
    {
      methods: READ,
      match: exactly('/healthz'),
      mount: '/healthz',
      handle: ({ res }) => void res.set('Cache-Control', 'no-store').json(HEALTHY),
    },
    {
      methods: READ,
      match: exactly('/readyz'),
      mount: '/readyz',
      async handle({ res }) {
        const out = await readiness(readinessChecks, deps.isShuttingDown);
        res.set('Cache-Control', 'no-store').status(out.status).json(out.body);
      },
    },
    {
      methods: READ,
      match: segmentAfter('/api/comfy/status/'),
      mount: '/api/comfy',
      async handle(ctx, id) {
        const found = await passMount(ctx, '/api/comfy/status/:prompt_id');
        ctx.res.json(await comfy.status(parsePromptIdParam(id), found.user));
      },
    },
    {
      // Not HEAD: Express's route answers that one (it would open a stream without a body).
      methods: ['GET'],
      match: segmentAfter('/api/comfy/stream/'),
      mount: '/api/comfy',
      async handle(ctx, id) {
        const found = await passMount(ctx, '/api/comfy/stream/:prompt_id');
        await streamPromptEvents(ctx.req, ctx.res, comfy, {
          promptId: parsePromptIdParam(id),
          user: found.user,
          scope: { registry: deps.sse, connections: auth.connections, auth: found },
          ...streamRequestOptions(ctx.req),
        });
      },
    },
  ];
}
