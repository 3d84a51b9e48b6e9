import { describe, expect, it } from 'vitest';
import type { TestApp } from '../fixture.ts';
import { createApiToken } from '../security/security-kit.ts';
import { startCluster } from './cluster-fixture.ts';

const me = (t: TestApp, token: string) => t.request('/api/auth/me', { token });

describe('credential caches of two instances', () => {
  it('a revocation, logout or role change on A applies to the very next request on B', async () => {
    await using c = await startCluster();
    const bob = await c.a.createUser('bob@example.com', 'admin');
    const api = await createApiToken(c.a, bob.token);
    // B has checked (and cached) both credentials.
    expect((await me(c.b, api.token)).status).toBe(200);
    expect((await c.b.request('/api/auth/users', { token: bob.token })).status).toBe(200);

    expect(
      (await c.a.request(`/api/auth/tokens/${api.id}`, { method: 'DELETE', token: bob.token })).status,
    ).toBe(204);
    expect((await me(c.b, api.token)).status).toBe(401);

    const demoted = await c.a.request(`/api/auth/users/${bob.id}`, {
      method: 'PATCH',
      token: c.a.adminToken,
      json: { role: 'user' },
    });
    expect(demoted.status).toBe(200);
    expect((await c.b.request('/api/auth/users', { token: bob.token })).status).toBe(403);

    expect((await c.a.request('/api/auth/logout', { method: 'POST', token: bob.token })).status).toBe(204);
    expect((await me(c.b, bob.token)).status).toBe(401);
  });
});
