import { randomUUID } from 'node:crypto';
import { rateLimitedError } from '../http/rate-limit.ts';
import { localRevocations } from '../shared-state/revocations.ts';
import type { RevocationBus } from '../shared-state/revocations.ts';
import { createMemoryStreamSlots } from '../shared-state/stream-slots.ts';
import type { StreamSlots } from '../shared-state/stream-slots.ts';

/** One long-lived thing a credential holds open: an SSE stream, a tRPC SSE subscription or a WebSocket. */
export interface OpenConnection {
  userId: number;
  /** `hashToken` of the credential it was opened with. */
  credential: string;
  kind: 'sse' | 'trpc-sse' | 'ws';
  /** Ends it from the server side; `reason` goes to the client where the transport can carry one. */
  close(reason: string): void;
}

export type OpenConnections = ReturnType<typeof createOpenConnections>;

/**
 * The registry of open streams and sockets per credential and per user: it enforces
 * `USER_MAX_STREAMS` (counted in `slots`, which with Redis span every instance), and auth events
 * (logout, revocation, password change, deactivation) end what the dead credential holds open here.
 */
export function createOpenConnections(opts: {
  maxPerUser: number;
  slots?: StreamSlots;
  /** Revocations to and from the other instances. */
  revocations?: RevocationBus;
}) {
  const byUser = new Map<number, Set<OpenConnection>>();
  const slots = opts.slots ?? createMemoryStreamSlots();
  const revocations = opts.revocations ?? localRevocations;
  const slotOf = new Map<OpenConnection, string>();

  const closeWhere = (userId: number, match: (c: OpenConnection) => boolean, reason: string): number => {
    const set = byUser.get(userId);
    const victims = [...(set ?? [])].filter(match);
    // Out of the count at once: a closing socket may take a round trip to say so.
    for (const c of victims) {
      set?.delete(c);
      releaseSlot(c);
    }
    if (set?.size === 0) byUser.delete(userId);
    for (const c of victims) c.close(reason);
    return victims.length;
  };

  // Credential caches: told about every revocation and user change, here and on other instances.
  const forgetters: ((userId: number) => void)[] = [];
  const forget = (userId: number) => {
    for (const f of forgetters) f(userId);
  };

  revocations.subscribe((r) => {
    forget(r.userId);
    if (r.forgetOnly) return;
    if (r.credential !== undefined) closeWhere(r.userId, (c) => c.credential === r.credential, r.reason);
    else closeWhere(r.userId, (c) => c.credential !== r.keep, r.reason);
  });

  function releaseSlot(conn: OpenConnection): void {
    const id = slotOf.get(conn);
    if (id === undefined) return;
    slotOf.delete(conn);
    void slots.release(conn.userId, id);
  }

  return {
    maxPerUser: opts.maxPerUser,

    /**
     * Registers `conn`; 429 RATE_LIMITED when its user is at the cap (503 REDIS_UNAVAILABLE when
     * the shared count cannot be read). Resolves to the release function.
     */
    async open(conn: OpenConnection): Promise<() => void> {
      const id = randomUUID();
      if (!(await slots.acquire(conn.userId, id, opts.maxPerUser)))
        throw rateLimitedError(5, `too many open streams and sockets (at most ${opts.maxPerUser} per user)`);
      slotOf.set(conn, id);
      let set = byUser.get(conn.userId);
      if (!set) byUser.set(conn.userId, (set = new Set()));
      set.add(conn);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        set.delete(conn);
        releaseSlot(conn);
        if (set.size === 0 && byUser.get(conn.userId) === set) byUser.delete(conn.userId);
      };
    },

    /** Open here, on this instance. */
    countForUser(userId: number): number {
      return byUser.get(userId)?.size ?? 0;
    },

    /** Open on every instance (the count the cap applies to). */
    countShared(userId: number): Promise<number> {
      return slots.count(userId);
    },

    /** Ends everything opened with one credential (logout, token revocation). */
    closeCredential(userId: number, credential: string, reason: string): number {
      forget(userId);
      revocations.publish({ userId, credential, reason });
      return closeWhere(userId, (c) => c.credential === credential, reason);
    },

    /** Ends everything of a user except what `keep` (a credential hash) holds (password change, deactivation). */
    closeUser(userId: number, reason: string, keep?: string): number {
      forget(userId);
      revocations.publish({ userId, reason, ...(keep === undefined ? {} : { keep }) });
      return closeWhere(userId, (c) => c.credential !== keep, reason);
    },

    /** A user's role or limits changed: every instance drops what it cached of their credentials. */
    userChanged(userId: number): void {
      forget(userId);
      revocations.publish({ userId, reason: 'user changed', forgetOnly: true });
    },

    /** Runs `fn` with the user id of every revocation or user change, local or from another instance. */
    onCredentialsChanged(fn: (userId: number) => void): void {
      forgetters.push(fn);
    },
  };
}
