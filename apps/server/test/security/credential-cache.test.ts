import { describe, expect, it } from 'vitest';
import { CREDENTIAL_CACHE_MS } from '../../src/auth/credential-cache.ts';
import { startTestApp } from '../fixture.ts';
import { createApiToken } from './security-kit.ts';

const me = (t: Awaited<ReturnType<typeof startTestApp>>, token: string) =>
  t.request('/api/auth/me', { token });

describe('credential cache', () => {
  it('trusts a checked credential for a few seconds without asking the database', async () => {
    let now = Date.now();
    await using t = await startTestApp({}, { clock: { now: () => now } });
    const bob = await t.createUser('bob@example.com');
    expect((await me(t, bob.token)).status).toBe(200);
    // Behind the service's back (no revocation event): the cached check still answers...
    t.db.prepare('DELETE FROM sessions WHERE user_id = ?').run(bob.id);
    expect((await me(t, bob.token)).status).toBe(200);
    // ...until it expires.
    now += CREDENTIAL_CACHE_MS;
    expect((await me(t, bob.token)).status).toBe(401);
  });

  it('revoking a token, logging out, deactivating: the very next request is refused', async () => {
    await using t = await startTestApp();
    const bob = await t.createUser('bob@example.com');
    const api = await createApiToken(t, bob.token);
    expect((await me(t, api.token)).status).toBe(200);
    const revoked = await t.request(`/api/auth/tokens/${api.id}`, { method: 'DELETE', token: bob.token });
    expect(revoked.status).toBe(204);
    expect((await me(t, api.token)).status).toBe(401);

    expect((await me(t, bob.token)).status).toBe(200);
    expect((await t.request('/api/auth/logout', { method: 'POST', token: bob.token })).status).toBe(204);
    expect((await me(t, bob.token)).status).toBe(401);

    const carol = await t.createUser('carol@example.com');
    expect((await me(t, carol.token)).status).toBe(200);
    const patch = await t.request(`/api/auth/users/${carol.id}`, {
      method: 'PATCH',
      token: t.adminToken,
      json: { active: false },
    });
    expect(patch.status).toBe(200);
    expect((await me(t, carol.token)).status).toBe(403);
  });

  it('a role change applies to the very next request', async () => {
    await using t = await startTestApp();
    const dave = await t.createUser('dave@example.com', 'admin');
    const users = () => t.request('/api/auth/users', { token: dave.token });
    expect((await users()).status).toBe(200);
    const patch = await t.request(`/api/auth/users/${dave.id}`, {
      method: 'PATCH',
      token: t.adminToken,
      json: { role: 'user' },
    });
    expect(patch.status).toBe(200);
    expect((await users()).status).toBe(403);
  });
});
