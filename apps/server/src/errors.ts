import {
  ERROR_CODE_BY_STATUS,
  ERROR_HTTP_STATUS,
  GatewayError,
  isGatewayError,
  isZodError,
  validationError,
} from '@comfy-gateway/schema';
import type { ErrorBody, ErrorCode } from '@comfy-gateway/schema';
import type * as z from 'zod';

export { GatewayError, isGatewayError, isZodError, validationError };

/** A VALIDATION_ERROR about one named field (multipart fields, query parameters). */
export function fieldError(field: string, message: string): GatewayError {
  return new GatewayError('VALIDATION_ERROR', `${field}: ${message}`, { fields: { [field]: [message] } });
}

/** Parses with a schema and throws a VALIDATION_ERROR naming the first bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(result.error.issues);
  return result.data;
}

export interface ErrorResponse {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
  /** True for errors the client did not cause; these are logged with their stack. */
  internal: boolean;
}

/** Maps anything thrown to the REST error response; unknown errors become a generic 500. */
export function toErrorResponse(err: unknown): ErrorResponse {
  if (isGatewayError(err)) return fromGateway(err);
  if (isZodError(err)) return fromGateway(validationError(err.issues));
  const bodyParser = fromBodyParser(err);
  if (bodyParser) return fromGateway(bodyParser);
  return {
    status: 500,
    body: { error: { code: 'INTERNAL', message: 'internal error' } },
    headers: {},
    internal: true,
  };
}

/** Codes whose `details.retry_after_s` is also sent as `Retry-After`. */
const RETRY_AFTER_CODES = new Set<ErrorCode>(['RATE_LIMITED', 'REDIS_UNAVAILABLE', 'DATABASE_UNAVAILABLE']);

function fromGateway(err: GatewayError): ErrorResponse {
  const headers: Record<string, string> = {};
  if (err.code === 'UNAUTHORIZED') headers['WWW-Authenticate'] = 'Bearer';
  const retry = (err.details as { retry_after_s?: unknown } | undefined)?.retry_after_s;
  const retryable = RETRY_AFTER_CODES.has(err.code);
  if (retryable && typeof retry === 'number') headers['Retry-After'] = String(retry);
  const internal = err.code === 'INTERNAL';
  const error: ErrorBody['error'] = { code: err.code, message: internal ? 'internal error' : err.message };
  if (err.details !== undefined && !internal) error.details = err.details;
  return { status: ERROR_HTTP_STATUS[err.code], body: { error }, headers, internal };
}

/** body-parser errors carry `type` and `status`; they are always the client's fault. */
function fromBodyParser(err: unknown): GatewayError | null {
  if (!(err instanceof Error)) return null;
  const { type, status } = err as { type?: unknown; status?: unknown };
  if (type === 'entity.parse.failed') return fieldError('body', 'malformed JSON');
  if (type === 'entity.too.large')
    return new GatewayError('PAYLOAD_TOO_LARGE', 'body: request body too large');
  if (typeof type === 'string' && typeof status === 'number' && status >= 400 && status < 500) {
    return new GatewayError(ERROR_CODE_BY_STATUS[status] ?? 'VALIDATION_ERROR', `body: ${err.message}`);
  }
  return null;
}
