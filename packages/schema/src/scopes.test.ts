import { describe, expect, it } from 'vitest';
import { isGatewayError } from './gateway-error.ts';
import { assertScope, effectiveScopes, requiredScope } from './scopes.ts';
import { validationError } from './validation-error.ts';

describe('the scope rule shared by REST and tRPC', () => {
  it('needs read for reads and generate for writes, on both transports', () => {
    expect(requiredScope({ method: 'GET' })).toBe('read');
    expect(requiredScope({ method: 'head' })).toBe('read');
    expect(requiredScope({ method: 'POST' })).toBe('generate');
    expect(requiredScope({ type: 'query' })).toBe('read');
    expect(requiredScope({ type: 'subscription' })).toBe('read');
    expect(requiredScope({ type: 'mutation' })).toBe('generate');
  });

  it("cuts a token's scopes to its user's role", () => {
    expect(effectiveScopes('user', ['read', 'admin'])).toEqual(['read']);
    expect(effectiveScopes('admin', null)).toEqual(['read', 'generate', 'admin']);
  });

  it('refuses a missing scope with a FORBIDDEN naming it', () => {
    expect(() => assertScope(['read', 'generate'], 'read')).not.toThrow();
    const err: unknown = (() => {
      try {
        assertScope(['read'], 'generate');
      } catch (e) {
        return e;
      }
    })();
    expect(isGatewayError(err) && err.code).toBe('FORBIDDEN');
    expect(err).toMatchObject({ details: { missing_scope: 'generate' } });
  });
});

describe('validationError', () => {
  it('names the first field in the message and lists every field', () => {
    const err = validationError([
      { code: 'too_small', path: ['steps'], message: 'too small', minimum: 1, origin: 'number', input: 0 },
      { code: 'custom', path: ['width'], message: 'bad width', input: 5 },
    ]);
    expect(err.code).toBe('VALIDATION_ERROR');
    expect(err.message).toBe('steps: too small');
    expect(err.details).toEqual({ fields: { steps: ['too small'], width: ['bad width'] } });
  });
});
