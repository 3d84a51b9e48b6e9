import { ERROR_CODE_BY_STATUS } from '@comfy-gateway/schema';
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
  const fields = isRecord(data['fields']) ? { fields: data['fields'] } : {};
  const details =
    data['details'] !== undefined ? data['details'] : Object.keys(fields).length > 0 ? fields : undefined;
  return new GatewayClientError({
    status: typeof data['httpStatus'] === 'number' ? data['httpStatus'] : 0,
    code: typeof data['code'] === 'string' ? data['code'] : 'INTERNAL',
    message: err.message,
    details,
    cause: err,
  });
}
