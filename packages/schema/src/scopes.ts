import type { Role, TokenScope } from './auth.ts';
import { GatewayError } from './gateway-error.ts';

/** What a session of each role may do; an API token holds at most this much. */
export const ROLE_SCOPES: Readonly<Record<Role, readonly TokenScope[]>> = {
  user: ['read', 'generate'],
  admin: ['read', 'generate', 'admin'],
};

/** A token's own scopes cut down to what its user's current role allows (a demoted admin loses `admin`). */
export function effectiveScopes(role: Role, tokenScopes: readonly TokenScope[] | null): TokenScope[] {
  const allowed = ROLE_SCOPES[role];
  return tokenScopes === null ? [...allowed] : tokenScopes.filter((s) => allowed.includes(s));
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The one rule for what a call needs: reads (REST GET/HEAD, tRPC queries and subscriptions)
 * need `read`, every write (other REST methods, tRPC mutations) needs `generate`.
 * Admin routes and procedures need `admin` on top.
 */
export function requiredScope(call: { method: string } | { type: string }): TokenScope {
  if ('method' in call) return SAFE_METHODS.has(call.method.toUpperCase()) ? 'read' : 'generate';
  return call.type === 'mutation' ? 'generate' : 'read';
}

/** 403 FORBIDDEN naming the missing scope, unless `scopes` holds `needed`. */
export function assertScope(scopes: readonly TokenScope[], needed: TokenScope): void {
  if (!scopes.includes(needed))
    throw new GatewayError('FORBIDDEN', `this token lacks the '${needed}' scope`, { missing_scope: needed });
}
