import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  changePasswordInputSchema,
  createApiTokenInputSchema,
  passwordSchema,
  type CreateApiTokenInput,
  type TokenScope,
} from './auth.ts';

const issues = (r: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) =>
  r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);

describe('createApiTokenInputSchema', () => {
  it('takes optional scopes out of read, generate, admin', () => {
    expect(createApiTokenInputSchema.parse({ name: 'ci' })).toEqual({ name: 'ci' });
    expect(createApiTokenInputSchema.parse({ name: 'ci', scopes: ['read'] })).toEqual({
      name: 'ci',
      scopes: ['read'],
    });
  });

  it('refuses unknown, empty and repeated scopes, naming scopes', () => {
    expect(issues(createApiTokenInputSchema.safeParse({ name: 'ci', scopes: ['write'] })))
      .toMatchInlineSnapshot(`
      [
        "scopes.0: Invalid option: expected one of "read"|"generate"|"admin"",
      ]
    `);
    expect(issues(createApiTokenInputSchema.safeParse({ name: 'ci', scopes: [] }))).toEqual([
      'scopes: choose at least one scope',
    ]);
    expect(issues(createApiTokenInputSchema.safeParse({ name: 'ci', scopes: ['read', 'read'] }))).toEqual([
      'scopes: scopes must not repeat',
    ]);
  });

  it('infers the scope union', () => {
    expectTypeOf<CreateApiTokenInput['scopes']>().toEqualTypeOf<TokenScope[] | undefined>();
    expectTypeOf<TokenScope>().toEqualTypeOf<'read' | 'generate' | 'admin'>();
  });
});

describe('passwords', () => {
  it('needs 12 characters (the server also refuses common ones)', () => {
    expect(passwordSchema.safeParse('elevenchars').success).toBe(false);
    expect(passwordSchema.safeParse('twelve chars').success).toBe(true);
  });

  it('names the field of a password change', () => {
    expect(issues(changePasswordInputSchema.safeParse({ current_password: '', new_password: 'short' })))
      .toMatchInlineSnapshot(`
        [
          "current_password: Too small: expected string to have >=1 characters",
          "new_password: password must have at least 12 characters",
        ]
      `);
  });
});
