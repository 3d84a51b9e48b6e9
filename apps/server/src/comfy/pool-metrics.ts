import type { ComfyPool } from '@comfy-gateway/comfy-core';
import { Histogram } from 'prom-client';
import type { Metrics } from '../http/metrics.ts';

/** Per-server series of a pool: load, dispatches, failovers and job durations by server. */
export function createPoolMetrics(metrics: Metrics, current: () => ComfyPool | null) {
  metrics.gauge({
    name: 'comfy_gateway_backend_in_flight',
    help: 'Jobs sent to a ComfyUI server and not ended, by server',
    labelNames: ['backend'],
    collect() {
      const pool = current();
      for (const m of pool?.members ?? []) this.set({ backend: m.name }, pool?.dispatcher.inFlight(m) ?? 0);
    },
  });
  metrics.gauge({
    name: 'comfy_gateway_backend_up',
    help: '1 while the gateway is connected to the server and it is not draining',
    labelNames: ['backend'],
    collect() {
      for (const m of current()?.members ?? [])
        this.set({ backend: m.name }, m.connection.watchdog.state === 'connected' && !m.draining ? 1 : 0);
    },
  });
  metrics.gauge({
    name: 'comfy_gateway_gateway_queue_depth',
    help: 'Jobs waiting in the gateway queue for a server',
    collect() {
      this.set(current()?.dispatcher.waitingCount() ?? 0);
    },
  });
  const dispatches = metrics.counter({
    name: 'comfy_gateway_dispatches_total',
    help: 'Jobs sent to a ComfyUI server, by server',
    labelNames: ['backend'],
  });
  const failovers = metrics.counter({
    name: 'comfy_gateway_failovers_total',
    help: 'Jobs taken back from a lost server, by server',
    labelNames: ['backend'],
  });
  const durations =
    (metrics.registry.getSingleMetric('comfy_gateway_backend_job_duration_seconds') as
      Histogram<'backend' | 'outcome'> | undefined) ??
    new Histogram({
      name: 'comfy_gateway_backend_job_duration_seconds',
      help: 'Time from queueing to the final state, by server and outcome',
      labelNames: ['backend', 'outcome'],
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900],
      registers: [metrics.registry],
    });
  return {
    /** Job durations by server of a pool's trackers. */
    watch(pool: ComfyPool) {
      for (const m of pool.members)
        m.connection.tracker.onEnd((snap) => {
          if (snap.created_at && snap.finished_at)
            durations.observe(
              { backend: m.name, outcome: snap.status },
              (snap.finished_at - snap.created_at) / 1000,
            );
        });
    },
    count(name: string, labels: Record<string, string> = {}) {
      const backend = labels['backend'] ?? 'none';
      if (name === 'dispatch') dispatches.inc({ backend });
      else if (name === 'failover') failovers.inc({ backend });
    },
  };
}
