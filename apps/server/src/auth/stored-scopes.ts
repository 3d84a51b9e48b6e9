import type { TokenScope } from '@comfy-gateway/schema';

/** Scopes stored as a comma list in `api_tokens.scopes`. */
export function parseScopes(stored: string): TokenScope[] {
  return stored.split(',').filter((s): s is TokenScope => s === 'read' || s === 'generate' || s === 'admin');
}
