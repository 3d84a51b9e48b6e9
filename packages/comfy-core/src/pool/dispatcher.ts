import type { JobError, JobSnapshot, JobStatus, StreamEvent, Workflow } from '@comfy-gateway/schema';
import { isGatewayError } from '../errors.ts';
import type { JobEvents } from '../tracker/job-events.ts';
import { newRecord, snapshotOf, stateOf } from '../tracker/job-record.ts';
import type { JobRecord } from '../tracker/job-record.ts';
import type { ErrorHook, MetricHook, Timers } from '../types.ts';
import { missingCapabilities } from './capability.ts';
import { orderQueue } from './fair-order.ts';
import type { QueueEntry } from './fair-order.ts';
import type { PoolJob, PoolMember, PoolRepository } from './pool-types.ts';

/** How long a submit waits for a server that is connecting to be ready for its job. */
const WARM_UP_WAIT_MS = 5_000;

interface Held {
  entry: QueueEntry;
  record: JobRecord;
  workflow: Workflow;
  clientId: string | undefined;
  /** Retries left after a server is lost while the job runs. */
  retries: number;
  /** Since when no usable server can run it (only disconnected or draining ones). */
  stuckSince: number | null;
  warned: boolean;
  capable: Map<string, { version: number; ok: boolean }>;
}

interface Flight extends Held {
  member: PoolMember;
  /** POST /prompt not answered yet: the server's tracker does not hold it. */
  posting: boolean;
  /** Cancelled while being sent: removed from the server's queue once it is there. */
  cancelAfterPost?: boolean;
}

export interface DispatcherOptions {
  members: readonly PoolMember[];
  bus: JobEvents;
  repository: PoolRepository;
  retryOnLoss: number;
  dispatchTimeoutMs: number;
  now: () => number;
  timers: Timers;
  onError: ErrorHook;
  onMetric: MetricHook;
}

/**
 * The gateway queue and its dispatch: jobs wait here (ordered by `orderQueue`) until a connected,
 * not draining, capable server has room; a lost server's jobs come back here (see `lost`).
 */
