import type * as z from 'zod';
import { GatewayError } from '../errors.ts';
import type { CallOptions, Timers } from '../types.ts';

export type FetchLike = typeof globalThis.fetch;

export interface RequestContext {
  baseUrl: string;
  timeoutMs: number;
  fetch: FetchLike;
  headers?: Record<string, string>;
  /** Injected timers for the per-call timeout; `AbortSignal.timeout` when absent. */
  timers?: Timers;
}

/** `AbortSignal.timeout` on the injected timers (same reason: a `TimeoutError`). */
function timeoutSignal(timers: Timers | undefined, ms: number): AbortSignal {
  if (!timers) return AbortSignal.timeout(ms);
  const ac = new AbortController();
  timers.setTimeout(() => ac.abort(new DOMException('The operation timed out.', 'TimeoutError')), ms);
  return ac.signal;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EPIPE',
  'UND_ERR_SOCKET',
]);

function causeCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && e; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * One HTTP call to ComfyUI with a per-call timeout. Network failures become COMFY_UNAVAILABLE, the
 * timeout COMFY_TIMEOUT; the caller's own abort is rethrown untouched.
 */
export async function comfyFetch(
  ctx: RequestContext,
  path: string,
  init: RequestInit & CallOptions = {},
): Promise<Response> {
  const { signal, timeoutMs = ctx.timeoutMs, ...rest } = init;
  const timeout = timeoutSignal(ctx.timers, timeoutMs);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  try {
    return await ctx.fetch(ctx.baseUrl + path, {
      ...rest,
      headers: { ...ctx.headers, ...(rest.headers as Record<string, string> | undefined) },
      signal: combined,
    });
  } catch (err) {
    if (signal?.aborted) throw signal.reason ?? err;
    if (timeout.aborted) {
      throw new GatewayError(
        'COMFY_TIMEOUT',
        `ComfyUI did not answer ${path} within ${timeoutMs} ms`,
        undefined,
        { cause: err },
      );
    }
    const code = causeCode(err);
    const why = code && NETWORK_CODES.has(code) ? code : err instanceof Error ? err.message : String(err);
    throw new GatewayError(
      'COMFY_UNAVAILABLE',
      `ComfyUI at ${ctx.baseUrl} is unreachable (${why})`,
      undefined,
      {
        cause: err,
      },
    );
  }
}

/**
 * Reads a JSON body and checks it against a loose schema; a non-2xx answer or a body of the wrong
 * shape becomes UPSTREAM_ERROR.
 */
export async function readJson<S extends z.ZodType>(
  res: Response,
  path: string,
  schema: S,
): Promise<z.output<S>> {
  const text = await res.text();
  if (!res.ok) {
    throw new GatewayError('UPSTREAM_ERROR', `ComfyUI answered ${res.status} to ${path}`, {
      status: res.status,
      body: text.slice(0, 2000),
    });
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new GatewayError('UPSTREAM_ERROR', `ComfyUI sent invalid JSON for ${path}`, { status: res.status });
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new GatewayError('UPSTREAM_ERROR', `ComfyUI sent an unexpected body for ${path}`, {
      status: res.status,
      issues: parsed.error.issues.slice(0, 5),
    });
  }
  return parsed.data;
}

/** Drains a body that we do not need, so the connection can be reused. */
export async function discard(res: Response): Promise<void> {
  await res.body?.cancel().catch(() => undefined);
}
