import * as z from 'zod';
import { describe, expect, it } from 'vitest';
import { ERROR_CODE_BY_STATUS, ERROR_HTTP_STATUS, errorBodySchema, toFieldErrors } from './errors.ts';

describe('error table', () => {
  it('maps every code to a 4xx or 5xx status', () => {
    for (const status of Object.values(ERROR_HTTP_STATUS)) expect(status).toBeGreaterThanOrEqual(400);
    expect(ERROR_HTTP_STATUS.RATE_LIMITED).toBe(429);
    expect(ERROR_HTTP_STATUS.COMFY_UNAVAILABLE).toBe(503);
  });

  it('reads a bare status as the first code listed with it', () => {
    for (const [status, code] of Object.entries(ERROR_CODE_BY_STATUS))
      expect(code && ERROR_HTTP_STATUS[code]).toBe(Number(status));
    expect(ERROR_CODE_BY_STATUS[400]).toBe('VALIDATION_ERROR');
    expect(ERROR_CODE_BY_STATUS[503]).toBe('COMFY_UNAVAILABLE');
    expect(ERROR_CODE_BY_STATUS[418]).toBeUndefined();
  });

  it('validates the error body', () => {
    expect(errorBodySchema.safeParse({ error: { code: 'NOT_FOUND', message: 'x' } }).success).toBe(true);
    expect(errorBodySchema.safeParse({ error: { code: 'WAT', message: 'x' } }).success).toBe(false);
  });

  it('reports an unknown key at the key itself', () => {
    const r = z.strictObject({ caption: z.string() }).safeParse({ caption: 'x', captionn: 'oops' });
    expect(toFieldErrors(r.error?.issues ?? [])).toEqual({ captionn: ['unknown field'] });
  });

  it('flattens zod issues per field', () => {
    const r = z.object({ a: z.object({ b: z.int() }), c: z.string() }).safeParse({ a: { b: 'x' } });
    expect(toFieldErrors(r.error?.issues ?? [])).toMatchInlineSnapshot(`
      {
        "a.b": [
          "Invalid input: expected number, received string",
        ],
        "c": [
          "Invalid input: expected string, received undefined",
        ],
      }
    `);
  });
});
