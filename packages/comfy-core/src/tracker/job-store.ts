import type { JobError, JobSnapshot, JobStatus, StreamEvent } from '@comfy-gateway/schema';
import type { ErrorHook, JobListener, MetricHook } from '../types.ts';
import { createJobEvents } from './job-events.ts';
import type { JobEvents } from './job-events.ts';
import { isFinal, snapshotOf, stateOf } from './job-record.ts';
import type { Emit, JobRecord } from './job-record.ts';
import type { JobRepository } from './job-repository.ts';
import { createJobWriter } from './job-writer.ts';

export interface JobStoreOptions {
  now: () => number;
  /** Finished jobs kept in memory: at most this many, none longer than retainMs after they ended. */
  retain: number;
  retainMs: number;
  metric: MetricHook;
  repository: JobRepository;
  onError: ErrorHook;
  /** A bus shared by the trackers of a pool, so a job keeps one numbered stream across servers. */
  bus?: JobEvents;
  /** Asked before a job ends for a lost server; true: the pool took it back (no final state here). */
  onLost?: LostHook;
}

/** Error codes that mean the server lost the job, not that the job failed. */
export const LOSS_CODES: ReadonlySet<string> = new Set(['vanished', 'comfy_unreachable']);

/** The pool's say over a job its server lost: true when it takes the job back. */
export type LostHook = (job: JobRecord, error: JobError) => boolean;

/**
 * The tracker's job table: records in memory, their events on the bus, their durable state
 * written through the repository whenever it changes (never per progress step).
 */
export function createJobStore(opts: JobStoreOptions) {
  const jobs = new Map<string, JobRecord>();
  const bus = opts.bus ?? createJobEvents({ onError: opts.onError });
  const writer = createJobWriter({ repository: opts.repository, onError: opts.onError });
  const savedKeys = new WeakMap<JobRecord, string>();
  const endListeners = new Set<(s: JobSnapshot) => void>();
  const changeListeners = new Set<(job: JobRecord) => void>();

  /** Saves the job when a durable field changed since the last save; progress alone does not. */
  const persist = (job: JobRecord, floor = bus.ids(job.id)?.floor ?? 0): void => {
    const key = JSON.stringify([
      job.status,
      job.images.length,
      job.error?.code,
      job.startedAt,
      job.finishedAt,
      floor,
    ]);
    if (savedKeys.get(job) === key) return;
    savedKeys.set(job, key);
    writer.save(stateOf(job, floor));
    for (const l of changeListeners) l(job);
  };

  /** Finished jobs without listeners go when too many or too old; active ones always stay. */
  const prune = () => {
    const finished = [...jobs.values()].filter((j) => isFinal(j) && bus.listenerCount(j.id) === 0);
    const excess = Math.max(0, finished.length - opts.retain);
    const cutoff = opts.now() - opts.retainMs;
    finished.forEach((j, i) => {
      if (i < excess || (j.finishedAt ?? 0) < cutoff) {
        jobs.delete(j.id);
        bus.drop(j.id);
      }
    });
  };

  const emitter =
    (job: JobRecord): Emit =>
    (event: StreamEvent) =>
      bus.emit(job.id, event);

  return {
    jobs,
    bus,
    writer,
    prune,
    persist,
    emitter,
    active: () => [...jobs.values()].filter((j) => !isFinal(j)),

    /** Takes a record in: its events continue above `floor`; saved at once (accepted or restored). */
    add(job: JobRecord, floor: number): void {
      jobs.set(job.id, job);
      bus.open(job.id, { floor, onReserve: (f) => persist(job, f) });
    },

    /**
     * The one way into a final state: status, error, done, in that order, exactly once. The saved
     * floor is then the `done` event's id: no later id exists, and a resume from it is complete.
     */
    finish: (job: JobRecord, status: JobStatus, error?: JobError): void => {
      if (isFinal(job)) return;
      if (status === 'failed' && error?.code && LOSS_CODES.has(error.code) && opts.onLost?.(job, error)) {
        // Released to the pool: its channel stays (shared), this tracker forgets it.
        jobs.delete(job.id);
        return;
      }
      job.status = status;
      job.finishedAt = opts.now();
      if (error) job.error = error;
      job.queuePosition = null;
      const snap = snapshotOf(job);
      const emit = emitter(job);
      emit({ type: 'status', snapshot: snap });
      if (error && status !== 'cancelled')
        emit({ type: 'error', code: error.code ?? status, message: error.message, details: error });
      emit({ type: 'done', snapshot: snap });
      persist(job, bus.ids(job.id)?.last ?? 0);
      opts.metric('job_end', { status, followed_by: job.ownSocket ? 'socket' : 'polling' });
      for (const l of endListeners) l(snap);
      prune();
    },

    /** A durable change (status, images, error, times) of any job. */
    onChange: (listener: (job: JobRecord) => void): (() => void) => {
      changeListeners.add(listener);
      return () => changeListeners.delete(listener);
    },

    onEnd: (listener: (s: JobSnapshot) => void): (() => void) => {
      endListeners.add(listener);
      return () => endListeners.delete(listener);
    },

    /** Live events of one job; a finished job is pruned once its last listener goes. */
    subscribe(promptId: string, listener: JobListener): () => void {
      const off = bus.subscribe(promptId, listener);
      return () => {
        off();
        const job = jobs.get(promptId);
        if (job && isFinal(job)) prune();
      };
    },
  };
}

export type JobStore = ReturnType<typeof createJobStore>;
