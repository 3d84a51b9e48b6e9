import { effectiveScopes } from '@comfy-gateway/schema';
import type { LoginResponse, TokenScope, User } from '@comfy-gateway/schema';
import { sql } from 'kysely';
import type { Db } from '../db/open-db.ts';
import { GatewayError } from '../errors.ts';
import { rateLimitedError } from '../http/rate-limit.ts';
import { memoryLimiters } from '../shared-state/limiter.ts';
import type { LimiterFactory } from '../shared-state/limiter.ts';
import type { HashGate } from './hash-gate.ts';
import { CredentialCache } from './credential-cache.ts';
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
  /** How long a checked credential is reused without a query (`CREDENTIAL_CACHE_MS`; 0: never). */
  credentialCacheMs?: number;
}

/** Login, logout and token authentication (sessions and API tokens). */
export function createSessionService(
  db: Db,
  clock: Clock,
  opts: SessionOptions,
  deps: { connections: OpenConnections; hashGate: HashGate; limiters?: LimiterFactory },
) {
  const limiters = deps.limiters ?? memoryLimiters;
  const cache = new CredentialCache<Authenticated>(clock, opts.credentialCacheMs);
  deps.connections.onCredentialsChanged((userId) => cache.forgetUser(userId));
  const perEmail = limiters('login-email', opts.loginLimit);
  const perIp = limiters('login-ip', opts.loginIpLimit);
  const credentialRow = (kind: TokenKind, hash: string): Promise<CredentialRow | undefined> =>
    kind === 'session'
      ? db
          .selectFrom('sessions')
          .select(['id', 'user_id', 'expires_at', 'revoked_at', 'last_seen_at as last'])
          .select(sql<null>`NULL`.as('scopes'))
          .where('token_hash', '=', hash)
          .executeTakeFirst()
      : db
          .selectFrom('api_tokens')
          .select(['id', 'user_id', 'expires_at', 'revoked_at', 'last_used_at as last', 'scopes'])
          .where('token_hash', '=', hash)
          .executeTakeFirst();

  /** Counts one attempt against both limits; 429 when either is spent. */
  async function countAttempt(ipKey: string, emailKey: string): Promise<void> {
    const ip = await perIp.consume(ipKey);
    if (!ip.ok) throw rateLimitedError(ip.retryAfterS, 'too many login attempts from this address');
    const email = await perEmail.consume(emailKey);
    if (!email.ok) {
      await perIp.refund(ipKey);
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
      await countAttempt(ipKey, emailKey);
      // A refund lost to a Redis failure only makes the limit stricter until the window ends.
      const refund = () =>
        Promise.all([perIp.refund(ipKey), perEmail.refund(emailKey)]).catch(() => undefined);
      // lower() on both sides: the same folding as the unique index on lower(email).
      const row: UserRow | undefined = await db
        .selectFrom('users')
        .selectAll()
        .where(sql<string>`lower(email)`, '=', sql<string>`lower(${email})`)
        .executeTakeFirst();
      let ok: boolean;
      try {
        const stored = row?.password_hash ?? (await dummyPasswordHash());
        ok = await deps.hashGate.run(() => verifyPassword(password, stored));
      } catch (err) {
        await refund(); // refused before any password was checked
        throw err;
      }
      if (!row || !ok) throw new GatewayError('UNAUTHORIZED', 'invalid email or password');
      await refund();
      if (row.active !== 1) throw new GatewayError('FORBIDDEN', 'account is deactivated');
      const token = generateToken('session');
      const now = clock.now();
      const expiresAt = now + opts.sessionTtlMs;
      await db
        .insertInto('sessions')
        .values({
          user_id: row.id,
          token_hash: hashToken(token),
          created_at: now,
          expires_at: expiresAt,
          last_seen_at: now,
        })
        .execute();
      return { token, user: toUser(row), expires_at: expiresAt };
    },

    /** Ends the session of a session token (and what it holds open); other tokens are left alone. */
    async logout(token: string): Promise<void> {
      const hash = hashToken(token);
      const row = await db
        .deleteFrom('sessions')
        .where('token_hash', '=', hash)
        .returning('user_id')
        .executeTakeFirst();
      if (row) deps.connections.closeCredential(row.user_id, hash, 'logged out');
    },

    /**
     * The credential behind a token, or null for unknown/expired/revoked tokens. A deactivated
     * user is returned (with `active: false`) even for credentials revoked by the deactivation,
     * so callers can answer 403 rather than 401.
     */
    async authenticateCredential(token: string): Promise<Authenticated | null> {
      const kind = tokenKind(token);
      if (!kind) return null;
      const credential = hashToken(token);
      const cached = cache.get(credential);
      if (cached) return cached;
      const stamp = cache.stamp();
      const cred = await credentialRow(kind, credential);
      if (!cred) return null;
      const userRow = await findUserRow(db, cred.user_id);
      if (!userRow) return null;
      const now = clock.now();
      if (cred.expires_at !== null && cred.expires_at <= now) return null;
      const user = toUser(userRow);
      const scopes = effectiveScopes(user.role, cred.scopes === null ? null : parseScopes(cred.scopes));
      if (userRow.active !== 1) return { user, kind, credential, scopes };
      if (cred.revoked_at !== null) return null;
      if (cred.last === null || now - cred.last >= TOUCH_EVERY_MS) {
        if (kind === 'session')
          await db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', cred.id).execute();
        else
          await db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', cred.id).execute();
      }
      const found = { user, kind, credential, scopes };
      cache.set(credential, found, { userId: user.id, stamp, expiresAt: cred.expires_at });
      return found;
    },

    /** The user a token belongs to (see `authenticateCredential`), or null. */
    async authenticate(token: string): Promise<User | null> {
      return (await service.authenticateCredential(token))?.user ?? null;
    },

    /** Revokes every session of a user except `keep` (a token hash); `trx` joins the caller's transaction. */
    revokeSessions: async (userId: number, keep?: string, trx: Db = db): Promise<void> => {
      let q = trx
        .updateTable('sessions')
        .set({ revoked_at: clock.now() })
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null);
      if (keep !== undefined) q = q.where('token_hash', '!=', keep);
      await q.execute();
    },

    /** Drops expired and revoked sessions older than a day; called at start. */
    async pruneSessions(): Promise<number> {
      const cutoff = clock.now() - 86_400_000;
      const r = await db
        .deleteFrom('sessions')
        .where((eb) =>
          eb.or([
            eb('expires_at', '<', clock.now()),
            eb.and([eb('revoked_at', 'is not', null), eb('revoked_at', '<', cutoff)]),
          ]),
        )
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
  return service;
}
