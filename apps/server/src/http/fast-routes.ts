import { authenticateRequest } from '../auth/middleware.ts';
import { parsePromptIdParam } from '../comfy/prompt-id-param.ts';
import type { Services } from '../services.ts';
import type { LaneContext } from './fast-lane.ts';
import { HEALTHY, readiness } from './probes.ts';

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
const STATUS_PREFIX = '/api/comfy/status/';

/** `exact` only; other spellings Express also accepts (case, trailing slash) go to Express. */
const exactly = (p: string) => (path: string) => (path === p ? '' : null);

/**
 * The routes the lane serves: the probes and `GET /api/comfy/status/:prompt_id` (polled by every
 * watcher). Each calls the same functions as its Express route (`probes.ts`, `requireUser`'s
 * checks, `comfy.status`); a change of behaviour belongs in those, not here.
 */
export function fastRoutes(deps: {
  services: Pick<Services, 'auth' | 'comfy' | 'readinessChecks'>;
  isShuttingDown: () => boolean;
}): FastRoute[] {
  const { auth, comfy, readinessChecks } = deps.services;
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
      // One plain segment: with no '%' Express's decoding is the identity, so the id is the same.
      match: (path) => {
        if (!path.startsWith(STATUS_PREFIX) || path.length === STATUS_PREFIX.length) return null;
        const id = path.slice(STATUS_PREFIX.length);
        return id.includes('/') || id.includes('%') ? null : id;
      },
      // `requireUser` runs at the `/api/comfy` mount, before the route is matched.
      mount: '/api/comfy',
      async handle(ctx, id) {
        const { auth: found } = await authenticateRequest(auth, ctx.req);
        ctx.user = found.user;
        ctx.route = '/api/comfy/status/:prompt_id';
        ctx.res.json(await comfy.status(parsePromptIdParam(id), found.user));
      },
    },
  ];
}
