import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { leaseScripts } from './lease-scripts.ts';

/** Time source and timers; tests and hosts may inject their own. */
export interface LeaseClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface Lease {
  key: string;
  holderId: string;
  /** Fencing token: rises with every acquisition of this key (by anyone). */
  token: number;
}

/** Why a holder stopped holding: another took it, it expired in Redis, or renewals went unanswered. */
export type LeaseLossReason = 'taken' | 'expired' | 'unreachable';

export interface LeaseKeeperOptions {
  redis: Redis;
  key: string;
  /** Who holds it (instance id): the lease value is `<holderId>:<random per acquisition>`. */
  holderId: string;
  /** How long a lease outlives its last renewal; default 5 s. */
  ttlMs?: number;
  /** Renewal period while held; default 1.5 s (three chances per TTL). */
  renewEveryMs?: number;
  /** How often a contender tries to take a free lease; default 1 s. */
  retryEveryMs?: number;
  clock?: LeaseClock;
  onAcquired?: (lease: Lease) => void;
  onLost?: (lease: Lease, reason: LeaseLossReason) => void;
  /** Failed Redis calls (the keeper keeps going): a logger. */
  onError?: (err: unknown) => void;
}

export const LEASE_DEFAULTS = { ttlMs: 5_000, renewEveryMs: 1_500, retryEveryMs: 1_000 } as const;

const systemClock: LeaseClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * One lease on one Redis key: SET NX PX to take it, Lua compare-and-renew / compare-and-release by
 * its holder only. The holder counts the lease lost `ttl` after the last renewal it *sent* that
 * succeeded, so it stops acting before Redis lets anyone else take over.
 */
export function createLeaseKeeper(o: LeaseKeeperOptions) {
  const ttlMs = o.ttlMs ?? LEASE_DEFAULTS.ttlMs;
  const renewEveryMs = o.renewEveryMs ?? LEASE_DEFAULTS.renewEveryMs;
  const retryEveryMs = o.retryEveryMs ?? LEASE_DEFAULTS.retryEveryMs;
  const clock = o.clock ?? systemClock;
  const scripts = leaseScripts(o.redis);
  // `value` is compared on renew and release: a late call from an earlier acquisition matches nothing.
  let held: (Lease & { value: string; validUntil: number }) | undefined;
  let contending = false;
  let timer: unknown;
  let busy = false;
  let generation = 0;

  const schedule = (ms: number) => {
    clock.clearTimeout(timer);
    timer = contending || held ? clock.setTimeout(() => void tick(), ms) : undefined;
  };

  const view = (l: Lease): Lease => ({ key: l.key, holderId: l.holderId, token: l.token });

  const release = (value: string) => scripts.release(o.key, value).catch((err: unknown) => o.onError?.(err));

  const lose = (reason: LeaseLossReason) => {
    const lease = held;
    if (!lease) return;
    held = undefined;
    // Given up locally: if Redis still has it, free it now rather than after its TTL.
    if (reason === 'unreachable') void release(lease.value);
    o.onLost?.(view(lease), reason);
  };

  async function acquire(): Promise<Lease | undefined> {
    if (held) return view(held);
    const sentAt = clock.now();
    const gen = generation;
    const value = `${o.holderId}:${randomUUID()}`;
    const token = await scripts.acquire(o.key, value, ttlMs);
    if (token <= 0) return undefined;
    if (gen !== generation || clock.now() >= sentAt + ttlMs) {
      // Stopped while the call was out, or it answered too late to be trusted: hand it straight back.
      await release(value);
      return undefined;
    }
    held = { key: o.key, holderId: o.holderId, token, value, validUntil: sentAt + ttlMs };
    o.onAcquired?.(view(held));
    return view(held);
  }

  async function renew(): Promise<boolean> {
    const lease = held;
    if (!lease) return false;
    const sentAt = clock.now();
    const answer = await scripts.renew(o.key, lease.value, ttlMs);
    if (held !== lease) {
      // Given up locally while the call was out: do not leave Redis thinking we still hold it.
      if (answer === 1) await release(lease.value);
      return false;
    }
    if (answer === 1) {
      lease.validUntil = sentAt + ttlMs;
      return true;
    }
    lose(answer === 0 ? 'expired' : 'taken');
    return false;
  }

  const nextDelay = () =>
    held ? Math.max(1, Math.min(renewEveryMs, held.validUntil - clock.now())) : retryEveryMs;

  // The next tick is set before the call: a call hanging on a dead connection cannot stall expiry.
  async function tick(): Promise<void> {
    if (held && clock.now() >= held.validUntil) lose('unreachable');
    schedule(nextDelay());
    if (busy) return;
    busy = true;
    try {
      if (held) await renew();
      else if (contending) await acquire();
    } catch (err) {
      o.onError?.(err);
    } finally {
      busy = false;
    }
    schedule(nextDelay());
  }

  return {
    /** One attempt to take the lease; the keeper then renews it until `stop` or a loss. */
    async acquire(): Promise<Lease | undefined> {
      const lease = await acquire();
      if (lease) schedule(renewEveryMs);
      return lease;
    },
    /** Renews now; false (and `onLost`) when the lease is no longer ours. */
    renew,
    /** Contender mode: keep trying to take the lease while it is free, and take it back after a loss. */
    contend(): void {
      contending = true;
      if (!busy) void tick();
    },
    /** The lease while this keeper holds it (as far as it can know: renewed within its TTL). */
    get lease(): Lease | undefined {
      if (held && clock.now() >= held.validUntil) lose('unreachable');
      return held && view(held);
    },
    /** Stops renewing and contending; releases the lease (compare-and-delete) unless `release: false`. */
    async stop({ release: free = true }: { release?: boolean } = {}): Promise<void> {
      contending = false;
      generation++;
      const lease = held;
      held = undefined;
      clock.clearTimeout(timer);
      timer = undefined;
      if (lease && free) await scripts.release(o.key, lease.value);
    },
  };
}

export type LeaseKeeper = ReturnType<typeof createLeaseKeeper>;

/** Who holds a lease key now (its holder id), or undefined: for health pages and tests. */
export async function leaseHolder(redis: Redis, key: string): Promise<string | undefined> {
  const value = await redis.get(key);
  return value === null ? undefined : value.slice(0, value.lastIndexOf(':'));
}
