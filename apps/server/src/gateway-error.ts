import type { ErrorCode } from '@comfy-gateway/schema';

/**
 * The one domain error (code from the schema's table). It moves to `@comfy-gateway/comfy-core`
 * once that package exports it; `isGatewayError` is structural so both classes are recognised.
 */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown, options?: ErrorOptions) {
    super(message, options);
    this.name = 'GatewayError';
    this.code = code;
    this.details = details;
  }
}
