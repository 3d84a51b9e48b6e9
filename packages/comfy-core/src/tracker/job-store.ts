import type { JobError, JobSnapshot, JobStatus } from '@comfy-gateway/schema';
import { GatewayError } from '../errors.ts';
import type { JobListener, MetricHook, TrackedEvent } from '../types.ts';
import { emit, isFinal, snapshotOf } from './job-record.ts';
import type { JobRecord } from './job-record.ts';

export interface JobStoreOptions {
  now: () => number;
  /** Finished jobs kept: at most this many, none longer than retainMs after they ended. */
  retain: number;
  retainMs: number;
  metric: MetricHook;
}

/** The tracker's job table: final transitions, listeners, waiters and bounded retention. */
export function createJobStore(opts: JobStoreOptions) {
  const jobs = new Map<string, JobRecord>();
  const endListeners = new Set<(s: JobSnapshot) => void>();

  /** Finished jobs without listeners go when too many or too old; active ones always stay. */
  const prune = () => {
    const finished = [...jobs.values()].filter((j) => isFinal(j) && j.listeners.size === 0);
    const excess = Math.max(0, finished.length - opts.retain);
    const cutoff = opts.now() - opts.retainMs;
    finished.forEach((j, i) => {
      if (i < excess || (j.finishedAt ?? 0) < cutoff) jobs.delete(j.id);
    });
  };

  return {
    jobs,
    prune,
    active: () => [...jobs.values()].filter((j) => !isFinal(j)),

    /** The one way into a final state: status, error, done, in that order, exactly once. */
    finish(job: JobRecord, status: JobStatus, error?: JobError): void {
      if (isFinal(job)) return;
      job.status = status;
      job.finishedAt = opts.now();
      if (error) job.error = error;
      job.queuePosition = null;
      const snap = snapshotOf(job);
      emit(job, { type: 'status', snapshot: snap });
      if (error && status !== 'cancelled')
        emit(job, { type: 'error', code: error.code ?? status, message: error.message, details: error });
      emit(job, { type: 'done', snapshot: snap });
      opts.metric('job_end', { status, followed_by: job.ownSocket ? 'socket' : 'polling' });
      for (const w of job.waiters) w(snap);
      job.waiters.clear();
      for (const l of endListeners) l(snap);
      prune();
    },

    onEnd(listener: (s: JobSnapshot) => void): () => void {
      endListeners.add(listener);
      return () => endListeners.delete(listener);
    },

    eventsSince(promptId: string, lastEventId?: string): TrackedEvent[] {
      const job = jobs.get(promptId);
      if (!job) return [];
      const after = Number(lastEventId ?? 0);
      return job.events.filter((e) => Number(e.id) > (Number.isFinite(after) ? after : 0));
    },

    subscribe(promptId: string, listener: JobListener): () => void {
      const job = jobs.get(promptId);
      if (!job) return () => undefined;
      job.listeners.add(listener);
      return () => {
        job.listeners.delete(listener);
        if (isFinal(job)) prune();
      };
    },

    waitForEnd(promptId: string, o: { signal?: AbortSignal } = {}): Promise<JobSnapshot> {
      const job = jobs.get(promptId);
      if (!job) return Promise.reject(new GatewayError('NOT_FOUND', `prompt ${promptId} is not tracked`));
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
  };
}
