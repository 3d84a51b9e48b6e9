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
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  r.get('/readyz', async (_req, res) => {
    const results = await Promise.all(opts.checks.map(runCheck));
    const checks: Record<string, Omit<ReadinessResult, 'name'>> = {};
    for (const { name, ...rest } of results) checks[name] = rest;
    const shuttingDown = opts.isShuttingDown();
    checks['shutdown'] = shuttingDown ? { ok: false, detail: 'shutting down' } : { ok: true };
    const ready = Object.values(checks).every((c) => c.ok);
    res
      .set('Cache-Control', 'no-store')
      .status(ready ? 200 : 503)
      .json({ status: ready ? 'ok' : 'unavailable', checks });
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
