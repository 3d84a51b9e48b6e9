import * as z from 'zod';
import { describe, expect, it } from 'vitest';
import { ERROR_HTTP_STATUS, errorBodySchema, toFieldErrors } from './errors.ts';

describe('error table', () => {
  it('maps every code to a 4xx or 5xx status', () => {
    for (const status of Object.values(ERROR_HTTP_STATUS)) expect(status).toBeGreaterThanOrEqual(400);
    expect(ERROR_HTTP_STATUS.RATE_LIMITED).toBe(429);
    expect(ERROR_HTTP_STATUS.COMFY_UNAVAILABLE).toBe(503);
  });

  it('validates the error body', () => {
    expect(errorBodySchema.safeParse({ error: { code: 'NOT_FOUND', message: 'x' } }).success).toBe(true);
    expect(errorBodySchema.safeParse({ error: { code: 'WAT', message: 'x' } }).success).toBe(false);
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
