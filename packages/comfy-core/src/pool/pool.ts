import { randomUUID } from 'node:crypto';
import { isFinalJobStatus } from '@comfy-gateway/schema';
import type { ComfyObjectInfo, ConnectionState, JobSnapshot, Workflow } from '@comfy-gateway/schema';
import { createComfyConnection } from '../connection.ts';
import type { ComfyConnectionOptions } from '../connection.ts';
import type { CacheResult } from '../cache/ttl-cache.ts';
import { GatewayError } from '../errors.ts';
import { defaultTimers } from '../timers.ts';
import { createJobEvents } from '../tracker/job-events.ts';
import { snapshotOf } from '../tracker/job-record.ts';
import { openJobStream } from '../tracker/stream.ts';
import type { JobStream, StreamOptions } from '../tracker/stream.ts';
import type { ErrorHook, MetricHook, TrackedEvent } from '../types.ts';
import type { JobEventBus } from '../tracker/job-event-bus.ts';
import type { WorkflowIssue } from '../builder/validate.ts';
import { mergeObjectInfo, missingCapabilities } from './capability.ts';
import { createDispatcher } from './dispatcher.ts';
import { removeStaleCopies } from './stale-copies.ts';
import type { PendingJob, PoolJob, PoolMember, PoolRepository } from './pool-types.ts';

export interface PoolBackend {
  name: string;
  baseUrl: string;
  weight?: number;
  maxInFlight?: number;
}

export interface ComfyPoolOptions extends Omit<
  ComfyConnectionOptions,
  'baseUrl' | 'repository' | 'pool' | 'onStateChange' | 'onMetric'
> {
  backends: readonly PoolBackend[];
  repository: PoolRepository;
  /** Retries of a running job whose server is lost (default 1). */
  retryOnLoss?: number;
  /** A job no usable server can run fails `no_backend` after this long (default 600 s). */
  dispatchTimeoutMs?: number;
  onStateChange?: (backend: string, from: ConnectionState, to: ConnectionState, reason?: string) => void;
  /** Tracker counters plus `dispatch`, `failover`, `job_end`, each labelled with `backend`. */
  onMetric?: MetricHook;
  /** A cluster's bus (Redis): every numbered job event is also published there for the other instances. */
  sharedEvents?: JobEventBus;
}

const STATE_RANK: Record<ConnectionState, number> = {
  connected: 4,
  connecting: 3,
  reconnecting: 2,
  degraded: 1,
  disabled: 0,
};

/**
 * Several ComfyUI servers behind one gateway queue: one connection per server (socket, watchdog,
 * tracker, object_info cache), one shared event bus (a job keeps one numbered stream when it moves)
 * and the dispatcher. Jobs come in through `submit` after their ledger row is written.
 */
