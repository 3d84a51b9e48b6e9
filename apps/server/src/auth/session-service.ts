import type { LoginResponse, User } from '@comfy-gateway/schema';
import type { Db } from '../db/open-db.ts';
import { GatewayError } from '../errors.ts';
import { createWindowCounter, rateLimitedError } from '../http/rate-limit.ts';
import { dummyPasswordHash, verifyPassword } from './password.ts';
import { generateToken, hashToken, tokenKind } from './tokens.ts';
import { findUserRow, toUser } from './user-rows.ts';
import type { Clock, UserRow } from './user-rows.ts';

// Writing last_seen on every request would turn each read into a write.
const TOUCH_EVERY_MS = 60_000;

interface CredentialRow {
  id: number;
  user_id: number;
  expires_at: number | null;
  revoked_at: number | null;
  last: number | null;
}

export interface SessionOptions {
  sessionTtlMs: number;
  loginLimit: { limit: number; windowMs: number };
}

/** Login, logout and token authentication (sessions and API tokens). */
export function createSessionService(db: Db, clock: Clock, opts: SessionOptions) {
  const limiter = createWindowCounter({ ...opts.loginLimit, now: () => clock.now() });
  const byEmail = db.prepare('SELECT * FROM users WHERE email = ? COLLATE NOCASE');
  const insertSession = db.prepare(
    'INSERT INTO sessions (user_id, token_hash, created_at, expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?)',
  );
  const sessionByHash = db.prepare(
    'SELECT id, user_id, expires_at, revoked_at, last_seen_at AS last FROM sessions WHERE token_hash = ?',
  );
  const tokenByHash = db.prepare(
    'SELECT id, user_id, expires_at, revoked_at, last_used_at AS last FROM api_tokens WHERE token_hash = ?',
  );
  const touchSession = db.prepare('UPDATE sessions SET last_seen_at = ? WHERE id = ?');
  const touchToken = db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?');

  return {
    /**
     * Checks email + password and opens a session. Unknown email and wrong password both cost one
     * scrypt and give the same 401; a deactivated account gets 403 once the password is right.
     */
    async login(email: string, password: string, opts2: { clientIp?: string } = {}): Promise<LoginResponse> {
      const limited = limiter.hit(`${opts2.clientIp ?? '?'}|${email.toLowerCase()}`);
      if (!limited.ok) throw rateLimitedError(limited.retryAfterS, 'too many login attempts');
      const row = byEmail.get(email) as UserRow | undefined;
      const ok = await verifyPassword(password, row?.password_hash ?? (await dummyPasswordHash()));
      if (!row || !ok) throw new GatewayError('UNAUTHORIZED', 'invalid email or password');
      if (row.active !== 1) throw new GatewayError('FORBIDDEN', 'account is deactivated');
      const token = generateToken('session');
      const now = clock.now();
      const expiresAt = now + opts.sessionTtlMs;
      insertSession.run(row.id, hashToken(token), now, expiresAt, now);
      return { token, user: toUser(row), expires_at: expiresAt };
    },

    /** Ends the session of a session token; other tokens are left alone. */
    logout(token: string): void {
      db.prepare('DELETE FROM sessions WHERE token_hash = ?').run(hashToken(token));
    },

    /**
     * The user a token belongs to, or null for unknown/expired/revoked tokens. A deactivated user is
     * returned (with `active: false`) even for sessions revoked by the deactivation, so callers can
     * answer 403 rather than 401.
     */
    authenticate(token: string): User | null {
      const kind = tokenKind(token);
      if (!kind) return null;
      const cred = (kind === 'session' ? sessionByHash : tokenByHash).get(hashToken(token)) as
        CredentialRow | undefined;
      if (!cred) return null;
      const userRow = findUserRow(db, cred.user_id);
      if (!userRow) return null;
      const now = clock.now();
      if (cred.expires_at !== null && cred.expires_at <= now) return null;
      if (userRow.active !== 1) return toUser(userRow);
      if (cred.revoked_at !== null) return null;
      if (cred.last === null || now - cred.last >= TOUCH_EVERY_MS) {
        (kind === 'session' ? touchSession : touchToken).run(now, cred.id);
      }
      return toUser(userRow);
    },

    /** Revokes every open session of a user (deactivation, password change). */
    revokeSessions(userId: number): void {
      db.prepare('UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL').run(
        clock.now(),
        userId,
      );
    },

    /** Drops expired and revoked sessions older than a day; called at start. */
    pruneSessions(): number {
      const cutoff = clock.now() - 86_400_000;
      return db
        .prepare('DELETE FROM sessions WHERE expires_at < ? OR (revoked_at IS NOT NULL AND revoked_at < ?)')
        .run(clock.now(), cutoff).changes;
    },
  };
}