export function createDispatcher(o: DispatcherOptions) {
  const { bus, repository, now, timers } = o;
  const waiting = new Map<string, Held>();
  const flights = new Map<string, Flight>();
  // Ended here: kept (with their buffered events) a minute for streams that resume.
  const endedHere = new Map<string, JobRecord>();
  const lastServed = new Map<string, number>();
  // Submits waiting for their job's first dispatch attempt (see `enqueue`'s `untilSent`).
  const submitters = new Map<string, { resolve: () => void; reject: (err: unknown) => void }>();
  const settle = (id: string, err?: unknown) => {
    const s = submitters.get(id);
    if (!s) return;
    submitters.delete(id);
    if (err === undefined) s.resolve();
    else s.reject(err);
  };
  let served = 0;
  let seq = 0;
  let pumpTimer: unknown = null;
  let sweepTimer: unknown = null;
  let closed = false;

  const usable = (m: PoolMember) =>
    !m.draining && !m.fenced && m.connection.watchdog.state === 'connected' && m.objectInfo !== null;
  const load = (m: PoolMember) => [...flights.values()].filter((f) => f.member === m).length;
  const capable = (m: PoolMember, h: Held): boolean => {
    if (!m.objectInfo) return false;
    const memo = h.capable.get(m.name);
    if (memo && memo.version === m.infoVersion) return memo.ok;
    const ok = missingCapabilities(h.workflow, m.objectInfo).length === 0;
    h.capable.set(m.name, { version: m.infoVersion, ok });
    return ok;
  };
  const order = () =>
    orderQueue(
      [...waiting.values()].map((h) => h.entry),
      lastServed,
    );
  const emit = (id: string, event: StreamEvent) => bus.emit(id, event);

  // Per job, writes land in order, and after the lost server's tracker's own writes (see `lost`).
  const writes = new Map<string, Promise<unknown>>();
  const write = (id: string, fn: () => Promise<unknown>) => {
    const next = (writes.get(id) ?? Promise.resolve())
      .then(fn)
      .catch((err: unknown) => o.onError('dispatcher.save', err));
    writes.set(id, next);
    void next.then(() => {
      if (writes.get(id) === next) writes.delete(id);
    });
  };

  /** Saves a held job's state; the ledger row says it is in the gateway queue (no server). */
  const save = (h: Held, floor = bus.ids(h.entry.promptId)?.floor ?? 0) => {
    const id = h.entry.promptId;
    write(id, async () => {
      await repository.saveState(stateOf(h.record, floor));
      await repository.assign(id, null);
    });
  };

  /** Jobs sent to a server and not started there: they come before the gateway queue. */
  const waitingOnServers = () =>
    [...flights.values()].filter(
      (f) => f.posting || f.member.connection.tracker.get(f.entry.promptId)?.status === 'queued',
    ).length;

  /** Queue positions changed: every waiting job whose place moved gets a fresh snapshot. */
  const refreshPositions = () => {
    const ahead = waitingOnServers();
    order().forEach((e, i) => {
      const h = waiting.get(e.promptId);
      if (!h || h.record.queuePosition === ahead + i) return;
      h.record.queuePosition = ahead + i;
      emit(e.promptId, { type: 'status', snapshot: snapshotOf(h.record) });
    });
  };

  const schedulePump = (ms = 0) => {
    if (closed || pumpTimer !== null) return;
    pumpTimer = timers.setTimeout(() => {
      pumpTimer = null;
      pump();
    }, ms);
  };

  /** The best server for a job right now: usable, room left, capable; least loaded, then weight. */
  const choose = (h: Held): PoolMember | undefined =>
    o.members
      .filter((m) => usable(m) && load(m) < m.maxInFlight && capable(m, h))
      .sort((a, b) => load(a) - load(b) || b.weight - a.weight)[0];

  /** Sends jobs while some server has room; the order is recomputed after each (fairness moves). */
  const pump = () => {
    if (closed) return;
    for (;;) {
      if (!o.members.some((m) => usable(m) && load(m) < m.maxInFlight)) break;
      let sent = false;
      for (const e of order()) {
        const h = waiting.get(e.promptId);
        const m = h && choose(h);
        if (!h || !m) continue;
        dispatch(h, m);
        sent = true;
        break;
      }
      if (!sent) break;
    }
    refreshPositions();
    // Submits whose job is still waiting: accepted into the gateway queue (unless a server with
    // room is only warming up: connected, its object_info or stale-copy check not done yet).
    const warming = o.members.some(
      (m) =>
        !m.draining &&
        m.connection.watchdog.state === 'connected' &&
        (m.fenced || m.objectInfo === null) &&
        load(m) < m.maxInFlight,
    );
    if (!warming) for (const id of [...submitters.keys()]) if (waiting.has(id)) settle(id);
    sweep();
  };

  const dispatch = (h: Held, m: PoolMember) => {
    const id = h.entry.promptId;
    waiting.delete(id);
    const f: Flight = { ...h, member: m, posting: true };
    flights.set(id, f);
    lastServed.set(h.entry.owner, ++served);
    o.onMetric('dispatch', { backend: m.name });
    void (async () => {
      try {
        await writes.get(id);
        // Stopped meanwhile (a lost lease): another holder owns the job now; send nothing.
        if (closed) return settle(id);
        await repository.assign(id, m.name);
        if (closed) return settle(id);
        // Nothing that arrived before this POST belongs to this run (an old copy's late frames).
        m.connection.tracker.forget([id]);
        await m.connection.queue(h.workflow, {
          promptId: id,
          createdAt: h.record.createdAt,
          ...(h.clientId !== undefined ? { clientId: h.clientId } : {}),
        });
        f.posting = false;
        settle(id);
        if (f.cancelAfterPost) {
          m.connection.tracker.markCancelRequested(id);
          await m.connection.client.deleteQueued([id]);
          await m.connection.client.interrupt(id);
        }
      } catch (err) {
        if (flights.get(id) !== f) return settle(id);
        // Sent already (a cancel after the send failed): its tracker follows it, it stays in flight.
        if (!f.posting) return o.onError('dispatcher.cancelAfterPost', err);
        if (isAmbiguous(err)) {
          // ComfyUI may have queued it: its tracker follows it, and takes it back as lost if absent.
          f.posting = false;
          m.connection.tracker.track(id, {
            prompt: h.workflow,
            ownSocket: h.clientId === undefined,
            createdAt: h.record.createdAt,
          });
          void m.connection.tracker.reconcile().catch((e: unknown) => o.onError('dispatcher.reconcile', e));
          return settle(id);
        }
        flights.delete(id);
        if (submitters.has(id)) {
          // The submit is still waiting: ComfyUI's refusal is its answer, and the job goes.
          waiting.delete(id);
          bus.drop(id);
          settle(id, err);
        } else if (isGatewayError(err) && err.code === 'COMFY_VALIDATION') {
          finishHeld(h, 'failed', { code: 'comfy_validation', message: err.message });
        } else {
          o.onError('dispatcher.dispatch', err);
          requeue(h, { code: 'dispatch_failed', message: `sending to ${m.name} failed; queued again` });
        }
        schedulePump(200);
      }
    })();
  };

  /** Back into the gateway queue at its old place (or the head, `front`), with a warning. */
  const requeue = (h: Held, warning: { code: string; message: string }, front = false) => {
    const id = h.entry.promptId;
    const record = newRecord(id, {
      prompt: h.workflow,
      ownSocket: h.clientId === undefined,
      now: h.record.createdAt,
    });
    const held: Held = {
      ...h,
      entry: { ...h.entry, front: h.entry.front === true || front },
      record,
      stuckSince: null,
      warned: false,
    };
    waiting.set(id, held);
    bus.open(id, { floor: 0, onReserve: (floor) => save(held, floor) });
    emit(id, { type: 'warning', ...warning });
    save(held);
    refreshPositions();
    schedulePump();
  };

  /** A final state decided here (cancelled while waiting, no server, lost with no retry left). */
  const finishHeld = (h: Held, status: JobStatus, error?: JobError) => {
    const id = h.entry.promptId;
    waiting.delete(id);
    settle(id);
    const job = h.record;
    job.status = status;
    job.finishedAt = now();
    job.queuePosition = null;
    if (error) job.error = error;
    const snapshot = snapshotOf(job);
    emit(id, { type: 'status', snapshot });
    if (error && status !== 'cancelled')
      emit(id, { type: 'error', code: error.code ?? status, message: error.message, details: error });
    emit(id, { type: 'done', snapshot });
    const floor = bus.ids(id)?.last ?? 0;
    write(id, () => repository.saveState(stateOf(job, floor)));
    o.onMetric('job_end', { status, backend: 'none' });
    // Resumes within a minute read the buffer; later ones answer from the repository.
    endedHere.set(id, job);
    timers.setTimeout(() => {
      if (endedHere.get(id) !== job) return;
      endedHere.delete(id);
      if (!waiting.has(id) && !flights.has(id)) bus.drop(id);
    }, 60_000);
    refreshPositions();
  };

  /** Warns jobs that no usable server can run, and fails those that waited past the timeout. */
  const sweep = () => {
    for (const h of [...waiting.values()]) {
      if (o.members.some((m) => usable(m) && capable(m, h))) {
        h.stuckSince = null;
        continue;
      }
      h.stuckSince ??= now();
      if (!h.warned) {
        h.warned = true;
        const able = o.members.filter((m) => capable(m, h) || m.objectInfo === null).map((m) => m.name);
        emit(h.entry.promptId, {
          type: 'warning',
          code: 'waiting_for_backend',
          message: `no connected server can run this job now (able: ${able.join(', ') || 'unknown'}); waiting`,
        });
      }
      if (now() - h.stuckSince >= o.dispatchTimeoutMs) {
        finishHeld(h, 'failed', {
          code: 'no_backend',
          message: `no server able to run this job was available for ${Math.round(o.dispatchTimeoutMs / 1000)} s`,
        });
      }
    }
    if (sweepTimer === null && !closed && [...waiting.values()].some((h) => h.stuckSince !== null)) {
      sweepTimer = timers.setTimeout(
        () => {
          sweepTimer = null;
          sweep();
        },
        Math.max(10, Math.min(1000, o.dispatchTimeoutMs / 4)),
      );
    }
  };

  const hold = (job: PoolJob, o2: { retries: number; floor: number; seq?: number }): Held => {
    const record = newRecord(job.promptId, {
      prompt: job.workflow,
      ownSocket: job.clientId === undefined,
      now: job.createdAt,
    });
    return {
      entry: { promptId: job.promptId, owner: job.owner, priority: job.priority, seq: o2.seq ?? ++seq },
      record,
      workflow: job.workflow,
      clientId: job.clientId,
      retries: o2.retries,
      stuckSince: null,
      warned: false,
      capable: new Map(),
    };
  };

  return {
    /** Takes an accepted job into the gateway queue; its stream exists from here on. */
    enqueue(job: PoolJob, o2: { floor?: number } = {}): JobSnapshot {
      const h = hold(job, { retries: o.retryOnLoss, floor: o2.floor ?? 0 });
      waiting.set(job.promptId, h);
      bus.open(job.promptId, { floor: o2.floor ?? 0, onReserve: (floor) => save(h, floor) });
      // The channel's reserved ceiling goes to the row now: a restart numbers above what was sent.
      save(h);
      refreshPositions();
      schedulePump();
      return snapshotOf(h.record);
    },

    /**
     * Resolves once the job's first dispatch pass is over: sent (or possibly sent), or left waiting
     * in the gateway queue. Rejects with ComfyUI's answer when the server refused it outright; the
     * job is then gone (the caller removes its row), as a refused submit leaves nothing behind.
     */
    untilSent(promptId: string): Promise<void> {
      if (!waiting.has(promptId)) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        submitters.set(promptId, { resolve, reject });
        schedulePump();
        // A server that never finishes warming up must not hold the submit.
        timers.setTimeout(() => {
          if (waiting.has(promptId)) settle(promptId);
        }, WARM_UP_WAIT_MS);
      });
    },

    /** Queue positions may have moved (a job started on its server). */
    refresh: () => refreshPositions(),

    /** A job found on a server at restart: counted as in flight there. */
    adoptFlight(job: PoolJob, member: PoolMember): void {
      const h = hold(job, { retries: o.retryOnLoss, floor: 0 });
      flights.set(job.promptId, { ...h, member, posting: false });
    },

    /**
     * The server's tracker gave up on a job (server lost, or the prompt vanished). Not started:
     * back at its old place; running: retried at the head while retries remain, else `backend_lost`.
     */
    lost(memberName: string, job: JobRecord, error: JobError): boolean {
      const f = flights.get(job.id);
      if (!f || f.member.name !== memberName) return false;
      flights.delete(job.id);
      o.onMetric('failover', { backend: memberName });
      // Given up while unreachable: the copy may live on there; the next connect removes it first.
      if (error.code !== 'vanished') f.member.fenced = true;
      // That tracker may still be writing the job's last state: ours go after it.
      write(job.id, () => f.member.connection.tracker.flush());
      const started = job.status === 'running' || job.startedAt !== null;
      if (started && f.retries <= 0) {
        const h: Held = { ...f, record: job };
        finishHeld(h, 'failed', {
          code: 'backend_lost',
          message: `server ${memberName} was lost while running this job (${error.message})`,
        });
      } else {
        const what = started ? 'was running; retried' : 'had not started; queued again';
        requeue(
          { ...f, retries: started ? f.retries - 1 : f.retries },
          { code: 'backend_lost', message: `server ${memberName} was lost (${error.code}); the job ${what}` },
          started,
        );
      }
      schedulePump();
      return true;
    },

    /** A job ended on its server: room for the next. */
    ended(promptId: string): void {
      if (flights.delete(promptId)) schedulePump();
    },

    /** Removes a waiting job (true), else says which server holds it (or nothing). */
    cancel(promptId: string): { removed: true } | { member: PoolMember } | null {
      const h = waiting.get(promptId);
      if (h) {
        finishHeld(h, 'cancelled');
        return { removed: true };
      }
      const f = flights.get(promptId);
      if (f?.posting) f.cancelAfterPost = true;
      return f ? { member: f.member } : null;
    },

    /** Priority of a job still in the gateway queue (or in flight: recorded only). */
    setPriority(promptId: string, priority: number): boolean {
      const h = waiting.get(promptId) ?? flights.get(promptId);
      if (!h) return false;
      h.entry.priority = priority;
      void repository
        .setPriority(promptId, priority)
        .catch((err: unknown) => o.onError('dispatcher.priority', err));
      refreshPositions();
      return true;
    },

    /** The record of a job the gateway holds (waiting, or being sent). */
    record(promptId: string): JobRecord | undefined {
      const h = waiting.get(promptId);
      if (h) return h.record;
      const f = flights.get(promptId);
      return f?.posting ? f.record : endedHere.get(promptId);
    },
    flightOf: (promptId: string): PoolMember | undefined => flights.get(promptId)?.member,
    /** The gateway queue in order. */
    queue: () => order(),
    inFlight: (m: PoolMember): number => load(m),
    waitingCount: () => waiting.size,
    /** Something changed (a server connected, drained, resumed): dispatch what can go. */
    poke: () => schedulePump(),
    close() {
      closed = true;
      for (const id of [...submitters.keys()]) settle(id);
      if (pumpTimer !== null) timers.clearTimeout(pumpTimer);
      if (sweepTimer !== null) timers.clearTimeout(sweepTimer);
      pumpTimer = sweepTimer = null;
    },
  };
}

export type Dispatcher = ReturnType<typeof createDispatcher>;

/** No answer from ComfyUI (timeout, connection lost): it may have queued the prompt anyway. */
function isAmbiguous(err: unknown): boolean {
  return isGatewayError(err) && (err.code === 'COMFY_TIMEOUT' || err.code === 'COMFY_UNAVAILABLE');
}
