import { timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import { GatewayError } from '../errors.ts';
import type { Metrics } from './metrics.ts';

export interface ReadinessResult {
  name: string;
  ok: boolean;
  detail?: string;
  /** Connection state of a shared service (Redis). */
  state?: string;
  latency_ms?: number;
}
export type ReadinessCheck = () => Promise<ReadinessResult>;

const CHECK_TIMEOUT_MS = 2000;

async function runCheck(check: ReadinessCheck): Promise<ReadinessResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ReadinessResult>((resolve) => {
    timer = setTimeout(
      () => resolve({ name: check.name || 'check', ok: false, detail: 'timed out' }),
      CHECK_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([check(), timeout]);
  } catch (err) {
    return {
      name: check.name || 'check',
      ok: false,
      detail: err instanceof Error ? err.message : String(err),
    };
  } finally {
    clearTimeout(timer);
  }
}

/** The liveness answer (`GET /healthz`, always 200, `Cache-Control: no-store`). */
export const HEALTHY = { status: 'ok' } as const;

/** The readiness answer: 200 when every check passes and the app is not shutting down, else 503. */
export async function readiness(
  checks: readonly ReadinessCheck[],
  isShuttingDown: () => boolean,
): Promise<{
  status: 200 | 503;
  body: { status: 'ok' | 'unavailable'; checks: Record<string, Omit<ReadinessResult, 'name'>> };
}> {
  const results = await Promise.all(checks.map(runCheck));
  const out: Record<string, Omit<ReadinessResult, 'name'>> = {};
  for (const { name, ...rest } of results) out[name] = rest;
  out['shutdown'] = isShuttingDown() ? { ok: false, detail: 'shutting down' } : { ok: true };
  const ready = Object.values(out).every((c) => c.ok);
  return { status: ready ? 200 : 503, body: { status: ready ? 'ok' : 'unavailable', checks: out } };
}

/**
 * `GET /healthz` (liveness, always 200), `GET /readyz` (200 when every check passes and the app
 * is not shutting down, else 503, with `checks`), `GET /metrics` (Prometheus text; open unless a
 * metrics token is configured). None of them needs a user.
 */
export function probeRoutes(opts: {
  metrics: Metrics;
  checks: readonly ReadinessCheck[];
  isShuttingDown: () => boolean;
  metricsToken: string | null;
}): Router {
  const r = Router();
  r.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json(HEALTHY);
  });
  r.get('/readyz', async (_req, res) => {
    const out = await readiness(opts.checks, opts.isShuttingDown);
    res.set('Cache-Control', 'no-store').status(out.status).json(out.body);
  });
  r.get('/metrics', async (req, res) => {
    if (opts.metricsToken !== null && !bearerMatches(req.get('authorization'), opts.metricsToken)) {
      throw new GatewayError('UNAUTHORIZED', 'metrics token required');
    }
    res.set('Content-Type', opts.metrics.registry.contentType).send(await opts.metrics.registry.metrics());
  });
  return r;
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.replace(/^Bearer\s+/i, '') ?? '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
