import { ERROR_HTTP_STATUS } from '@comfy-gateway/schema';
import type { ErrorCode } from '@comfy-gateway/schema';
import { describe, expect, it } from 'vitest';
import { ERROR_TRPC_CODE, gatewayCodeOf, httpStatusOfTrpcCode, rpcCodeOf } from './error-codes.ts';

describe('tRPC codes derived from ERROR_HTTP_STATUS', () => {
  it('gives every gateway code the tRPC code of its own HTTP status', () => {
    for (const code of Object.keys(ERROR_HTTP_STATUS) as ErrorCode[])
      expect([code, httpStatusOfTrpcCode(ERROR_TRPC_CODE[code])]).toEqual([code, ERROR_HTTP_STATUS[code]]);
    expect(ERROR_TRPC_CODE).toMatchObject({
      VALIDATION_ERROR: 'BAD_REQUEST',
      NOT_FOUND: 'NOT_FOUND',
      RATE_LIMITED: 'TOO_MANY_REQUESTS',
      COMFY_DISABLED: 'SERVICE_UNAVAILABLE',
      COMFY_TIMEOUT: 'GATEWAY_TIMEOUT',
    });
  });

  it('sends domain errors with their JSON-RPC number, not -32603', () => {
    expect(rpcCodeOf('NOT_FOUND')).toBe(-32004);
    expect(rpcCodeOf('UNAUTHORIZED')).toBe(-32001);
    expect(rpcCodeOf('CONFLICT')).toBe(-32009);
    expect(rpcCodeOf('PAYLOAD_TOO_LARGE')).toBe(-32013);
  });

  it('reads tRPC’s own errors back as gateway codes', () => {
    expect(gatewayCodeOf('PARSE_ERROR')).toBe('VALIDATION_ERROR');
    expect(gatewayCodeOf('TOO_MANY_REQUESTS')).toBe('RATE_LIMITED');
    expect(gatewayCodeOf('METHOD_NOT_SUPPORTED')).toBe('NOT_FOUND');
    expect(gatewayCodeOf('INTERNAL_SERVER_ERROR')).toBe('INTERNAL');
    expect(gatewayCodeOf('SERVICE_UNAVAILABLE')).toBe('COMFY_UNAVAILABLE');
  });
});
