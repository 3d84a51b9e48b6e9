import type { Db } from '../db/open-db.ts';
import { createHashGate } from './hash-gate.ts';
import type { LimiterFactory } from '../shared-state/limiter.ts';
import type { RevocationBus } from '../shared-state/revocations.ts';
import type { StreamSlots } from '../shared-state/stream-slots.ts';
import { createOpenConnections } from './open-connections.ts';
import { createSessionService } from './session-service.ts';
import type { SessionOptions } from './session-service.ts';
import { createTokenService } from './token-service.ts';
import type { TokenOptions } from './token-service.ts';
import { createUserService } from './user-service.ts';
import { systemClock } from './user-rows.ts';
import type { Clock } from './user-rows.ts';

export type AuthService = ReturnType<typeof createAuthService>;

export interface AuthOptions extends SessionOptions, TokenOptions {
  /** `USER_MAX_STREAMS`: open SSE streams + tRPC subscriptions + WebSockets per user. */
  maxStreamsPerUser: number;
  /** Password hashes running at once / waiting; beyond that a login is refused with 429. */
  hashConcurrency: { concurrency: number; queue: number };
}

export const AUTH_DEFAULTS: AuthOptions = {
  sessionTtlMs: 168 * 3_600_000,
  loginLimit: { limit: 10, windowMs: 60_000 },
  loginIpLimit: { limit: 30, windowMs: 60_000 },
  defaultExpiryDays: 90,
  maxStreamsPerUser: 32,
  hashConcurrency: { concurrency: 2, queue: 16 },
};

/** Where limits are counted: in process by default, in Redis for a cluster (see `shared-state/`). */
export interface AuthSharedState {
  limiters?: LimiterFactory;
  streamSlots?: StreamSlots;
  revocations?: RevocationBus;
}

/** Sessions, users and API tokens over one database, sharing a clock and the open-connections registry. */
export function createAuthService(
  db: Db,
  clock: Clock = systemClock,
  opts: Partial<AuthOptions> = {},
  shared: AuthSharedState = {},
) {
  const o = { ...AUTH_DEFAULTS, ...opts };
  const connections = createOpenConnections({
    maxPerUser: o.maxStreamsPerUser,
    ...(shared.streamSlots ? { slots: shared.streamSlots } : {}),
    ...(shared.revocations ? { revocations: shared.revocations } : {}),
  });
  const hashGate = createHashGate(o.hashConcurrency);
  const sessions = createSessionService(db, clock, o, {
    connections,
    hashGate,
    ...(shared.limiters ? { limiters: shared.limiters } : {}),
  });
  const tokens = createTokenService(db, clock, o, { connections });
  const users = createUserService(db, clock, {
    revokeSessions: sessions.revokeSessions,
    revokeAllTokens: tokens.revokeAllTokens,
    connections,
    hashGate,
  });
  return { ...sessions, ...users, ...tokens, connections, hashGate };
}
