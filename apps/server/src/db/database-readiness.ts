import type { ReadinessResult } from '../http/probes.ts';
import { pingDb } from './open-db.ts';
import type { Db } from './open-db.ts';

/**
 * The `/readyz` check of the database, shaped like the Redis one (`state`, `latency_ms`). /readyz
 * is public: it never carries the error, whose text names the host.
 */
export function databaseReadiness(db: Db): () => Promise<ReadinessResult> {
  // Named, so a timed-out check still reports as `database`.
  return async function database() {
    const started = performance.now();
    if (!(await pingDb(db))) return { name: 'database', ok: false, state: 'down', detail: 'no answer' };
    const latency = performance.now() - started;
    return { name: 'database', ok: true, state: 'ready', latency_ms: Math.round(latency * 100) / 100 };
  };
}
