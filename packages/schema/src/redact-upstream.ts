import type { Role } from './auth.ts';
import type { ErrorCode } from './errors.ts';

/** What non-admins read instead of messages that name the upstream URL or quote its answers. */
const GENERIC: Partial<Record<ErrorCode, string>> = {
  COMFY_UNAVAILABLE: 'ComfyUI is unavailable',
  COMFY_TIMEOUT: 'ComfyUI did not answer in time',
  UPSTREAM_ERROR: 'ComfyUI answered with an error',
};

/**
 * Upstream details (ComfyUI URL, upstream error bodies) are for admins only: anyone else gets the
 * code with a generic message and no details. Other errors pass unchanged.
 */
export function redactUpstream<E extends { code: ErrorCode; message: string; details?: unknown }>(
  error: E,
  viewer: { role: Role } | null | undefined,
): E {
  const generic = GENERIC[error.code];
  if (generic === undefined || viewer?.role === 'admin') return error;
  const { details: _details, ...rest } = error;
  return { ...rest, message: generic } as E;
}
