import type { ApiToken, CreatedApiToken } from '@comfy-gateway/schema';
import type { Db } from '../db/open-db.ts';
import { GatewayError } from '../errors.ts';
import { displayPrefix, generateToken, hashToken } from './tokens.ts';
import type { Clock } from './user-rows.ts';

interface TokenRow {
  id: number;
  name: string;
  prefix: string;
  created_at: number;
  last_used_at: number | null;
  expires_at: number | null;
}

const DAY_MS = 86_400_000;

function toApiToken(row: TokenRow): ApiToken {
  const { id, name, prefix, created_at, last_used_at, expires_at } = row;
  return { id, name, prefix, created_at, last_used_at, expires_at };
}

/** Long-lived API tokens, managed by their owner; only the hash is stored. */
export function createTokenService(db: Db, clock: Clock) {
  return {
    /** Creates a token; the plain token is in the result and nowhere else, ever. */
    createToken(
      userId: number,
      input: { name: string; expires_in_days?: number | undefined },
    ): CreatedApiToken {
      const token = generateToken('api');
      const now = clock.now();
      const expiresAt = input.expires_in_days === undefined ? null : now + input.expires_in_days * DAY_MS;
      const id = Number(
        db
          .prepare(
            'INSERT INTO api_tokens (user_id, name, prefix, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
          )
          .run(userId, input.name, displayPrefix(token), hashToken(token), now, expiresAt).lastInsertRowid,
      );
      return {
        id,
        name: input.name,
        prefix: displayPrefix(token),
        created_at: now,
        last_used_at: null,
        expires_at: expiresAt,
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

    /** Revokes one of the user's tokens; someone else's token is NOT_FOUND, not FORBIDDEN. */
    revokeToken(userId: number, id: number): void {
      const res = db
        .prepare('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL')
        .run(clock.now(), id, userId);
      if (res.changes === 0) throw new GatewayError('NOT_FOUND', `token ${id} not found`);
    },
  };
}
