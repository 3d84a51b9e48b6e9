import type { ComfyPool } from '@comfy-gateway/comfy-core';
import { Histogram } from 'prom-client';
import type { ConnectionState } from '@comfy-gateway/schema';
import { connectionStateSchema } from '@comfy-gateway/schema';
import type { Metrics } from '../http/metrics.ts';
import { createPoolMetrics } from './pool-metrics.ts';
import { subscriberCount } from './subscriber-count.ts';

/** Prometheus series of the ComfyUI integration (design §5 and the observability issue). */
export function createComfyMetrics(metrics: Metrics, current: () => ComfyPool | null) {
  const members = () => current()?.members ?? [];
  const sum = (of: (m: ComfyPool['members'][number]) => number) => members().reduce((n, m) => n + of(m), 0);
  const reconnects = metrics.counter({
    name: 'comfy_gateway_comfy_reconnects_total',
    help: 'Reconnect attempts to ComfyUI',
  });
  const jobDuration =
    (metrics.registry.getSingleMetric('comfy_gateway_job_duration_seconds') as
      Histogram<'outcome'> | undefined) ??
    new Histogram({
      name: 'comfy_gateway_job_duration_seconds',
      help: 'Time from queueing to the final state, by outcome',
      labelNames: ['outcome'],
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900],
      registers: [metrics.registry],
    });
  metrics.gauge({
    name: 'comfy_gateway_comfy_connection_state',
    help: 'Watchdog state (1 for the current state)',
    labelNames: ['state'],
    collect() {
      const now = current()?.bestState() ?? 'disabled';
      for (const s of connectionStateSchema.options) this.set({ state: s }, s === now ? 1 : 0);
    },
  });
  metrics.gauge({
    name: 'comfy_gateway_active_jobs',
    help: 'Prompts queued or running that the gateway follows',
    collect() {
      this.set(current()?.activeCount() ?? 0);
    },
  });
  metrics.gauge({
    name: 'comfy_gateway_queue_depth',
    help: 'Prompts the gateway follows that wait: in the gateway queue or in a ComfyUI queue',
    collect() {
      this.set((current()?.dispatcher.waitingCount() ?? 0) + sum((m) => m.connection.tracker.queuedCount()));
    },
  });
  metrics.gauge({
    name: 'comfy_gateway_reconciliation_rescues',
    help: 'Completions found by polling that the socket missed',
    collect() {
      this.set(sum((m) => m.connection.tracker.stats.rescues));
    },
  });
  metrics.gauge({
    name: 'comfy_gateway_object_info_cache_hits',
    help: 'object_info requests served from the cache',
    collect() {
      this.set(sum((m) => m.connection.objectInfoStats.hits));
    },
  });
  metrics.gauge({
    name: 'comfy_gateway_active_subscribers',
    help: 'Live job stream subscribers (REST SSE and tRPC onStatus), by transport',
    labelNames: ['transport'],
    collect() {
      for (const t of ['sse', 'trpc'] as const) this.set({ transport: t }, subscriberCount(t));
    },
  });
  // Per-server series only name servers when there are several.
  const perServer = members().length > 1 ? createPoolMetrics(metrics, current) : null;
  const watched = new WeakSet<ComfyPool>();
  /** Job durations of a pool's trackers (a cluster makes a new pool per lease term). */
  const watch = (pool: ComfyPool) => {
    if (watched.has(pool)) return;
    watched.add(pool);
    for (const m of pool.members)
      m.connection.tracker.onEnd((snap) => {
        if (snap.created_at && snap.finished_at)
          jobDuration.observe({ outcome: snap.status }, (snap.finished_at - snap.created_at) / 1000);
      });
    perServer?.watch(pool);
  };
  const first = current();
  if (first) watch(first);
  return {
    /** Pool counters (`dispatch`, `failover`, `job_end` with its `backend`). */
    poolMetric(name: string, labels?: Record<string, string>) {
      perServer?.count(name, labels);
    },
    watch,
    stateChanged(to: ConnectionState) {
      if (to === 'connecting' || to === 'reconnecting') reconnects.inc();
    },
  };
}

export type ComfyMetrics = ReturnType<typeof createComfyMetrics>;
