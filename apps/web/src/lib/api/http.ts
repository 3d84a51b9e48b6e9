import { ApiError } from './errors.ts';
import { parseRetryAfter } from '../comfy/retry.ts';

type UnauthorizedHandler = (err: ApiError) => void;
let onUnauthorized: UnauthorizedHandler = () => {};

/** Who to tell when any call answers 401 (the layout sends the user to /login). */
export function setUnauthorizedHandler(handler: UnauthorizedHandler): void {
  onUnauthorized = handler;
}

/** Reports a 401 seen outside `request` (EventSource, tRPC). */
export function reportUnauthorized(err: ApiError): void {
  onUnauthorized(err);
}

export interface RequestOptions extends Omit<RequestInit, 'body'> {
  /** Serialised as JSON unless it is FormData. */
  body?: unknown;
  fetch?: typeof fetch;
  /** Don't redirect to /login on 401 (login itself, the session probe). */
  quiet401?: boolean;
}

/** Turns a non-2xx response into an ApiError, reading the gateway's error body when there is one. */
export async function toApiError(res: Response): Promise<ApiError> {
  let code: ApiError['code'] = 'UNKNOWN';
  let message = `${res.status} ${res.statusText}`.trim();
  let details: unknown;
  try {
    const body: unknown = await res.json();
    const error = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
    if (typeof error === 'object' && error !== null) {
      const e = error as { code?: unknown; message?: unknown; details?: unknown };
      if (typeof e.code === 'string') code = e.code as ApiError['code'];
      if (typeof e.message === 'string' && e.message) message = e.message;
      details = e.details;
    }
  } catch {
    // Not JSON (a proxy error page): keep the status line.
  }
  return new ApiError({
    status: res.status,
    code,
    message,
    details,
    retryAfterMs: parseRetryAfter(res.headers.get('retry-after')),
  });
}

/** Sends one request to the gateway; cookies carry the session. Throws ApiError. */
export async function request(path: string, opts: RequestOptions = {}): Promise<Response> {
  const { body, fetch: fetchImpl = globalThis.fetch, quiet401, ...init } = opts;
  const headers = new Headers(init.headers);
  let payload: BodyInit | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers.set('content-type', 'application/json');
    payload = JSON.stringify(body);
  }
  if (!headers.has('accept')) headers.set('accept', 'application/json');
  let res: Response;
  try {
    res = await fetchImpl(path, { credentials: 'same-origin', ...init, headers, body: payload });
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError({ status: 0, code: 'NETWORK_ERROR', message: 'The gateway could not be reached' });
  }
  if (res.ok) return res;
  const error = await toApiError(res);
  if (res.status === 401 && !quiet401) onUnauthorized(error);
  throw error;
}

/** `request` and parse the JSON answer (204 gives undefined). */
export async function requestJson<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await request(path, opts);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** `?a=1&b=2` from the defined entries, or an empty string. */
export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
