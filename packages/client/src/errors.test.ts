import { describe, expect, it } from 'vitest';
import {
  GatewayClientError,
  errorFromResponse,
  fromTrpcError,
  networkError,
  parseErrorBody,
} from './errors.ts';

describe('parseErrorBody', () => {
  it('reads the gateway error body: code, message, details and field errors', () => {
    const body = {
      error: {
        code: 'VALIDATION_ERROR',
        message: 'caption: must not be empty',
        details: { fields: { caption: ['must not be empty'] } },
      },
    };
    const err = parseErrorBody(400, JSON.stringify(body));
    expect(err).toBeInstanceOf(GatewayClientError);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({
      name: 'GatewayClientError',
      status: 400,
      code: 'VALIDATION_ERROR',
      message: 'caption: must not be empty',
    });
    expect(err.fields).toEqual({ caption: ['must not be empty'] });
  });

  it('keeps ComfyUI node errors as details', () => {
    const details = {
      error: { type: 'prompt_outputs_failed_validation' },
      node_errors: { '3': { errors: [] } },
    };
    const err = parseErrorBody(
      400,
      JSON.stringify({ error: { code: 'COMFY_VALIDATION', message: 'invalid prompt', details } }),
    );
    expect(err.code).toBe('COMFY_VALIDATION');
    expect(err.details).toEqual(details);
    expect(err.fields).toEqual({});
  });

  it('keeps codes it does not know (a newer server)', () => {
    expect(parseErrorBody(418, '{"error":{"code":"TEAPOT","message":"short and stout"}}').code).toBe(
      'TEAPOT',
    );
  });

  it('reads Retry-After seconds', () => {
    const err = parseErrorBody(429, '{"error":{"code":"RATE_LIMITED","message":"slow down"}}', ' 12 ');
    expect(err).toMatchObject({ code: 'RATE_LIMITED', retryAfterS: 12 });
    expect(parseErrorBody(429, '', 'Wed, 21 Oct 2015 07:28:00 GMT').retryAfterS).toBeNull();
  });

  it.each([
    [502, '<html>Bad Gateway</html>', 'UPSTREAM_ERROR', 'HTTP 502: <html>Bad Gateway</html>'],
    [401, '', 'UNAUTHORIZED', 'HTTP 401'],
    [500, 'boom', 'INTERNAL', 'HTTP 500: boom'],
    [507, '{"error":"not ours"}', 'INTERNAL', 'HTTP 507: {"error":"not ours"}'],
    [422, '{"detail":"x"}', 'BAD_RESPONSE', 'HTTP 422: {"detail":"x"}'],
  ])(
    'guesses a code from status %i when the body is not the gateway error shape',
    (status, text, code, message) => {
      expect(parseErrorBody(status, text)).toMatchObject({ status, code, message });
    },
  );
});

describe('errorFromResponse', () => {
  it('reads status, body and Retry-After from a Response', async () => {
    const res = new Response('{"error":{"code":"COMFY_UNAVAILABLE","message":"ComfyUI is down"}}', {
      status: 503,
      headers: { 'retry-after': '5' },
    });
    await expect(errorFromResponse(res)).resolves.toMatchObject({
      status: 503,
      code: 'COMFY_UNAVAILABLE',
      retryAfterS: 5,
    });
  });
});

describe('networkError', () => {
  it('wraps connection failures and lets aborts through', () => {
    const wrapped = networkError(new TypeError('fetch failed'), 'GET /api/comfy/status/x');
    expect(wrapped).toMatchObject({
      status: 0,
      code: 'NETWORK_ERROR',
      message: 'cannot reach GET /api/comfy/status/x: fetch failed',
    });
    const abort = new DOMException('aborted', 'AbortError');
    expect(networkError(abort, 'x')).toBe(abort);
  });
});

describe('fromTrpcError', () => {
  it('maps the data of a tRPC error (gateway code, http status, fields)', () => {
    const trpcErr = Object.assign(new Error('caption: must not be empty'), {
      name: 'TRPCClientError',
      data: { code: 'VALIDATION_ERROR', httpStatus: 400, fields: { caption: ['must not be empty'] } },
    });
    const err = fromTrpcError(trpcErr);
    expect(err).toBeInstanceOf(GatewayClientError);
    expect(err).toMatchObject({
      status: 400,
      code: 'VALIDATION_ERROR',
      fields: { caption: ['must not be empty'] },
    });
    const plain = new Error('other');
    expect(fromTrpcError(plain)).toBe(plain);
  });

  it.each([
    ['PAYLOAD_TOO_LARGE', 413],
    ['UNSUPPORTED_MEDIA_TYPE', 415],
    ['UPSTREAM_ERROR', 502],
    ['COMFY_TIMEOUT', 504],
  ])('takes the status of %s from the schema table when httpStatus is missing', (code, status) => {
    const trpcErr = Object.assign(new Error('x'), { name: 'TRPCClientError', data: { code } });
    expect(fromTrpcError(trpcErr)).toMatchObject({ code, status });
  });

  it('keeps details and field errors together', () => {
    const trpcErr = Object.assign(new Error('checkpoint: not available'), {
      name: 'TRPCClientError',
      data: {
        code: 'VALIDATION_ERROR',
        httpStatus: 400,
        fields: { checkpoint: ['not available'] },
        details: { suggestions: { checkpoint: ['sdxl.safetensors'] } },
      },
    });
    expect(fromTrpcError(trpcErr)).toMatchObject({
      fields: { checkpoint: ['not available'] },
      suggestions: { checkpoint: ['sdxl.safetensors'] },
    });
  });
});

describe('GatewayClientError.suggestions', () => {
  it('lists each suggestion once across `suggestions` and `issues`', () => {
    const err = new GatewayClientError({
      status: 400,
      code: 'VALIDATION_ERROR',
      message: 'checkpoint: not available',
      details: {
        fields: { checkpoint: ['"x" is not available'], sampler: ['bad'] },
        suggestions: { checkpoint: ['sd_xl_base_1.0.safetensors'] },
        issues: [
          { field: 'checkpoint', suggestions: ['sd_xl_base_1.0.safetensors'] },
          { field: 'sampler', suggestions: ['euler'] },
        ],
      },
    });
    expect(err.fields).toEqual({ checkpoint: ['"x" is not available'], sampler: ['bad'] });
    // Regression (web form): a suggestion listed twice broke the keyed {#each} and left the form stuck.
    expect(err.suggestions).toEqual({ checkpoint: ['sd_xl_base_1.0.safetensors'], sampler: ['euler'] });
    expect(
      new GatewayClientError({ status: 503, code: 'COMFY_UNAVAILABLE', message: 'down' }).suggestions,
    ).toEqual({});
  });
});
