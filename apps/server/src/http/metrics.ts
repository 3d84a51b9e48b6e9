import './express-types.ts';
import type { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CounterConfiguration, GaugeConfiguration } from 'prom-client';
import { openSubscriber } from '../comfy/subscriber-count.ts';

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * One registry per app (tests run several apps in a process). Others add their own series with
 * `metrics.counter(...)` / `metrics.gauge(...)`; asking twice for a name returns the same metric.
 */
export function createMetrics(opts: { defaults?: boolean | undefined } = {}) {
  const registry = new Registry();
  if (opts.defaults !== false) collectDefaultMetrics({ register: registry, prefix: 'comfy_gateway_' });
  const httpDuration = new Histogram({
    name: 'comfy_gateway_http_request_duration_seconds',
    help: 'HTTP request duration by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const rateLimited = new Counter({
    name: 'comfy_gateway_rate_limit_rejections_total',
    help: 'Requests answered 429 (view and login limits, QUEUE_MAX_PENDING), by route pattern',
    labelNames: ['route'] as const,
    registers: [registry],
  });
  return {
    registry,
    httpDuration,
    rateLimited,
    /** Counts a live stream subscriber (the per-transport gauge reads the count). */
    openSubscriber,
    /** A counter registered in this app's registry. */
    counter<L extends string>(config: Omit<CounterConfiguration<L>, 'registers'>): Counter<L> {
      const existing = registry.getSingleMetric(config.name);
      return (existing as Counter<L> | undefined) ?? new Counter({ ...config, registers: [registry] });
    },
    /** A gauge registered in this app's registry. */
    gauge<L extends string>(config: Omit<GaugeConfiguration<L>, 'registers'>): Gauge<L> {
      const existing = registry.getSingleMetric(config.name);
      return (existing as Gauge<L> | undefined) ?? new Gauge({ ...config, registers: [registry] });
    },
  };
}

/**
 * Remembers the mount path of the router a request entered; Express resets `req.baseUrl` on the
 * way out, so by the time the response ends it is gone.
 */
export const markMount: RequestHandler = (req, _res, next) => {
  req.mountPath = req.baseUrl;
  next();
};

/** Times every request; the route label is the matched pattern so ids do not explode cardinality. */
export function metricsMiddleware(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const done = startRequestTimer(metrics);
    res.on('close', () => {
      const pattern = (req.route as { path?: unknown } | undefined)?.path;
      done(req.method, (req.mountPath ?? '') + (typeof pattern === 'string' ? pattern : ''), res.statusCode);
    });
    next();
  };
}

/**
 * Starts timing a request; the returned function records it (the fast lane calls it with the
 * route pattern Express would have matched).
 */
export function startRequestTimer(metrics: Metrics): (method: string, route: string, status: number) => void {
  const end = metrics.httpDuration.startTimer();
  return (method, route, status) => {
    end({ method, route: route || 'unmatched', status: String(status) });
    // Counted where every 429 ends up, whichever limiter produced it.
    if (status === 429) metrics.rateLimited.inc({ route: route || 'unmatched' });
  };
}
