import { effectiveScopes } from '@comfy-gateway/schema';
import type { LoginResponse, TokenScope, User } from '@comfy-gateway/schema';
import type { Db } from '../db/open-db.ts';
import { GatewayError } from '../errors.ts';
import { createWindowCounter, rateLimitedError } from '../http/rate-limit.ts';
import type { HashGate } from './hash-gate.ts';
import type { OpenConnections } from './open-connections.ts';
import { dummyPasswordHash, verifyPassword } from './password.ts';
import { parseScopes } from './stored-scopes.ts';
import { generateToken, hashToken, tokenKind } from './tokens.ts';
import type { TokenKind } from './tokens.ts';
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
  scopes: string | null;
}

/** A credential that is still good: whose it is, which one, and what it may do. */
export interface Authenticated {
  user: User;
  kind: TokenKind;
  /** `hashToken` of the token: the key of the open-connections registry. */
  credential: string;
  scopes: TokenScope[];
}

export interface SessionOptions {
  sessionTtlMs: number;
  /** Failed logins per client address and email. */
  loginLimit: { limit: number; windowMs: number };
  /** Failed logins per client address, whatever the email. */
  loginIpLimit: { limit: number; windowMs: number };
}

/** Login, logout and token authentication (sessions and API tokens). */
export function createSessionService(
  db: Db,
  clock: Clock,
  opts: SessionOptions,
  deps: { connections: OpenConnections; hashGate: HashGate },
) {
  const perEmail = createWindowCounter({ ...opts.loginLimit, now: () => clock.now() });
  const perIp = createWindowCounter({ ...opts.loginIpLimit, now: () => clock.now() });
  const byEmail = db.prepare('SELECT * FROM users WHERE email = ? COLLATE NOCASE');
  const insertSession = db.prepare(
    'INSERT INTO sessions (user_id, token_hash, created_at, expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?)',
  );
  const sessionByHash = db.prepare(
    'SELECT id, user_id, expires_at, revoked_at, last_seen_at AS last, NULL AS scopes FROM sessions WHERE token_hash = ?',
  );
  const tokenByHash = db.prepare(
    'SELECT id, user_id, expires_at, revoked_at, last_used_at AS last, scopes FROM api_tokens WHERE token_hash = ?',
  );
  const touchSession = db.prepare('UPDATE sessions SET last_seen_at = ? WHERE id = ?');
  const touchToken = db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?');

  /** Counts one attempt against both limits; 429 when either is spent. */
  function countAttempt(ipKey: string, emailKey: string): void {
    const ip = perIp.hit(ipKey);
    if (!ip.ok) throw rateLimitedError(ip.retryAfterS, 'too many login attempts from this address');
    const email = perEmail.hit(emailKey);
    if (!email.ok) {
      perIp.refund(ipKey);
      throw rateLimitedError(email.retryAfterS, 'too many login attempts');
    }
  }

  const service = {
    /**
     * Checks email + password and opens a session. Unknown email and wrong password both cost one
     * scrypt and give the same 401; a deactivated account gets 403 once the password is right.
     * Failed attempts count per address and per address + email; successful ones do not count.
     */
    async login(
      email: string,
      password: string,
      opts2: { clientIp?: string | undefined } = {},
    ): Promise<LoginResponse> {
      const ipKey = opts2.clientIp ?? '?';
      const emailKey = `${ipKey}|${email.toLowerCase()}`;
      countAttempt(ipKey, emailKey);
      const refund = () => {
        perIp.refund(ipKey);
        perEmail.refund(emailKey);
      };
      const row = byEmail.get(email) as UserRow | undefined;
      let ok: boolean;
      try {
        const stored = row?.password_hash ?? (await dummyPasswordHash());
        ok = await deps.hashGate.run(() => verifyPassword(password, stored));
      } catch (err) {
        refund(); // refused before any password was checked
        throw err;
      }
      if (!row || !ok) throw new GatewayError('UNAUTHORIZED', 'invalid email or password');
      refund();
      if (row.active !== 1) throw new GatewayError('FORBIDDEN', 'account is deactivated');
      const token = generateToken('session');
      const now = clock.now();
      const expiresAt = now + opts.sessionTtlMs;
      insertSession.run(row.id, hashToken(token), now, expiresAt, now);
      return { token, user: toUser(row), expires_at: expiresAt };
    },

    /** Ends the session of a session token (and what it holds open); other tokens are left alone. */
    logout(token: string): void {
      const hash = hashToken(token);
      const row = db.prepare('DELETE FROM sessions WHERE token_hash = ? RETURNING user_id').get(hash) as
        { user_id: number } | undefined;
      if (row) deps.connections.closeCredential(row.user_id, hash, 'logged out');
    },

    /**
     * The credential behind a token, or null for unknown/expired/revoked tokens. A deactivated
     * user is returned (with `active: false`) even for credentials revoked by the deactivation,
     * so callers can answer 403 rather than 401.
     */
    authenticateCredential(token: string): Authenticated | null {
      const kind = tokenKind(token);
      if (!kind) return null;
      const credential = hashToken(token);
      const cred = (kind === 'session' ? sessionByHash : tokenByHash).get(credential) as
        CredentialRow | undefined;
      if (!cred) return null;
      const userRow = findUserRow(db, cred.user_id);
      if (!userRow) return null;
      const now = clock.now();
      if (cred.expires_at !== null && cred.expires_at <= now) return null;
      const user = toUser(userRow);
      const scopes = effectiveScopes(user.role, cred.scopes === null ? null : parseScopes(cred.scopes));
      if (userRow.active !== 1) return { user, kind, credential, scopes };
      if (cred.revoked_at !== null) return null;
      if (cred.last === null || now - cred.last >= TOUCH_EVERY_MS) {
        (kind === 'session' ? touchSession : touchToken).run(now, cred.id);
      }
      return { user, kind, credential, scopes };
    },

    /** The user a token belongs to (see `authenticateCredential`), or null. */
    authenticate(token: string): User | null {
      return service.authenticateCredential(token)?.user ?? null;
    },

    /** Revokes every session of a user except `keep` (a token hash); their streams end too. */
    revokeSessions: (userId: number, keep?: string): void => {
      db.prepare(
        'UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL AND token_hash IS NOT ?',
      ).run(clock.now(), userId, keep ?? null);
    },

    /** Drops expired and revoked sessions older than a day; called at start. */
    pruneSessions(): number {
      const cutoff = clock.now() - 86_400_000;
      return db
        .prepare('DELETE FROM sessions WHERE expires_at < ? OR (revoked_at IS NOT NULL AND revoked_at < ?)')
        .run(clock.now(), cutoff).changes;
    },
  };
  return service;
}
