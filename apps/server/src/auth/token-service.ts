import { DEFAULT_TOKEN_SCOPES, ROLE_SCOPES } from '@comfy-gateway/schema';
import type { ApiToken, CreateApiTokenInput, CreatedApiToken, TokenScope, User } from '@comfy-gateway/schema';
import type { Db } from '../db/open-db.ts';
import { GatewayError, fieldError } from '../errors.ts';
import type { OpenConnections } from './open-connections.ts';
import { parseScopes } from './stored-scopes.ts';
import { displayPrefix, generateToken, hashToken } from './tokens.ts';
import type { Clock } from './user-rows.ts';

interface TokenRow {
  id: number;
  name: string;
  prefix: string;
  created_at: number;
  last_used_at: number | null;
  expires_at: number | null;
  scopes: string;
}

const DAY_MS = 86_400_000;

function toApiToken(row: TokenRow): ApiToken {
  const { id, name, prefix, created_at, last_used_at, expires_at } = row;
  return { id, name, prefix, created_at, last_used_at, expires_at, scopes: parseScopes(row.scopes) };
}

export interface TokenOptions {
  /** Expiry of a token created without `expires_in_days`. */
  defaultExpiryDays: number;
}

/** Long-lived API tokens, managed by their owner (and admins); only the hash is stored. */
export function createTokenService(
  db: Db,
  clock: Clock,
  opts: TokenOptions,
  deps: { connections: OpenConnections },
) {
  const revokeRows = (userId: number, reason: string, where: string, ...args: unknown[]) => {
    const rows = db
      .prepare(
        `UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL ${where} RETURNING token_hash`,
      )
      .all(clock.now(), userId, ...args) as { token_hash: string }[];
    for (const r of rows) deps.connections.closeCredential(userId, r.token_hash, reason);
    return rows.length;
  };

  return {
    /**
     * Creates a token; the plain token is in the result and nowhere else, ever. Its scopes must be
     * within the user's role and within `grantable` (the caller's own scopes: a token cannot mint
     * a stronger one).
     */
    createToken(
      user: Pick<User, 'id' | 'role'>,
      input: CreateApiTokenInput,
      grantable: readonly TokenScope[] = ROLE_SCOPES[user.role],
    ): CreatedApiToken {
      const scopes = input.scopes ?? [...DEFAULT_TOKEN_SCOPES];
      for (const s of scopes) {
        if (!ROLE_SCOPES[user.role].includes(s)) throw fieldError('scopes', `'${s}' is for admins only`);
        if (!grantable.includes(s))
          throw fieldError('scopes', `'${s}' is not among this credential's scopes`);
      }
      const token = generateToken('api');
      const now = clock.now();
      const expiresAt = now + (input.expires_in_days ?? opts.defaultExpiryDays) * DAY_MS;
      const stored = scopes.join(',');
      const id = Number(
        db
          .prepare(
            'INSERT INTO api_tokens (user_id, name, prefix, token_hash, created_at, expires_at, scopes) VALUES (?, ?, ?, ?, ?, ?, ?)',
          )
          .run(user.id, input.name, displayPrefix(token), hashToken(token), now, expiresAt, stored)
          .lastInsertRowid,
      );
      return {
        id,
        name: input.name,
        prefix: displayPrefix(token),
        created_at: now,
        last_used_at: null,
        expires_at: expiresAt,
        scopes: parseScopes(stored),
        token,
      };
    },

    /** The user's tokens that are not revoked, newest first. */
    listTokens(userId: number): ApiToken[] {
      const rows = db
        .prepare('SELECT * FROM api_tokens WHERE user_id = ? AND revoked_at IS NULL ORDER BY id DESC')
        .all(userId) as TokenRow[];
      return rows.map(toApiToken);
    },

    /**
     * Revokes one of the user's tokens and ends what it holds open; someone else's token is
     * NOT_FOUND, not FORBIDDEN.
     */
    revokeToken(userId: number, id: number): void {
      if (revokeRows(userId, 'token revoked', 'AND id = ?', id) === 0)
        throw new GatewayError('NOT_FOUND', `token ${id} not found`);
    },

    /** Revokes every token of a user (password change, deactivation); returns how many. */
    revokeAllTokens: (userId: number, reason = 'token revoked'): number => {
      return revokeRows(userId, reason, '');
    },
  };
}
