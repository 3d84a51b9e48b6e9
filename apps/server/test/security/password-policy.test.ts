import { describe, expect, it } from 'vitest';
import { assertPasswordPolicy, isCommonPassword } from '../../src/auth/password-policy.ts';
import { ConfigError, loadConfig } from '../../src/env.ts';
import { startTestApp } from '../fixture.ts';
import { trpcHttp } from './security-kit.ts';

interface ErrorBody {
  error: { code: string; message: string; details: { fields: Record<string, string[]> } };
}

describe('password policy', () => {
  it('knows common passwords, also padded with digits and symbols, in any case', () => {
    for (const p of ['password', 'Password1234', 'iloveyou2024!', 'QWERTYUIOP', 'trustno1', 'letmein!!!!!!'])
      expect(isCommonPassword(p), p).toBe(true);
    for (const p of ['correct horse battery staple', 'user-password-1', 'Tr0ub4dor&3-xyz'])
      expect(isCommonPassword(p), p).toBe(false);
    expect(() => assertPasswordPolicy('elevenchars')).toThrow(
      'password: password must have at least 12 characters',
    );
    expect(() => assertPasswordPolicy('password1234', 'new_password')).toThrow(
      /^new_password: password is too common/,
    );
    expect(() => assertPasswordPolicy('a long enough passphrase')).not.toThrow();
  });

  it('applies on user creation and admin password set (REST), 400 naming password', async () => {
    await using t = await startTestApp();
    const create = (password: string) =>
      t.request('/api/auth/users', {
        method: 'POST',
        token: t.adminToken,
        json: { email: 'new@example.com', password },
      });
    for (const [password, message] of [
      ['short-pw-11', /^password: password must have at least 12 characters$/],
      ['password1234', /^password: password is too common/],
      ['Sunshine2024!', /^password: password is too common/],
    ] as const) {
      const res = await create(password);
      expect(res.status, password).toBe(400);
      const body = (await res.json()) as ErrorBody;
      expect(body.error.code).toBe('VALIDATION_ERROR');
      expect(body.error.message).toMatch(message);
      expect(Object.keys(body.error.details.fields)).toEqual(['password']);
    }
    const ok = await create('a sound passphrase');
    expect(ok.status).toBe(201);
    const { id } = (await ok.json()) as { id: number };

    const patch = await t.request(`/api/auth/users/${id}`, {
      method: 'PATCH',
      token: t.adminToken,
      json: { password: 'qwertyuiop123' },
    });
    expect(patch.status).toBe(400);
    expect(((await patch.json()) as ErrorBody).error.message).toMatch(/^password: password is too common/);
  });

  it('checks the current password and the new one on POST /api/auth/password', async () => {
    await using t = await startTestApp();
    const bob = await t.createUser('bob@example.com');
    const change = (current_password: string, new_password: string) =>
      t.request('/api/auth/password', {
        method: 'POST',
        token: bob.token,
        json: { current_password, new_password },
      });
    const wrong = await change('not-my-password', 'a sound passphrase');
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as ErrorBody).error.details.fields).toEqual({
      current_password: ['does not match the current password'],
    });
    const weak = await change('user-password-1', 'football2024');
    expect(weak.status).toBe(400);
    expect(((await weak.json()) as ErrorBody).error.message).toMatch(/^new_password: password is too common/);
    const short = await change('user-password-1', 'short');
    expect(short.status).toBe(400);
    expect(Object.keys(((await short.json()) as ErrorBody).error.details.fields)).toEqual(['new_password']);
    const same = await change('user-password-1', 'user-password-1');
    expect(same.status).toBe(400);
    expect((await change('user-password-1', 'a sound passphrase')).status).toBe(204);
  });

  it('applies over tRPC: users.create, users.update and auth.changePassword', async () => {
    await using t = await startTestApp();
    const admin = trpcHttp(t, t.adminToken);
    const created = await admin.auth.users.create
      .mutate({ email: 'x@example.com', password: 'baseball1234' })
      .catch((e: { data?: unknown }) => e.data);
    expect(created).toMatchObject({
      code: 'VALIDATION_ERROR',
      httpStatus: 400,
      fields: { password: [expect.stringMatching(/too common/)] },
    });
    const bob = await t.createUser('bob@example.com');
    const updated = await admin.auth.users.update
      .mutate({ id: bob.id, patch: { password: 'short' } })
      .catch((e: { data?: unknown }) => e.data);
    expect(updated).toMatchObject({
      code: 'VALIDATION_ERROR',
      fields: { 'patch.password': [expect.any(String)] },
    });
    const changed = await trpcHttp(t, bob.token)
      .auth.changePassword.mutate({ current_password: 'user-password-1', new_password: 'iloveyou12345' })
      .catch((e: { data?: unknown }) => e.data);
    expect(changed).toMatchObject({
      code: 'VALIDATION_ERROR',
      fields: { new_password: [expect.stringMatching(/too common/)] },
    });
  });

  it('refuses a weak ADMIN_PASSWORD at start, naming the variable and not the value', () => {
    for (const password of ['short-one', 'password12345']) {
      let err: unknown;
      try {
        loadConfig({ ADMIN_EMAIL: 'a@example.com', ADMIN_PASSWORD: password });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toBe(
        'ADMIN_PASSWORD: expected at least 12 characters and not a common password',
      );
    }
  });
});
