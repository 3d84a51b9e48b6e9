import { isFinalJobStatus } from '@comfy-gateway/schema';
import type { JobSnapshot, Workflow } from '@comfy-gateway/schema';
import type { ComfyClient } from '../client/comfy-client.ts';
import type { ComfyEvent } from '../client/events.ts';
import { defaultTimers } from '../timers.ts';
import { GatewayError } from '../errors.ts';
import type { ErrorHook, JobListener, MetricHook, Timers, TrackedEvent } from '../types.ts';
import { applyEvent } from './apply-event.ts';
import { createEarlyEvents } from './early-events.ts';
import { isFinal, newRecord, recordFromStored, snapshotOf } from './job-record.ts';
import type { JobRecord } from './job-record.ts';
import type { JobRepository, StoredJob } from './job-repository.ts';
import { createJobStore } from './job-store.ts';
import type { LostHook } from './job-store.ts';
import type { JobEvents } from './job-events.ts';
import { createMemoryJobRepository } from './memory-job-repository.ts';
import { createJobPoller } from './job-poller.ts';
import { absorbHistory, applyQueue } from './reconcile-job.ts';
import { openJobStream } from './stream.ts';
import type { JobStream, StreamOptions, StreamSource } from './stream.ts';

export interface JobTrackerOptions {
  client: Pick<ComfyClient, 'getQueue' | 'getHistory'>;
  /** The gateway's own client id (informational: prompts carrying it are followed by socket). */
  clientId?: string;
  /** How often active prompts are polled while the socket is down, silent, or cannot see them. */
  pollIntervalMs?: number;
  /** Socket silence while work is active that triggers polling. */
  silenceMs?: number;
  /** Finished jobs kept for status and resume: at most this many ... */
  retainFinished?: number;
  /** ... and none longer than this after they ended. */
  retainFinishedMs?: number;
  /** Where job state is kept (accepted, each state change); in memory unless given. */
  repository?: JobRepository;
  now?: () => number;
  timers?: Timers;
  onMetric?: MetricHook;
  /** Errors that must not break the event path (failed writes, background polls). */
  onError?: ErrorHook;
  /** Pool member name: set on every job and its images. */
  backend?: string;
  /** Shared event bus of a pool (see `createComfyPool`). */
  events?: JobEvents;
  /** A job its server lost: the pool may take it back (see `LostHook`). */
  onLost?: LostHook;
}

