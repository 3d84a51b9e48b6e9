import { describe, expect, it } from 'vitest';
import { CREDENTIAL_CACHE_MS } from '../../src/auth/credential-cache.ts';
import { WS_CLOSE_REVOKED } from '../../src/trpc/mount.ts';
import { startComfyApp } from '../comfy-fixture.ts';
import { startTestApp } from '../fixture.ts';
import {
  createApiToken,
  openRawWs,
  openStream,
  openTrpcSse,
  queueLongJob,
  trpcError,
  trpcHttp,
} from './security-kit.ts';

// Jobs of 200 steps at 100 ms never finish within a test: a stream that ends was ended by revocation.
const SLOW = { stepMs: 100 };

describe('revocation takes effect everywhere at once', () => {
  it('logout closes the session’s WebSocket, SSE stream and tRPC subscription, and nothing of others', async () => {
    await using t = await startComfyApp(SLOW);
    await t.connected();
    const bob = await t.createUser('bob@example.com');
    const bobJob = await queueLongJob(t, bob.token);
    const adminJob = await queueLongJob(t, t.adminToken);
    const ws = await openRawWs(t, bob.token);
    expect((await ws.call('auth.me')).result?.type).toBe('data');
    const sse = await openStream(t, bob.token, bobJob);
    expect(sse.res.status).toBe(200);
    const sub = await openTrpcSse(t, bob.token, bobJob);
    expect(sub.res.status).toBe(200);
    const adminWs = await openRawWs(t, t.adminToken);
    expect((await adminWs.call('auth.me')).result?.type).toBe('data');
    const adminSse = await openStream(t, t.adminToken, adminJob);
    expect(adminSse.res.status).toBe(200);
    expect(t.services.auth.connections.countForUser(bob.id)).toBe(3);

    expect((await t.request('/api/auth/logout', { method: 'POST', token: bob.token })).status).toBe(204);
    expect(await ws.closed).toEqual({ code: WS_CLOSE_REVOKED, reason: 'logged out' });
    expect(await sse.ended).toEqual({ sawDone: false });
    expect(await sub.ended).toEqual({ sawDone: false });
    expect(t.services.auth.connections.countForUser(bob.id)).toBe(0);

    // The admin's socket and stream are untouched.
    expect((await adminWs.call('auth.me')).result?.type).toBe('data');
    expect(t.services.auth.connections.countForUser((await adminMe(t)).id)).toBe(2);
    adminWs.ws.close();
  });

  it('re-checks the credential on every WebSocket call, even without a registry event', async () => {
    let now = Date.now();
    await using t = await startTestApp({}, { clock: { now: () => now } });
    const bob = await t.createUser('bob@example.com');
    const ws = await openRawWs(t, bob.token);
    try {
      expect((await ws.call('auth.me')).result?.type).toBe('data');
      // Revoked behind the service's back: only a per-call check can notice, once the few seconds a
      // checked credential is trusted have passed (revocations through the service clear it at once).
      t.db.prepare('UPDATE sessions SET revoked_at = 1 WHERE user_id = ?').run(bob.id);
      now += CREDENTIAL_CACHE_MS;
      expect((await ws.call('auth.me')).error?.json.data).toMatchObject({
        code: 'UNAUTHORIZED',
        httpStatus: 401,
      });
      expect((await ws.call('gallery.list', { input: { limit: 1 } })).error?.json.data.code).toBe(
        'UNAUTHORIZED',
      );
    } finally {
      ws.ws.close();
    }
  });

  it('token revocation closes what that token holds open and leaves the session’s alone', async () => {
    await using t = await startComfyApp(SLOW);
    await t.connected();
    const bob = await t.createUser('bob@example.com');
    const api = await createApiToken(t, bob.token);
    const job = await queueLongJob(t, api.token);
    const tokenWs = await openRawWs(t, api.token);
    const tokenSse = await openStream(t, api.token, job);
    expect(tokenSse.res.status).toBe(200);
    const sessionWs = await openRawWs(t, bob.token);
    expect((await tokenWs.call('auth.me')).result?.type).toBe('data');

    await trpcHttp(t, bob.token).auth.tokens.revoke.mutate({ id: api.id });
    expect(await tokenWs.closed).toEqual({ code: WS_CLOSE_REVOKED, reason: 'token revoked' });
    expect(await tokenSse.ended).toEqual({ sawDone: false });
    expect((await t.request('/api/auth/me', { token: api.token })).status).toBe(401);
    expect((await sessionWs.call('auth.me')).result?.type).toBe('data');
    sessionWs.ws.close();
  });

  it('password change keeps the session that made it and revokes every other session and token', async () => {
    await using t = await startComfyApp(SLOW);
    await t.connected();
    const bob = await t.createUser('bob@example.com');
    const other = (await t.services.auth.login('bob@example.com', 'user-password-1')).token;
    const api = await createApiToken(t, bob.token);
    const job = await queueLongJob(t, bob.token);
    const otherWs = await openRawWs(t, other);
    const apiWs = await openRawWs(t, api.token);
    const apiSse = await openStream(t, api.token, job);
    const keptWs = await openRawWs(t, bob.token);

    const res = await t.request('/api/auth/password', {
      method: 'POST',
      token: bob.token,
      json: { current_password: 'user-password-1', new_password: 'a-brand-new-secret-42' },
    });
    expect(res.status).toBe(204);
    expect(await otherWs.closed).toEqual({ code: WS_CLOSE_REVOKED, reason: 'password changed' });
    expect(await apiWs.closed).toEqual({ code: WS_CLOSE_REVOKED, reason: 'password changed' });
    expect(await apiSse.ended).toEqual({ sawDone: false });
    for (const token of [other, api.token])
      expect((await t.request('/api/auth/me', { token })).status).toBe(401);
    expect((await t.request('/api/auth/me', { token: bob.token })).status).toBe(200);
    expect((await keptWs.call('auth.me')).result?.type).toBe('data');
    keptWs.ws.close();

    const login = (password: string) =>
      t.request('/api/auth/login', { method: 'POST', json: { email: 'bob@example.com', password } });
    expect((await login('user-password-1')).status).toBe(401);
    expect((await login('a-brand-new-secret-42')).status).toBe(200);
  });

  it('tRPC auth.changePassword does the same', async () => {
    await using t = await startTestApp();
    const bob = await t.createUser('bob@example.com');
    const other = (await t.services.auth.login('bob@example.com', 'user-password-1')).token;
    const otherWs = await openRawWs(t, other);
    await expect(
      trpcHttp(t, bob.token).auth.changePassword.mutate({
        current_password: 'user-password-1',
        new_password: 'a-brand-new-secret-42',
      }),
    ).resolves.toEqual({ ok: true });
    expect((await otherWs.closed).code).toBe(WS_CLOSE_REVOKED);
    expect(await trpcError(trpcHttp(t, other).auth.me.query())).toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(trpcHttp(t, bob.token).auth.me.query()).resolves.toMatchObject({ id: bob.id });
  });

  it('deactivation ends every stream of the user; reactivation revives no credential', async () => {
    await using t = await startComfyApp(SLOW);
    await t.connected();
    const bob = await t.createUser('bob@example.com');
    const api = await createApiToken(t, bob.token);
    const job = await queueLongJob(t, bob.token);
    const ws = await openRawWs(t, bob.token);
    const apiWs = await openRawWs(t, api.token);
    const sse = await openStream(t, api.token, job);
    const sub = await openTrpcSse(t, bob.token, job);

    const admin = trpcHttp(t, t.adminToken);
    await admin.auth.users.setActive.mutate({ id: bob.id, active: false });
    expect(await ws.closed).toEqual({ code: WS_CLOSE_REVOKED, reason: 'account deactivated' });
    expect((await apiWs.closed).code).toBe(WS_CLOSE_REVOKED);
    expect(await sse.ended).toEqual({ sawDone: false });
    expect(await sub.ended).toEqual({ sawDone: false });
    expect((await t.request('/api/auth/me', { token: api.token })).status).toBe(403);

    await admin.auth.users.setActive.mutate({ id: bob.id, active: true });
    for (const token of [bob.token, api.token])
      expect((await t.request('/api/auth/me', { token })).status).toBe(401);
    expect(await admin.auth.users.tokens.list.query({ id: bob.id })).toEqual([]);
  });

  it('lets admins list and revoke any user’s tokens (REST and tRPC), and nobody else', async () => {
    await using t = await startTestApp();
    const bob = await t.createUser('bob@example.com');
    const eve = await t.createUser('eve@example.com');
    const a = await createApiToken(t, bob.token, { name: 'a' });
    const b = await createApiToken(t, bob.token, { name: 'b', scopes: ['read'] });
    const bWs = await openRawWs(t, b.token);
    expect((await bWs.call('auth.me')).result?.type).toBe('data');

    const list = await t.request(`/api/auth/users/${bob.id}/tokens`, { token: t.adminToken });
    expect(list.status).toBe(200);
    expect(
      ((await list.json()) as { items: { id: number; name: string; scopes: string[] }[] }).items,
    ).toMatchObject([
      { id: b.id, name: 'b', scopes: ['read'] },
      { id: a.id, name: 'a', scopes: ['read', 'generate'] },
    ]);
    // Not for users, not for tokens of another user, not for unknown users.
    expect((await t.request(`/api/auth/users/${bob.id}/tokens`, { token: eve.token })).status).toBe(403);
    expect(
      (await t.request(`/api/auth/users/${bob.id}/tokens/${a.id}`, { method: 'DELETE', token: eve.token }))
        .status,
    ).toBe(403);
    expect(
      (await t.request(`/api/auth/users/${eve.id}/tokens/${a.id}`, { method: 'DELETE', token: t.adminToken }))
        .status,
    ).toBe(404);
    expect((await t.request('/api/auth/users/999/tokens', { token: t.adminToken })).status).toBe(404);

    const del = await t.request(`/api/auth/users/${bob.id}/tokens/${b.id}`, {
      method: 'DELETE',
      token: t.adminToken,
    });
    expect(del.status).toBe(204);
    expect((await bWs.closed).code).toBe(WS_CLOSE_REVOKED);
    expect((await t.request('/api/auth/me', { token: b.token })).status).toBe(401);

    const admin = trpcHttp(t, t.adminToken);
    expect((await admin.auth.users.tokens.list.query({ id: bob.id })).map((x) => x.id)).toEqual([a.id]);
    await expect(admin.auth.users.tokens.revoke.mutate({ id: bob.id, token_id: a.id })).resolves.toEqual({
      ok: true,
    });
    expect((await t.request('/api/auth/me', { token: a.token })).status).toBe(401);
    expect(
      await trpcError(trpcHttp(t, eve.token).auth.users.tokens.list.query({ id: bob.id })),
    ).toMatchObject({
      code: 'FORBIDDEN',
    });
  });
});

async function adminMe(t: {
  request: (p: string, i?: { token?: string }) => Promise<Response>;
  adminToken: string;
}) {
  return (await (await t.request('/api/auth/me', { token: t.adminToken })).json()) as { id: number };
}
