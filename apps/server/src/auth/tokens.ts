import { createHash, randomBytes } from 'node:crypto';

export const SESSION_PREFIX = 'cgs_';
export const API_TOKEN_PREFIX = 'cgt_';
export type TokenKind = 'session' | 'api';

/** A fresh token: prefix + 32 random bytes in base64url. */
export function generateToken(kind: TokenKind): string {
  return (kind === 'session' ? SESSION_PREFIX : API_TOKEN_PREFIX) + randomBytes(32).toString('base64url');
}

/** Tokens are stored as sha256 hex; they carry 256 random bits, so no slow KDF is needed. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Which table a presented token belongs to, from its prefix. */
export function tokenKind(token: string): TokenKind | null {
  if (token.startsWith(SESSION_PREFIX)) return 'session';
  if (token.startsWith(API_TOKEN_PREFIX)) return 'api';
  return null;
}

/** What a listing shows to recognise a token: the prefix and the first characters. */
export function displayPrefix(token: string): string {
  return token.slice(0, API_TOKEN_PREFIX.length + 6);
}
