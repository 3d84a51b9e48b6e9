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
  /** Revokes the user's live tokens (one when `id` is given); ends what they hold open. */
  const revokeRows = async (trx: Db, userId: number, reason: string, id?: number) => {
    let q = trx
      .updateTable('api_tokens')
      .set({ revoked_at: clock.now() })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null);
    if (id !== undefined) q = q.where('id', '=', id);
    const rows = await q.returning('token_hash').execute();
    for (const r of rows) deps.connections.closeCredential(userId, r.token_hash, reason);
    return rows.length;
  };

  return {
    /**
     * Creates a token; the plain token is in the result and nowhere else, ever. Its scopes must be
     * within the user's role and within `grantable` (the caller's own scopes: a token cannot mint
     * a stronger one).
     */
    async createToken(
      user: Pick<User, 'id' | 'role'>,
      input: CreateApiTokenInput,
      grantable: readonly TokenScope[] = ROLE_SCOPES[user.role],
    ): Promise<CreatedApiToken> {
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
      const { id } = await db
        .insertInto('api_tokens')
        .values({
          user_id: user.id,
          name: input.name,
          prefix: displayPrefix(token),
          token_hash: hashToken(token),
          created_at: now,
          expires_at: expiresAt,
          scopes: stored,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
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
    async listTokens(userId: number): Promise<ApiToken[]> {
      const rows: TokenRow[] = await db
        .selectFrom('api_tokens')
        .selectAll()
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .orderBy('id', 'desc')
        .execute();
      return rows.map(toApiToken);
    },

    /**
     * Revokes one of the user's tokens and ends what it holds open; someone else's token is
     * NOT_FOUND, not FORBIDDEN.
     */
    async revokeToken(userId: number, id: number): Promise<void> {
      if ((await revokeRows(db, userId, 'token revoked', id)) === 0)
        throw new GatewayError('NOT_FOUND', `token ${id} not found`);
    },

    /** Revokes every token of a user (password change, deactivation); `trx` joins the caller's transaction. */
    revokeAllTokens: (userId: number, reason = 'token revoked', trx: Db = db): Promise<number> => {
      return revokeRows(trx, userId, reason);
    },
  };
}
