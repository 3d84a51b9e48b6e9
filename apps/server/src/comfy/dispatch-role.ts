import { setTimeout as delay } from 'node:timers/promises';
import { LEASE_DEFAULTS, createHolderRpc, createLeaseKeeper } from '@comfy-gateway/cluster';
import type { RpcHandler } from '@comfy-gateway/cluster';
import type { ComfyPool, PendingJob } from '@comfy-gateway/comfy-core';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** The one lease of a cluster's dispatcher: its holder keeps every upstream socket and the gateway queue. */
export const DISPATCH_LEASE_KEY = 'cg:lease:dispatch';
const RPC_CHANNEL = 'cg:rpc:dispatch';
/** How often the holder looks for jobs accepted elsewhere that never reached it (a lost call). */
const RESYNC_MS = 2_000;

export type Role = 'single' | 'holder' | 'standby';

export interface ClusterLink {
  redis: Redis;
  instanceId: string;
  /** Lease timing (tests shorten it); defaults: 5 s TTL, renewed every 1.5 s, tried every 1 s. */
  lease?: { ttlMs?: number; renewEveryMs?: number; retryEveryMs?: number };
}

export interface DispatchRoleOptions {
  /** A fresh pool (connections not started): one per lease term, plus the standby's own. */
  makePool: () => ComfyPool;
  /** Null: one process, which always dispatches. */
  cluster: ClusterLink | null;
  /** What the holder answers to the other instances (see `cluster-ops.ts`). */
  serve: RpcHandler;
  /** The ledger's unfinished jobs (the holder adopts those accepted elsewhere). */
  listPending: () => Promise<PendingJob[]>;
  log: Logger;
}

/**
 * Who dispatches. One process: always this one. A cluster: the instance holding the dispatch lease
 * runs a started pool (sockets, trackers, gateway queue) and answers the others' calls; the others
 * keep an unstarted pool (HTTP only: object_info, view, history) and call the holder. Each term
 * gets a fresh pool that restores and reconciles every unfinished job from the ledger, exactly
 * as a restart does, so a takeover loses no completion and sends nothing twice.
 */
export function createDispatchRole(o: DispatchRoleOptions) {
  const standbyPool = o.makePool();
  let current = standbyPool;
  let role: Role = o.cluster ? 'standby' : 'single';
  let term = 0;
  let resync: NodeJS.Timeout | undefined;
  const lostHandlers: (() => void)[] = [];
  const cluster = o.cluster;
  const log = o.log.child({ component: 'dispatch' });

  const rpc = cluster
    ? createHolderRpc({
        redis: cluster.redis,
        channel: RPC_CHANNEL,
        instanceId: cluster.instanceId,
        onError: (err) => log.debug({ err }, 'dispatch call failed'),
      })
    : null;

  /**
   * A holder counts its lease lost one TTL after its last renewal, before Redis would free the
   * key; but a Redis that restarted empty frees it at once. So a new holder on a Redis up for
   * less than a TTL waits out the rest: any holder from before the restart has stopped by then.
   */
  const predecessorGone = async () => {
    if (!cluster) return;
    const ttlMs = cluster.lease?.ttlMs ?? LEASE_DEFAULTS.ttlMs;
    const info = await cluster.redis.info('server').catch(() => '');
    const upS = Number(/uptime_in_seconds:(\d+)/.exec(info)?.[1] ?? 0);
    // Whole seconds: up to one more than the real uptime, so add it back.
    const waitMs = ttlMs + 1000 - upS * 1000;
    if (waitMs > 0) {
      log.info({ waitMs }, 'Redis restarted recently: waiting for any earlier holder to stop');
      await delay(waitMs);
    }
  };

  /** Jobs accepted by other instances whose hand-over call was lost: adopted here. */
  const adoptStrays = async (pool: ComfyPool) => {
    for (const p of await o.listPending()) if (p.backend === null && current === pool) pool.adopt(p);
  };

  const take = async (mine: number) => {
    await predecessorGone();
    if (mine !== term) return;
    try {
      // The ledger must be readable to restore every unfinished job; else let another try.
      await o.listPending();
    } catch (err) {
      log.warn({ err }, 'took the dispatch lease but cannot read the ledger: handing it back');
      await keeper?.stop();
      setTimeout(() => keeper?.contend(), RESYNC_MS).unref();
      return;
    }
    if (mine !== term) return;
    const pool = o.makePool();
    current = pool;
    role = 'holder';
    await pool.start();
    if (mine !== term) return;
    await rpc?.serve(o.serve);
    resync = setInterval(() => {
      adoptStrays(pool).catch((err: unknown) => log.warn({ err }, 'looking for unadopted jobs failed'));
    }, RESYNC_MS);
    resync.unref();
    log.info({ instance: cluster?.instanceId }, 'took the dispatch lease: following the ComfyUI servers');
  };

  const release = async (reason: string) => {
    term++;
    clearInterval(resync);
    const pool = current;
    current = standbyPool;
    role = 'standby';
    if (pool === standbyPool) return;
    log.warn({ reason }, 'lost the dispatch lease: no longer following the ComfyUI servers');
    await rpc?.stopServing();
    for (const h of lostHandlers) h();
    await pool.stop().catch((err: unknown) => log.warn({ err }, 'stopping the pool after the lease failed'));
  };

  const keeper = cluster
    ? createLeaseKeeper({
        redis: cluster.redis,
        key: DISPATCH_LEASE_KEY,
        holderId: cluster.instanceId,
        ...cluster.lease,
        onAcquired: () => {
          const mine = ++term;
          take(mine).catch((err: unknown) => log.error({ err }, 'taking over the dispatch failed'));
        },
        onLost: (_lease, reason) => void release(reason),
        onError: (err) => log.debug({ err }, 'dispatch lease call failed'),
      })
    : null;

  return {
    /** The pool to use now: the started one while dispatching, else the standby's unstarted one. */
    pool: (): ComfyPool => current,
    get role(): Role {
      return role;
    },
    /** True where jobs are dispatched: one process, or the lease holder. */
    dispatches: (): boolean => role !== 'standby',
    /** Runs `op` on the lease holder (standby instances only). */
    call(op: string, args: unknown, opts: { timeoutMs?: number } = {}): Promise<unknown> {
      if (!rpc) throw new Error('no cluster: nothing to call');
      return rpc.call(op, args, opts);
    },
    /** Called when this instance stops dispatching (its local streams of the old pool end). */
    onLost(handler: () => void): void {
      lostHandlers.push(handler);
    },
    async start(): Promise<void> {
      if (!keeper) {
        await current.start();
        return;
      }
      await rpc?.ready();
      keeper.contend();
    },
    /** Stops dispatching before the lease is freed, so two instances never follow a server at once. */
    async stop(): Promise<void> {
      if (!cluster) return current.stop();
      await release('shutdown');
      // Redis away at shutdown: the key then lapses on its own after the TTL.
      await keeper?.stop().catch((err: unknown) => log.warn({ err }, 'dispatch lease not released'));
      await rpc?.close();
    },
  };
}

export type DispatchRole = ReturnType<typeof createDispatchRole>;
