import type { Db } from '../db/open-db.ts';
import { createSessionService } from './session-service.ts';
import type { SessionOptions } from './session-service.ts';
import { createTokenService } from './token-service.ts';
import { createUserService } from './user-service.ts';
import { systemClock } from './user-rows.ts';
import type { Clock } from './user-rows.ts';

export type AuthService = ReturnType<typeof createAuthService>;

const DEFAULTS: SessionOptions = {
  sessionTtlMs: 168 * 3_600_000,
  loginLimit: { limit: 10, windowMs: 60_000 },
};

/** Sessions, users and API tokens over one database, sharing a clock. */
export function createAuthService(db: Db, clock: Clock = systemClock, opts: Partial<SessionOptions> = {}) {
  const sessions = createSessionService(db, clock, { ...DEFAULTS, ...opts });
  const users = createUserService(db, clock, sessions.revokeSessions);
  const tokens = createTokenService(db, clock);
  return { ...sessions, ...users, ...tokens };
}
