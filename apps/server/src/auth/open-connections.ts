import { rateLimitedError } from '../http/rate-limit.ts';

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
 * `USER_MAX_STREAMS`, and auth events (logout, revocation, password change, deactivation)
 * end what the dead credential holds open.
 */
export function createOpenConnections(opts: { maxPerUser: number }) {
  const byUser = new Map<number, Set<OpenConnection>>();

  const closeWhere = (userId: number, match: (c: OpenConnection) => boolean, reason: string): number => {
    const set = byUser.get(userId);
    const victims = [...(set ?? [])].filter(match);
    // Out of the count at once: a closing socket may take a round trip to say so.
    for (const c of victims) set?.delete(c);
    if (set?.size === 0) byUser.delete(userId);
    for (const c of victims) c.close(reason);
    return victims.length;
  };

  return {
    maxPerUser: opts.maxPerUser,

    /** Registers `conn`; 429 RATE_LIMITED when its user is at the cap. Returns the release function. */
    open(conn: OpenConnection): () => void {
      let set = byUser.get(conn.userId);
      if ((set?.size ?? 0) >= opts.maxPerUser)
        throw rateLimitedError(5, `too many open streams and sockets (at most ${opts.maxPerUser} per user)`);
      if (!set) byUser.set(conn.userId, (set = new Set()));
      set.add(conn);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        set.delete(conn);
        if (set.size === 0 && byUser.get(conn.userId) === set) byUser.delete(conn.userId);
      };
    },

    countForUser(userId: number): number {
      return byUser.get(userId)?.size ?? 0;
    },

    /** Ends everything opened with one credential (logout, token revocation). */
    closeCredential(userId: number, credential: string, reason: string): number {
      return closeWhere(userId, (c) => c.credential === credential, reason);
    },

    /** Ends everything of a user except what `keep` (a credential hash) holds (password change, deactivation). */
    closeUser(userId: number, reason: string, keep?: string): number {
      return closeWhere(userId, (c) => c.credential !== keep, reason);
    },
  };
}