/** Keeps a state per prompt from socket events, with `/queue` and `/history` as the truth. */
export function createJobTracker(opts: JobTrackerOptions) {
  const now = opts.now ?? Date.now;
  const timers = opts.timers ?? defaultTimers;
  const metric: MetricHook = opts.onMetric ?? (() => undefined);
  const onError: ErrorHook = opts.onError ?? (() => undefined);
  const repository = opts.repository ?? createMemoryJobRepository({ now });
  const store = createJobStore({
    now,
    retain: opts.retainFinished ?? 1000,
    retainMs: opts.retainFinishedMs ?? 60 * 60_000,
    metric,
    repository,
    onError,
    ...(opts.events ? { bus: opts.events } : {}),
    ...(opts.onLost ? { onLost: opts.onLost } : {}),
  });
  const early = createEarlyEvents(now);
  const poller = createJobPoller({
    store,
    client: opts.client,
    now,
    timers,
    pollMs: opts.pollIntervalMs ?? 1000,
    silenceMs: opts.silenceMs ?? 5000,
    metric,
    onError,
  });
  const { stats, reconcile, schedule, refreshPositions } = poller;
  const { jobs, active, finish, prune, persist, emitter, bus } = store;

  const apply = (job: JobRecord, ev: ComfyEvent) => {
    const outcome = applyEvent(job, ev, now(), emitter(job));
    if (outcome.final) finish(job, outcome.final, outcome.error);
    else persist(job);
    // The end marker without a final event (missed frames): ask history at once.
    if (outcome.ended && !isFinal(job))
      void reconcile().catch((err: unknown) => onError('tracker.reconcile', err));
  };

  /** Takes a record in, announces it, replays early socket events and saves it. */
  const adopt = (job: JobRecord, floor: number) => {
    store.add(job, floor);
    const emit = emitter(job);
    emit({ type: 'status', snapshot: snapshotOf(job) });
    if (!job.ownSocket) {
      emit({
        type: 'warning',
        code: 'followed_by_polling',
        message:
          'queued with a client_id other than the gateway\u2019s: progress is followed by polling, without step detail',
      });
    }
    persist(job);
    for (const ev of early.take(job.id)) if (!isFinal(job)) apply(job, ev);
    refreshPositions();
    prune();
  };

  /** An unfinished stored job followed again: ids continue above its floor, polled until it ends. */
  const adoptStored = (stored: StoredJob): JobRecord => {
    const job = recordFromStored(stored);
    job.restored = true;
    if (opts.backend !== undefined) job.backend = opts.backend;
    adopt(job, stored.eventIdFloor);
    return job;
  };

  /** The stored job, after this process's own writes to it have landed. */
  const loadStored = async (promptId: string): Promise<StoredJob | undefined> => {
    await store.writer.settled(promptId);
    return repository.load(promptId);
  };

  /**
   * Finds a prompt this process does not hold: in the repository (a final job is answered from
   * it as stored; an unfinished one is followed again), else on ComfyUI (queue, then history).
   */
  const find = async (promptId: string): Promise<StreamSource | undefined> => {
    const known = jobs.get(promptId);
    if (known) return { live: known };
    const stored = await loadStored(promptId);
    const afterLoad = jobs.get(promptId);
    if (afterLoad) return { live: afterLoad };
    if (stored && isFinalJobStatus(stored.status)) return { stored };
    if (stored) {
      const job = adoptStored(stored);
      schedule();
      return { live: job };
    }
    const queue = await opts.client.getQueue();
    const item = [...queue.running, ...queue.pending].find((q) => q.prompt_id === promptId);
    const entry = item ? null : await opts.client.getHistory(promptId);
    if (!item && !entry) return undefined;
    const raced = jobs.get(promptId);
    if (raced) return { live: raced };
    const prompt = item?.prompt ?? entry?.prompt.prompt;
    const job = newRecord(promptId, { ...(prompt ? { prompt } : {}), ownSocket: false, now: now() });
    store.add(job, 0);
    emitter(job)({ type: 'status', snapshot: snapshotOf(job) });
    if (item) applyQueue(job, queue, now(), emitter(job));
    if (entry) {
      const { status, error } = absorbHistory(job, entry, emitter(job));
      finish(job, status, error);
    } else persist(job);
    schedule();
    return { live: job };
  };

  const lookup = async (promptId: string): Promise<JobSnapshot | undefined> => {
    const found = await find(promptId);
    if (!found) return undefined;
    return 'live' in found ? snapshotOf(found.live) : snapshotOf(recordFromStored(found.stored));
  };

  /** Opens a prompt's stream (undefined: unknown prompt); see `openJobStream`. */
  const openStream = async (promptId: string, o: StreamOptions = {}): Promise<JobStream | undefined> => {
    const found = await find(promptId);
    // Pruned while the lookup settled: its events are gone, the repository answers instead.
    if (found && 'live' in found && jobs.get(promptId) !== found.live) return openStream(promptId, o);
    return found ? openJobStream(bus, found, o) : undefined;
  };

  return {
    stats,
    clientId: opts.clientId,

    /**
     * Starts following a prompt (idempotent). `ownSocket: false` (a foreign client_id) means it is
     * followed by polling and its stream says so once.
     */
    track(
      promptId: string,
      o: {
        prompt?: Workflow;
        ownSocket: boolean;
        number?: number;
        queuePosition?: number;
        /** Event ids start above this (a job known from an earlier life). */
        eventIdFloor?: number;
        /** When it was accepted (a gateway job sent later); default now. */
        createdAt?: number;
      },
    ): JobSnapshot {
      let job = jobs.get(promptId);
      if (!job) {
        job = newRecord(promptId, {
          ...(o.prompt ? { prompt: o.prompt } : {}),
          ...(o.number !== undefined ? { number: o.number } : {}),
          ownSocket: o.ownSocket,
          now: o.createdAt ?? now(),
        });
        if (o.queuePosition !== undefined) job.queuePosition = o.queuePosition;
        if (opts.backend !== undefined) job.backend = opts.backend;
        adopt(job, o.eventIdFloor ?? 0);
      }
      schedule();
      return snapshotOf(job);
    },

    get(promptId: string): JobSnapshot | undefined {
      const job = jobs.get(promptId);
      return job ? snapshotOf(job) : undefined;
    },

    lookup,

    openStream,

    /**
     * A prompt's events as one async iterable: subscribed before the backfill, deduplicated by id,
     * ending after `done` or when `signal` aborts. Throws NOT_FOUND for an unknown prompt.
     */
    async *stream(promptId: string, o: StreamOptions = {}): AsyncGenerator<TrackedEvent> {
      const s = await openStream(promptId, o);
      if (!s) throw new GatewayError('NOT_FOUND', `unknown prompt ${promptId}`);
      yield* s;
    },

    /** Listeners attached to a prompt right now (leak checks). */
    listenerCount: (promptId: string): number => bus.listenerCount(promptId),

    /**
     * Follows again every unfinished job the repository holds (after a restart); the next
     * reconcile pass settles each against ComfyUI's queue and history. Returns how many.
     */
    async restore(): Promise<number> {
      const list = await repository.listUnfinished();
      let n = 0;
      for (const stored of list) {
        if (jobs.has(stored.promptId) || isFinalJobStatus(stored.status)) continue;
        adoptStored(stored);
        n++;
      }
      schedule();
      return n;
    },

    /** The repository the tracker writes to (the stream answers finished jobs from it). */
    repository,

    /** Resolves once every state write so far has landed (tests, shutdown). */
    flush: store.writer.flush,

    /** Buffered events after `lastEventId` (all when absent), for resuming a stream. */
    eventsSince(promptId: string, lastEventId?: string): TrackedEvent[] {
      const after = Number(lastEventId ?? 0);
      return bus.since(promptId, Number.isFinite(after) ? after : 0);
    },

    /** Live events of one prompt; attach before reading `eventsSince` so nothing falls between. */
    subscribe: (promptId: string, listener: JobListener): (() => void) => store.subscribe(promptId, listener),

    /** Resolves with the final snapshot; rejects when `signal` aborts or the prompt is unknown. */
    async waitForEnd(promptId: string, o: { signal?: AbortSignal } = {}): Promise<JobSnapshot> {
      const snap = jobs.has(promptId) ? snapshotOf(jobs.get(promptId) as JobRecord) : await lookup(promptId);
      if (!snap) throw new GatewayError('NOT_FOUND', `prompt ${promptId} is not tracked`);
      const job = jobs.get(promptId);
      if (!job || isFinal(job)) return job ? snapshotOf(job) : snap;
      return new Promise((resolve, reject) => {
        const off = store.subscribe(promptId, (e) => {
          if (e.event.type !== 'done') return;
          cleanup();
          resolve(e.event.snapshot);
        });
        const abort = () => {
          cleanup();
          reject(o.signal?.reason ?? new Error('aborted'));
        };
        const cleanup = () => {
          off();
          o.signal?.removeEventListener('abort', abort);
        };
        if (o.signal?.aborted) return abort();
        o.signal?.addEventListener('abort', abort, { once: true });
      });
    },

    /** Feeds one socket event in; events of prompts not tracked yet are kept for `track()`. */
    handleEvent(ev: ComfyEvent): void {
      poller.noteEvent();
      if (ev.type === 'status') return refreshPositions();
      const explicit = 'prompt_id' in ev && ev.prompt_id ? ev.prompt_id : undefined;
      // Frames without a prompt id (type-1 previews, old progress) belong to the prompt running now.
      const id = explicit ?? active().find((j) => j.status === 'running' && j.ownSocket)?.id;
      const job = id ? jobs.get(id) : undefined;
      if (!job) {
        if (explicit) early.keep(explicit, ev);
        return;
      }
      if (!isFinal(job)) apply(job, ev);
    },

    /**
     * Drops the early socket events of prompts this tracker must not apply: a stale copy the pool
     * removed, or anything before a fresh dispatch of the id (a job moved back to this server).
     */
    forget(promptIds: readonly string[]): void {
      for (const id of promptIds) early.drop(id);
    },

    /** Marks that the gateway asked ComfyUI to drop or interrupt this prompt. */
    markCancelRequested(promptId: string): void {
      const job = jobs.get(promptId);
      if (job) job.cancelRequested = true;
      schedule();
    },

    /** Ends every active prompt (ComfyUI unreachable for good), so no stream hangs. */
    failActive(code: string, message: string): void {
      for (const job of active()) {
        emitter(job)({ type: 'warning', code, message });
        finish(job, 'failed', { code, message });
      }
    },

    /** Tells everyone following an active prompt (e.g. the connection was lost). */
    warnActive(code: string, message: string): void {
      for (const job of active()) emitter(job)({ type: 'warning', code, message });
    },

    /** Reads `/queue` and `/history/{id}` for every active prompt; concurrent calls share one pass. */
    reconcile,

    /** Every prompt's final snapshot (metrics, logs). */
    onEnd: store.onEnd,
    /** A durable change of a prompt (e.g. it started): the pool renumbers its queue. */
    onChange: store.onChange,

    /** Socket down: active prompts are polled every pollIntervalMs until it is back. */
    setSocketUp: poller.setSocketUp,

    activeCount: () => active().length,
    /** Snapshots of every unfinished prompt (the pool's queue view). */
    activeSnapshots: (): JobSnapshot[] => active().map(snapshotOf),
    queuedCount: () => active().filter((j) => j.status === 'queued').length,
    size: () => jobs.size,

    close: poller.close,
  };
}

export type JobTracker = ReturnType<typeof createJobTracker>;
