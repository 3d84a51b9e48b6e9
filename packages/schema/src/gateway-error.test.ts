import { ERROR_HTTP_STATUS } from './errors.ts';
import { describe, expect, it } from 'vitest';
import { GatewayError, isGatewayError } from './gateway-error.ts';

describe('GatewayError', () => {
  it('carries code, details, cause and the HTTP status from the schema table', () => {
    const cause = new Error('ECONNREFUSED');
    const err = new GatewayError('COMFY_VALIDATION', 'bad graph', { node_errors: {} }, { cause });
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({
      name: 'GatewayError',
      code: 'COMFY_VALIDATION',
      message: 'bad graph',
      details: { node_errors: {} },
    });
    expect(err.cause).toBe(cause);
    expect(err.status).toBe(ERROR_HTTP_STATUS.COMFY_VALIDATION);
    expect(new GatewayError('COMFY_UNAVAILABLE', 'x').status).toBe(503);
  });

  it('recognises gateway errors structurally and nothing else', () => {
    const foreign = Object.assign(new Error('from another copy'), { code: 'NOT_FOUND' });
    expect(isGatewayError(new GatewayError('NOT_FOUND', 'x'))).toBe(true);
    expect(isGatewayError(foreign)).toBe(true);
    expect(isGatewayError(Object.assign(new Error('node'), { code: 'ECONNREFUSED' }))).toBe(false);
    expect(isGatewayError({ code: 'NOT_FOUND' })).toBe(false);
    expect(isGatewayError(null)).toBe(false);
  });
});
