import { ERROR_HTTP_STATUS } from './errors.ts';
import type { ErrorCode } from './errors.ts';

/** The one domain error of the product: a code from the schema's table, a message, details. */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown, options?: ErrorOptions) {
    super(message, options);
    this.name = 'GatewayError';
    this.code = code;
    this.details = details;
  }

  /** The HTTP status the code maps to. */
  get status(): number {
    return ERROR_HTTP_STATUS[this.code];
  }
}

/** Structural check, so an error from another copy of this package is still recognised. */
export function isGatewayError(err: unknown): err is GatewayError {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && Object.hasOwn(ERROR_HTTP_STATUS, code);
}
