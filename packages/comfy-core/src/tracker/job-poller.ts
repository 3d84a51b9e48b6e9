import type { ComfyClient } from '../client/comfy-client.ts';
import type { ErrorHook, MetricHook, Timers } from '../types.ts';
import { isFinal } from './job-record.ts';
import type { JobStore } from './job-store.ts';
import { absorbHistory, applyQueue, VANISHED } from './reconcile-job.ts';

export interface TrackerStats {
  /** Completions found by polling that the socket did not deliver. */
  rescues: number;
  vanished: number;
  reconciles: number;
}

/**
 * The tracker's polling: `/queue` and `/history` passes while the socket is down, silent, or
 * cannot see a job (foreign client id, restored after a restart, cancel requested).
 */
export function createJobPoller(o: {
  store: JobStore;
  client: Pick<ComfyClient, 'getQueue' | 'getHistory'>;
  now: () => number;
  timers: Timers;
  pollMs: number;
  silenceMs: number;
  metric: MetricHook;
  onError: ErrorHook;
}) {
  const { now, timers, pollMs, silenceMs, metric, onError } = o;
  const { active, finish, persist, emitter } = o.store;
  const stats: TrackerStats = { rescues: 0, vanished: 0, reconciles: 0 };
  let socketUp = false;
  let lastEventAt = now();
  let timer: unknown = null;
  let reconciling: Promise<void> | null = null;
  let queueRefresh: unknown = null;
  let closed = false;

  /** One pass over every active prompt: `/queue` once, then `/history/{id}` for the ones not in it. */
  const reconcileOnce = async () => {
    const list = active();
    if (list.length === 0) return;
    stats.reconciles++;
    metric('reconcile');
    const queue = await o.client.getQueue();
    for (const job of list) {
      if (isFinal(job)) continue;
      if (applyQueue(job, queue, now(), emitter(job))) {
        persist(job);
        continue;
      }
      const entry = await o.client.getHistory(job.id);
      if (isFinal(job)) continue;
      if (entry) {
        const { status, error } = absorbHistory(job, entry, emitter(job));
        if (job.ownSocket && !job.restored) {
          stats.rescues++;
          metric('rescue');
        }
        job.endedByPolling = true;
        finish(job, status, error);
      } else if (job.cancelRequested) {
        // Deleted from the pending queue at the gateway's request: no history entry ever comes.
        finish(job, 'cancelled');
      } else if (++job.missingPasses >= (job.seen ? 1 : 2)) {
        // Seen alive before: gone from both lists means ComfyUI lost it. Never seen: allow a grace pass.
        stats.vanished++;
        metric('vanished');
        finish(job, 'failed', VANISHED);
      }
    }
  };

  const reconcile = (): Promise<void> =>
    (reconciling ??= reconcileOnce().finally(() => {
      reconciling = null;
    }));

  const needsPolling = () => {
    const list = active();
    if (list.length === 0) return false;
    return (
      !socketUp ||
      list.some((j) => !j.ownSocket || j.restored || j.missingPasses > 0 || j.cancelRequested) ||
      now() - lastEventAt >= silenceMs
    );
  };

  const tick = () => {
    timer = null;
    if (closed) return;
    const run = needsPolling()
      ? reconcile().catch((err: unknown) => onError('tracker.poll', err))
      : Promise.resolve();
    void run.finally(() => schedule());
  };

  const schedule = () => {
    if (closed || timer !== null || active().length === 0) return;
    timer = timers.setTimeout(tick, pollMs);
  };

  /** Queue positions change on every `status` broadcast; refresh them once per burst. */
  const refreshPositions = () => {
    if (closed || queueRefresh !== null || !active().some((j) => j.status === 'queued')) return;
    queueRefresh = timers.setTimeout(() => {
      queueRefresh = null;
      o.client
        .getQueue()
        .then((q) => active().forEach((j) => applyQueue(j, q, now(), emitter(j)) && persist(j)))
        .catch((err: unknown) => onError('tracker.queuePositions', err));
    }, 50);
  };

  return {
    stats,
    reconcile,
    schedule,
    refreshPositions,
    /** A socket frame arrived: the socket is not silent. */
    noteEvent: (): void => void (lastEventAt = now()),
    setSocketUp: (up: boolean): void => {
      socketUp = up;
      if (up) lastEventAt = now();
      schedule();
    },
    close: (): void => {
      closed = true;
      if (timer !== null) timers.clearTimeout(timer);
      if (queueRefresh !== null) timers.clearTimeout(queueRefresh);
      timer = queueRefresh = null;
    },
  };
}
