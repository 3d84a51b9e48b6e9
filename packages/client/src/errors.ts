import { ERROR_CODE_BY_STATUS, ERROR_HTTP_STATUS } from '@comfy-gateway/schema';
import type { ErrorCode, FieldErrors } from '@comfy-gateway/schema';

/** The gateway's codes, plus the client's own for failures that never reached an answer. */
export type GatewayClientErrorCode = ErrorCode | 'NETWORK_ERROR' | 'BAD_RESPONSE' | (string & {});

/** A failed gateway call: HTTP status (0 without an answer), the gateway's code, message and details. */
export class GatewayClientError extends Error {
  override readonly name = 'GatewayClientError';
  readonly status: number;
  readonly code: GatewayClientErrorCode;
  readonly details: unknown;
  /** Seconds from `Retry-After` (429, 503), when the server sent one. */
  readonly retryAfterS: number | null;

  constructor(opts: {
    status: number;
    code: GatewayClientErrorCode;
    message: string;
    details?: unknown;
    retryAfterS?: number | null;
    cause?: unknown;
  }) {
    super(opts.message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.status = opts.status;
    this.code = opts.code;
    this.details = opts.details;
    this.retryAfterS = opts.retryAfterS ?? null;
  }

  /** Per-field messages of a VALIDATION_ERROR (`details.fields`), else `{}`. */
  get fields(): FieldErrors {
    const fields = isRecord(this.details) ? this.details['fields'] : undefined;
    return isRecord(fields) ? (fields as FieldErrors) : {};
  }

  /** Close matches the server suggests per field (`details.suggestions`, `details.issues`), each once. */
  get suggestions(): Record<string, string[]> {
    return readSuggestions(this.details);
  }
}

function readSuggestions(details: unknown): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (!isRecord(details)) return out;
  const add = (key: string, v: unknown) => {
    if (!Array.isArray(v)) return;
    const names = v.filter((s): s is string => typeof s === 'string');
    // The same suggestion may come in several shapes; list each once.
    if (names.length > 0) out[key] = [...new Set([...(out[key] ?? []), ...names])];
  };
  if (isRecord(details['suggestions']))
    for (const [key, v] of Object.entries(details['suggestions'])) add(key, v);
  if (Array.isArray(details['issues']))
    for (const issue of details['issues'])
      if (isRecord(issue) && typeof issue['field'] === 'string') add(issue['field'], issue['suggestions']);
  return out;
}

/** True for a rejected credential (401, or 403 for a deactivated account): retrying cannot help. */
export function isAuthError(err: unknown): boolean {
  return err instanceof GatewayClientError && (err.status === 401 || err.status === 403);
}

/** A message fit for a toast, whatever was thrown. */
export function errorMessage(err: unknown): string {
  if (err instanceof GatewayClientError) return err.message || err.code;
  if (err instanceof Error) return err.message;
  return String(err);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Builds the error for a non-2xx answer from its status and raw body text. Understands
 * `{"error": {code, message, details?}}`; anything else gets a code guessed from the status.
 */
export function parseErrorBody(status: number, text: string, retryAfter?: string | null): GatewayClientError {
  const seconds = retryAfter != null && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter) : null;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const error = isRecord(body) ? body['error'] : undefined;
  if (isRecord(error) && typeof error['code'] === 'string' && typeof error['message'] === 'string') {
    return new GatewayClientError({
      status,
      code: error['code'],
      message: error['message'],
      details: error['details'],
      retryAfterS: seconds,
    });
  }
  // When a proxy (not the gateway) answers, the body is not ours; guess from the status.
  const code = ERROR_CODE_BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'BAD_RESPONSE');
  const snippet = text.trim().slice(0, 200);
  return new GatewayClientError({
    status,
    code,
    message: snippet === '' ? `HTTP ${status}` : `HTTP ${status}: ${snippet}`,
    retryAfterS: seconds,
  });
}

/** Reads a failed `Response` into a `GatewayClientError`. */
export async function errorFromResponse(res: Response): Promise<GatewayClientError> {
  const text = await res.text().catch(() => '');
  return parseErrorBody(res.status, text, res.headers.get('retry-after'));
}

/** Wraps a fetch failure (DNS, refused, reset) so callers see one error type; aborts pass through. */
export function networkError(cause: unknown, url: string): unknown {
  if (cause instanceof Error && (cause.name === 'AbortError' || cause.name === 'TimeoutError')) return cause;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new GatewayClientError({
    status: 0,
    code: 'NETWORK_ERROR',
    message: `cannot reach ${url}: ${reason}`,
    cause,
  });
}

/**
 * Turns a tRPC client error into a `GatewayClientError`: the server's error formatter puts the
 * gateway code, HTTP status, field errors and details in `data`. Other values pass through.
 */
export function fromTrpcError(err: unknown): unknown {
  if (!(err instanceof Error) || err.name !== 'TRPCClientError') return err;
  const data = (err as Error & { data?: unknown }).data;
  if (!isRecord(data))
    return new GatewayClientError({ status: 0, code: 'NETWORK_ERROR', message: err.message, cause: err });
  // Field errors join the details (suggestions and all), so forms read both from one place.
  const details = isRecord(data['fields'])
    ? { ...(isRecord(data['details']) ? data['details'] : {}), fields: data['fields'] }
    : data['details'];
  const code = typeof data['code'] === 'string' ? data['code'] : 'INTERNAL';
  // The status comes from the one table when the server left `httpStatus` out.
  const fromTable = (ERROR_HTTP_STATUS as Record<string, number | undefined>)[code] ?? 0;
  return new GatewayClientError({
    status: typeof data['httpStatus'] === 'number' ? data['httpStatus'] : fromTable,
    code,
    message: err.message,
    details,
    cause: err,
  });
}
