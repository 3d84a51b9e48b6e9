import type { JobError, JobSnapshot, JobStatus, Workflow } from '@comfy-gateway/schema';
import type { ComfyClient } from '../client/comfy-client.ts';
import type { ComfyEvent } from '../client/events.ts';
import { isGatewayError } from '../errors.ts';
import type { ComfyHistoryEntry, ComfyQueue, JobListener, TrackedEvent } from '../types.ts';
import { applyEvent } from './apply-event.ts';
import { emit, imagesOf, isFinal, newRecord, snapshotOf, statusFromHistory } from './job-record.ts';
import type { JobRecord } from './job-record.ts';

export interface JobTrackerOptions {
  client: Pick<ComfyClient, 'getQueue' | 'getHistory'>;
  /** How often active prompts are polled while the socket is down, silent, or cannot see them. */
  pollIntervalMs?: number;
  /** Socket silence while work is active that triggers polling. */
  silenceMs?: number;
  /** Finished jobs kept for status and resume; the oldest go first. */
  retainFinished?: number;
  now?: () => number;
}

export interface TrackerStats {
  /** Completions found by polling that the socket did not deliver. */
  rescues: number;
  vanished: number;
  reconciles: number;
}

/** Keeps a state per prompt from socket events, with `/queue` and `/history` as the truth. */
export function createJobTracker(opts: JobTrackerOptions) {
  const now = opts.now ?? Date.now;
  const pollMs = opts.pollIntervalMs ?? 1000;
  const silenceMs = opts.silenceMs ?? 5000;
  const retain = opts.retainFinished ?? 1000;
  const jobs = new Map<string, JobRecord>();
  const stats: TrackerStats = { rescues: 0, vanished: 0, reconciles: 0 };
  let socketUp = false;
  let lastEventAt = now();
  let timer: ReturnType<typeof setTimeout> | null = null;
  let reconciling: Promise<void> | null = null;
  let queueRefresh: ReturnType<typeof setTimeout> | null = null;
  let closed = false;
  const endListeners = new Set<(s: JobSnapshot) => void>();

  const active = () => [...jobs.values()].filter((j) => !isFinal(j));

  const finish = (job: JobRecord, status: JobStatus, error?: JobError) => {
    if (isFinal(job)) return;
    job.status = status;
    job.finishedAt = now();
    if (error) job.error = error;
    job.queuePosition = null;
    const snap = snapshotOf(job);
    emit(job, { type: 'status', snapshot: snap });
    if (error && status !== 'cancelled') emit(job, { type: 'error', code: status, message: error.message, details: error });
    emit(job, { type: 'done', snapshot: snap });
    for (const w of job.waiters) w(snap);
    job.waiters.clear();
    for (const l of endListeners) l(snap);
    prune();
  };

  const prune = () => {
    const finished = [...jobs.values()].filter((j) => isFinal(j) && j.listeners.size === 0);
    for (const j of finished.slice(0, Math.max(0, finished.length - retain))) jobs.delete(j.id);
  };

  const finishFromHistory = (job: JobRecord, entry: ComfyHistoryEntry, viaPolling: boolean) => {
    if (isFinal(job)) return;
    const found = Object.values(entry.outputs).flatMap((o) => imagesOf(o));
    const fresh = found.filter((r) => !job.images.some((i) => i.filename === r.filename && i.subfolder === r.subfolder && i.type === r.type));
    if (fresh.length > 0) {
      job.images.push(...fresh);
      emit(job, { type: 'images', node: null, images: fresh });
    }
    job.prompt ??= entry.prompt.prompt;
    const { status, error } = statusFromHistory(entry);
    if (viaPolling && job.ownSocket) stats.rescues++;
    job.endedByPolling = viaPolling;
    finish(job, status === 'interrupted' && job.cancelRequested ? 'interrupted' : status, error);
  };

  const applyQueue = (job: JobRecord, queue: ComfyQueue): boolean => {
    if (queue.running.some((q) => q.prompt_id === job.id)) {
      if (job.status === 'queued') {
        job.status = 'running';
        job.startedAt ??= now();
        emit(job, { type: 'status', snapshot: snapshotOf(job) });
      }
      job.missingPasses = 0;
      return true;
    }
    const pos = queue.pending.findIndex((q) => q.prompt_id === job.id);
    if (pos >= 0) {
      if (job.queuePosition !== pos) {
        job.queuePosition = pos;
        emit(job, { type: 'status', snapshot: snapshotOf(job) });
      }
      job.missingPasses = 0;
      return true;
    }
    return false;
  };

  /** One pass over every active prompt: `/queue` once, then `/history/{id}` for the ones not in it. */
  const reconcileOnce = async () => {
    const list = active();
    if (list.length === 0) return;
    stats.reconciles++;
    const queue = await opts.client.getQueue();
    for (const job of list) {
      if (applyQueue(job, queue)) continue;
      const entry = await opts.client.getHistory(job.id);
      if (entry) finishFromHistory(job, entry, true);
      else if (job.cancelRequested) finish(job, 'cancelled');
      else if (++job.missingPasses >= 2) {
        stats.vanished++;
        finish(job, 'failed', { message: 'ComfyUI lost the prompt: it is neither queued nor in history (ComfyUI probably restarted)' });
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
    return !socketUp || list.some((j) => !j.ownSocket || j.missingPasses > 0 || j.cancelRequested) || now() - lastEventAt >= silenceMs;
  };

  const tick = () => {
    timer = null;
    if (closed) return;
    const run = needsPolling() ? reconcile().catch(() => undefined) : Promise.resolve();
    void run.finally(() => schedule());
  };

  const schedule = () => {
    if (closed || timer || active().length === 0) return;
    timer = setTimeout(tick, pollMs);
    timer.unref?.();
  };

  /** Queue positions change on every `status` broadcast; refresh them once per burst. */
  const refreshPositions = () => {
    if (queueRefresh || !active().some((j) => j.status === 'queued')) return;
    queueRefresh = setTimeout(() => {
      queueRefresh = null;
      opts.client
        .getQueue()
        .then((q) => active().forEach((j) => applyQueue(j, q)))
        .catch(() => undefined);
    }, 50);
    queueRefresh.unref?.();
  };

  return {
    stats,

    /** Starts following a prompt (idempotent). `ownSocket: false` means it is followed by polling. */
    track(promptId: string, o: { prompt?: Workflow; ownSocket: boolean; queuePosition?: number }): JobSnapshot {
      let job = jobs.get(promptId);
      if (!job) {
        job = newRecord(promptId, { ...(o.prompt ? { prompt: o.prompt } : {}), ownSocket: o.ownSocket, now: now() });
        if (o.queuePosition !== undefined) job.queuePosition = o.queuePosition;
        jobs.set(promptId, job);
        emit(job, { type: 'status', snapshot: snapshotOf(job) });
        if (!o.ownSocket) {
          emit(job, {
            type: 'warning',
            code: 'followed_by_polling',
            message: 'queued with a client_id other than the gateway\u2019s: progress is followed by polling, without step detail',
          });
        }
        refreshPositions();
      }
      schedule();
      return snapshotOf(job);
    },

    get(promptId: string): JobSnapshot | undefined {
      const job = jobs.get(promptId);
      return job ? snapshotOf(job) : undefined;
    },

    /** Looks a prompt up on ComfyUI (queue, then history) and tracks it if it exists there. */
    async lookup(promptId: string): Promise<JobSnapshot | undefined> {
      const known = jobs.get(promptId);
      if (known) return snapshotOf(known);
      const queue = await opts.client.getQueue();
      const item = [...queue.running, ...queue.pending].find((q) => q.prompt_id === promptId);
      const entry = item ? null : await opts.client.getHistory(promptId);
      if (!item && !entry) return undefined;
      const prompt = item?.prompt ?? entry?.prompt.prompt;
      const job = newRecord(promptId, { ...(prompt ? { prompt } : {}), ownSocket: false, now: now() });
      jobs.set(promptId, job);
      emit(job, { type: 'status', snapshot: snapshotOf(job) });
      if (item) applyQueue(job, queue);
      if (entry) finishFromHistory(job, entry, false);
      schedule();
      return snapshotOf(job);
    },

    /** Buffered events after `lastEventId` (all when absent), for resuming a stream. */
    eventsSince(promptId: string, lastEventId?: string): TrackedEvent[] {
      const job = jobs.get(promptId);
      if (!job) return [];
      const after = Number(lastEventId ?? 0);
      return job.events.filter((e) => Number(e.id) > (Number.isFinite(after) ? after : 0));
    },

    /** Live events of one prompt; attach before reading `eventsSince` so nothing falls between. */
    subscribe(promptId: string, listener: JobListener): () => void {
      const job = jobs.get(promptId);
      if (!job) return () => undefined;
      job.listeners.add(listener);
      return () => {
        job.listeners.delete(listener);
        if (isFinal(job)) prune();
      };
    },

    /** Resolves with the final snapshot; rejects only when `signal` aborts. */
    waitForEnd(promptId: string, o: { signal?: AbortSignal } = {}): Promise<JobSnapshot> {
      const job = jobs.get(promptId);
      if (!job) return Promise.reject(new Error(`prompt ${promptId} is not tracked`));
      if (isFinal(job)) return Promise.resolve(snapshotOf(job));
      return new Promise((resolve, reject) => {
        const done = (s: JobSnapshot) => {
          o.signal?.removeEventListener('abort', abort);
          resolve(s);
        };
        const abort = () => {
          job.waiters.delete(done);
          reject(o.signal?.reason ?? new Error('aborted'));
        };
        if (o.signal?.aborted) return abort();
        o.signal?.addEventListener('abort', abort, { once: true });
        job.waiters.add(done);
      });
    },

    /** Feeds one socket event in. */
    handleEvent(ev: ComfyEvent): void {
      lastEventAt = now();
      if (ev.type === 'status') return refreshPositions();
      const running = active().find((j) => j.status === 'running' && j.ownSocket);
      const id = 'prompt_id' in ev && ev.prompt_id ? ev.prompt_id : running?.id;
      const job = id ? jobs.get(id) : undefined;
      if (!job || isFinal(job)) return;
      const outcome = applyEvent(job, ev, now());
      if (outcome.final) finish(job, outcome.final, outcome.error);
      // The end marker without a final event (missed frames): ask history at once.
      if (outcome.ended && !isFinal(job)) void reconcile().catch(() => undefined);
    },

    /** Marks that the gateway asked ComfyUI to drop or interrupt this prompt. */
    markCancelRequested(promptId: string): void {
      const job = jobs.get(promptId);
      if (job) job.cancelRequested = true;
    },

    /** Ends every active prompt (ComfyUI unreachable for good), so no stream hangs. */
    failActive(code: string, message: string): void {
      for (const job of active()) {
        emit(job, { type: 'warning', code, message });
        finish(job, 'failed', { message });
      }
    },

    /** Tells everyone following an active prompt (e.g. the connection was lost). */
    warnActive(code: string, message: string): void {
      for (const job of active()) emit(job, { type: 'warning', code, message });
    },

    reconcile,

    /** Every prompt's final snapshot (metrics, logs). */
    onEnd(listener: (s: JobSnapshot) => void): () => void {
      endListeners.add(listener);
      return () => endListeners.delete(listener);
    },

    setSocketUp(up: boolean): void {
      socketUp = up;
      if (up) lastEventAt = now();
      schedule();
    },

    activeCount: () => active().length,
    queuedCount: () => active().filter((j) => j.status === 'queued').length,
    size: () => jobs.size,

    close(): void {
      closed = true;
      if (timer) clearTimeout(timer);
      if (queueRefresh) clearTimeout(queueRefresh);
    },

    /** For tests: whether an upstream error means ComfyUI is away. */
    isUnavailable: (err: unknown) => isGatewayError(err) && (err.code === 'COMFY_UNAVAILABLE' || err.code === 'COMFY_TIMEOUT'),
  };
}

export type JobTracker = ReturnType<typeof createJobTracker>;