export function createComfyPool(opts: ComfyPoolOptions) {
  const clientId = opts.clientId ?? randomUUID().replaceAll('-', '');
  const now = opts.now ?? Date.now;
  const timers = opts.timers ?? defaultTimers;
  const onError: ErrorHook = opts.onError ?? (() => undefined);
  const metric: MetricHook = opts.onMetric ?? (() => undefined);
  const repository = opts.repository;
  const bus = createJobEvents({ onError, ...(opts.sharedEvents ? { shared: opts.sharedEvents } : {}) });
  const names = new Set<string>();
  let dispatcher: ReturnType<typeof createDispatcher> | null = null;
  let union: { parts: ComfyObjectInfo[]; value: ComfyObjectInfo } | null = null;
  // A pool never started (a cluster's standby instance) reads object_info over HTTP, without sockets.
  let started = false;

  const members: PoolMember[] = opts.backends.map((b) => {
    if (names.has(b.name)) throw new GatewayError('VALIDATION_ERROR', `duplicate backend name ${b.name}`);
    names.add(b.name);
    const {
      backends: _b,
      repository: _r,
      retryOnLoss: _t,
      dispatchTimeoutMs: _d,
      sharedEvents: _s,
      ...common
    } = opts;
    const connection = createComfyConnection({
      ...common,
      baseUrl: b.baseUrl,
      clientId,
      onMetric: (name, labels) => metric(name, { ...labels, backend: b.name }),
      // This server's tracker follows only the jobs that were sent to it.
      repository: {
        saveState: (s) => repository.saveState(s),
        load: async (id) => {
          const stored = await repository.load(id);
          const elsewhere =
            stored && !isFinalJobStatus(stored.status) && dispatcher?.flightOf(id)?.name !== b.name;
          return elsewhere ? undefined : stored;
        },
        listUnfinished: async () =>
          (await repository.listPending()).filter((p) => p.backend === b.name).map((p) => p.stored),
      },
      pool: {
        // One server is not named in snapshots and images (its default name is host:port).
        ...(opts.backends.length > 1 ? { backend: b.name } : {}),
        events: bus,
        onLost: (job, error) => dispatcher?.lost(b.name, job, error) ?? false,
      },
      onStateChange: (from, to, reason) => opts.onStateChange?.(b.name, from, to, reason),
    });
    return {
      name: b.name,
      baseUrl: b.baseUrl,
      weight: b.weight ?? 1,
      maxInFlight: b.maxInFlight ?? 2,
      connection,
      draining: false,
      fenced: true,
      objectInfo: null,
      infoVersion: 0,
    };
  });

  const d = createDispatcher({
    members,
    bus,
    repository,
    retryOnLoss: opts.retryOnLoss ?? 1,
    dispatchTimeoutMs: opts.dispatchTimeoutMs ?? 600_000,
    now,
    timers,
    onError,
    onMetric: metric,
  });
  dispatcher = d;

  /** A connected server's object_info (cached); an unreachable one's last known copy, never waited for. */
  const currentInfo = (m: PoolMember): Promise<ComfyObjectInfo | null> =>
    m.connection.watchdog.state === 'connected' || !started
      ? refreshInfo(m).catch(() => m.objectInfo)
      : Promise.resolve(m.objectInfo);

  const infoHashes = new Map<PoolMember, string>();
  const infoResult = async (m: PoolMember, refresh = false): Promise<CacheResult<ComfyObjectInfo>> => {
    const r = await m.connection.getObjectInfo({ refresh });
    // The same content again (a refresh on reconnect): capability answers stay valid.
    if (m.objectInfo !== r.value && infoHashes.get(m) !== r.hash) {
      infoHashes.set(m, r.hash);
      m.objectInfo = r.value;
      m.infoVersion++;
      d.poke();
    }
    return m.objectInfo && m.objectInfo !== r.value ? { ...r, value: m.objectInfo } : r;
  };
  const refreshInfo = async (m: PoolMember, refresh = false): Promise<ComfyObjectInfo> =>
    (await infoResult(m, refresh)).value;

  const fenceMs = Math.min(opts.pollIntervalMs ?? 1000, 250);
  /** After a (re)connect: the server gets work again once the stale copies it holds are gone. */
  const unfence = async (m: PoolMember, connects: () => number, mine: number) => {
    const current = () => connects() === mine && m.connection.watchdog.state === 'connected';
    while (current()) {
      try {
        const removed = await removeStaleCopies({
          client: m.connection.client,
          assignedHere: (id) => d.flightOf(id) === m,
          isGatewayJob: async (id) => (await repository.load(id)) !== undefined,
          timers,
          pollMs: fenceMs,
          current,
        });
        m.connection.tracker.forget(removed);
        if (!current()) return;
        if (removed.length > 0) metric('stale_removed', { backend: m.name });
        m.fenced = false;
        d.poke();
        return;
      } catch (err) {
        onError('pool.staleCopies', err);
        await new Promise<void>((r) => timers.setTimeout(() => r(), fenceMs));
      }
    }
  };

  for (const m of members) {
    let connects = 0;
    m.connection.tracker.onEnd((s) => d.ended(s.prompt_id));
    m.connection.tracker.onChange(() => d.refresh());
    m.connection.watchdog.onState(({ to }) => {
      const mine = ++connects;
      if (to === 'connected') {
        void refreshInfo(m, true).catch((err: unknown) => onError('pool.objectInfo', err));
        if (m.fenced) void unfence(m, () => connects, mine);
      }
      d.poke();
    });
  }

  const member = (name: string): PoolMember => {
    const m = members.find((x) => x.name === name);
    if (!m) throw new GatewayError('NOT_FOUND', `no ComfyUI server named ${name}`);
    return m;
  };
  /** The server whose tracker follows the prompt now. */
  const holder = (promptId: string): PoolMember | undefined =>
    members.find((m) => m.connection.tracker.get(promptId) !== undefined);

  const openStream = async (promptId: string, o: StreamOptions = {}): Promise<JobStream | undefined> => {
    const held = d.record(promptId);
    if (held) return openJobStream(bus, { live: held }, o);
    const m = holder(promptId) ?? d.flightOf(promptId);
    if (m) return m.connection.tracker.openStream(promptId, o);
    const stored = await repository.load(promptId);
    // Not the gateway's: a prompt some server holds (queued there by another program).
    if (!stored) return foreignStream(promptId, o);
    if (isFinalJobStatus(stored.status)) return openJobStream(bus, { stored }, o);
    // Between two holders (a move in progress): ask again once it has landed.
    const again = d.record(promptId) ?? holder(promptId);
    return again ? openStream(promptId, o) : undefined;
  };

  /** A prompt the gateway has no record of, looked up on each server in turn. */
  const foreignStream = async (promptId: string, o: StreamOptions): Promise<JobStream | undefined> => {
    for (const m of members) {
      const s = await m.connection.tracker.openStream(promptId, o).catch(() => undefined);
      if (s) return s;
    }
    return undefined;
  };

  /**
   * An unfinished job from the ledger this pool does not follow yet (restored at start, or accepted
   * by another instance of a cluster): queued ones into the gateway queue, sent ones on their server.
   */
  const adopt = (p: PendingJob): boolean => {
    const id = p.stored.promptId;
    if (d.record(id) !== undefined || d.flightOf(id) !== undefined || holder(id) !== undefined) return false;
    const job: PoolJob = {
      promptId: id,
      owner: p.owner,
      priority: p.priority,
      workflow: p.stored.prompt ?? {},
      createdAt: p.stored.createdAt,
    };
    const m = p.backend === null ? undefined : members.find((x) => x.name === p.backend);
    if (m) d.adoptFlight(job, m);
    else if (p.stored.prompt) d.enqueue(job, { floor: p.stored.eventIdFloor });
    else return false;
    return true;
  };

  return {
    clientId,
    members,
    adopt,
    member,
    holder,
    dispatcher: d,
    bus,

    /** Follows the restored jobs again: queued ones into the gateway queue, sent ones on their server. */
    async start(): Promise<void> {
      started = true;
      const pending = await repository.listPending().catch((err: unknown) => {
        onError('pool.restore', err);
        return [];
      });
      for (const p of pending) adopt(p);
      await Promise.all(members.map((m) => m.connection.start()));
    },
    async stop(): Promise<void> {
      d.close();
      await Promise.all(members.map((m) => m.connection.stop()));
    },

    /**
     * An accepted job (ledger row written) into the gateway queue. Resolves after its first
     * dispatch pass (sent, or waiting for room); rejects when ComfyUI refused it outright.
     */
    async submit(job: PoolJob): Promise<JobSnapshot> {
      const snapshot = d.enqueue(job);
      await d.untilSent(job.promptId);
      return snapshot;
    },

    /** Resolves with the job's final snapshot (NOT_FOUND for an unknown prompt). */
    async waitForEnd(promptId: string, o: { signal?: AbortSignal } = {}): Promise<JobSnapshot> {
      const s = await openStream(promptId, o.signal ? { signal: o.signal } : {});
      if (!s) throw new GatewayError('NOT_FOUND', `unknown prompt ${promptId}`);
      for await (const e of s) if (e.event.type === 'done') return e.event.snapshot;
      throw o.signal?.reason ?? new Error(`the stream of ${promptId} ended without done`);
    },

    /** One server's object_info as its cache holds it (hash, age, staleness). */
    objectInfoOf: (name: string, o: { refresh?: boolean } = {}): Promise<CacheResult<ComfyObjectInfo>> =>
      infoResult(member(name), o.refresh),

    /** A prompt the gateway has no record of, from whichever server holds it (admins). */
    async lookupForeign(
      promptId: string,
    ): Promise<{ member: PoolMember; snapshot: JobSnapshot } | undefined> {
      for (const m of members) {
        const snapshot = await m.connection.tracker.lookup(promptId);
        if (snapshot) return { member: m, snapshot };
      }
      return undefined;
    },

    /**
     * Which servers lack what the workflow needs: empty when one known server can run it (or a
     * server's object_info is not known yet, so it might).
     */
    async missingEverywhere(
      workflow: Workflow,
      fieldOf?: (nodeId: string, input?: string) => string | undefined,
    ): Promise<Array<{ backend: string; issues: WorkflowIssue[] }>> {
      await Promise.all(members.map((m) => currentInfo(m)));
      if (members.some((m) => m.objectInfo === null)) return [];
      const per = members.map((m) => ({
        backend: m.name,
        issues: missingCapabilities(workflow, m.objectInfo ?? {}, fieldOf),
      }));
      return per.some((p) => p.issues.length === 0) ? [] : per;
    },

    /** The union of every server's object_info (options merged); one server's with `backend`. */
    async objectInfo(o: { backend?: string; refresh?: boolean } = {}): Promise<ComfyObjectInfo> {
      if (o.backend !== undefined) return refreshInfo(member(o.backend), o.refresh);
      const infos = await Promise.all(
        members.map((m) =>
          o.refresh && m.connection.watchdog.state === 'connected'
            ? refreshInfo(m, true).catch(() => m.objectInfo)
            : currentInfo(m),
        ),
      );
      const known = infos.filter((i): i is ComfyObjectInfo => i !== null);
      if (known.length === 0)
        throw new GatewayError('COMFY_UNAVAILABLE', 'no ComfyUI server answered object_info');
      // Merging copies megabytes: done again only when some server's object_info changed.
      if (union && union.parts.length === known.length && union.parts.every((p, i) => p === known[i]))
        return union.value;
      union = { parts: known, value: mergeObjectInfo(known) };
      return union.value;
    },

    /** Live snapshot: gateway queue first (its position), else the server that follows it. */
    get(promptId: string): JobSnapshot | undefined {
      const held = d.record(promptId);
      if (held) return snapshotOf(held);
      return holder(promptId)?.connection.tracker.get(promptId);
    },

    openStream,
    /** True while this process follows the job (gateway queue, or a server's tracker): its events start here. */
    follows: (promptId: string): boolean =>
      d.record(promptId) !== undefined ||
      holder(promptId) !== undefined ||
      d.flightOf(promptId) !== undefined,

    async *stream(promptId: string, o: StreamOptions = {}): AsyncGenerator<TrackedEvent> {
      const s = await openStream(promptId, o);
      if (!s) throw new GatewayError('NOT_FOUND', `unknown prompt ${promptId}`);
      yield* s;
    },

    /** The best state of any server (health's top-level connection_state). */
    bestState(): ConnectionState {
      return members
        .map((m) => m.connection.watchdog.state)
        .reduce<ConnectionState>((a, b) => (STATE_RANK[b] > STATE_RANK[a] ? b : a), 'disabled');
    },

    drain(name: string): void {
      member(name).draining = true;
    },
    resume(name: string): void {
      member(name).draining = false;
      d.poke();
    },

    /** Unfinished jobs: in the gateway queue plus in flight on every server. */
    activeCount: (): number =>
      d.waitingCount() + members.reduce((n, m) => n + m.connection.tracker.activeCount(), 0),
  };
}

export type ComfyPool = ReturnType<typeof createComfyPool>;
