import { describe, expect, it } from 'vitest';
import { ADMIN, startTestApp } from './fixture.ts';

describe('REST auth', () => {
  it('logs in with a session cookie and serves /me, then logs out', async () => {
    await using t = await startTestApp();
    const res = await t.request('/api/auth/login', {
      method: 'POST',
      json: { email: 'ADMIN@example.com', password: ADMIN.password },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      token: string;
      user: { email: string; role: string };
      expires_at: number;
    };
    expect(body.token).toMatch(/^cgs_[A-Za-z0-9_-]{43}$/);
    expect(body.user).toMatchObject({ email: ADMIN.email, role: 'admin', active: true });
    expect(body.expires_at).toBeGreaterThan(Date.now());
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^cg_session=cgs_[^;]+; HttpOnly; SameSite=Lax; Path=\/; Max-Age=\d+$/);

    const cookieHeader = cookie.split(';')[0] ?? '';
    const me = await t.request('/api/auth/me', { headers: { cookie: cookieHeader } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ email: ADMIN.email });

    const out = await t.request('/api/auth/logout', { method: 'POST', headers: { cookie: cookieHeader } });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/Max-Age=0/);
    const after = await t.request('/api/auth/me', { token: body.token });
    expect(after.status).toBe(401);
  });

  it('answers a wrong password and an unknown email with the same 401', async () => {
    await using t = await startTestApp();
    const wrong = await t.request('/api/auth/login', {
      method: 'POST',
      json: { email: ADMIN.email, password: 'nope-nope' },
    });
    const unknown = await t.request('/api/auth/login', {
      method: 'POST',
      json: { email: 'who@example.com', password: 'nope-nope' },
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const a = await wrong.json();
    expect(a).toEqual(await unknown.json());
    expect(a).toEqual({ error: { code: 'UNAUTHORIZED', message: 'invalid email or password' } });
  });

  it('rejects a bad body with 400 naming the field, and malformed JSON naming body', async () => {
    await using t = await startTestApp();
    const res = await t.request('/api/auth/login', {
      method: 'POST',
      json: { email: 'not-an-email', password: 'x' },
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as {
      error: { code: string; message: string; details: { fields: Record<string, string[]> } };
    };
    expect(body.error.code).toBe('VALIDATION_ERROR');
    expect(body.error.message).toMatch(/^email: /);
    expect(Object.keys(body.error.details.fields)).toEqual(['email']);

    const broken = await t.request('/api/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"email":',
    });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { error: { message: string } }).error.message).toMatch(/^body: /);
  });

  it('answers 401 with WWW-Authenticate on protected routes', async () => {
    await using t = await startTestApp();
    for (const p of ['/api/auth/me', '/api/gallery', '/api/auth/tokens']) {
      const res = await t.request(p);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAUTHORIZED');
    }
    const bad = await t.request('/api/auth/me', { token: 'cgs_forged' });
    expect(bad.status).toBe(401);
  });

  it('answers 403 to a deactivated user for sessions and API tokens issued before', async () => {
    await using t = await startTestApp();
    const u = await t.createUser('bob@example.com');
    const tokenRes = await t.request('/api/auth/tokens', {
      method: 'POST',
      token: u.token,
      json: { name: 'cli' },
    });
    const apiToken = ((await tokenRes.json()) as { token: string }).token;
    expect((await t.request('/api/auth/me', { token: apiToken })).status).toBe(200);

    const patch = await t.request(`/api/auth/users/${u.id}`, {
      method: 'PATCH',
      token: t.adminToken,
      json: { active: false },
    });
    expect(patch.status).toBe(200);
    expect(await patch.json()).toMatchObject({ id: u.id, active: false });

    for (const token of [u.token, apiToken]) {
      const res = await t.request('/api/auth/me', { token });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    }
    const login = await t.request('/api/auth/login', {
      method: 'POST',
      json: { email: 'bob@example.com', password: 'user-password-1' },
    });
    expect(login.status).toBe(403);

    // Reactivation does not bring the revoked sessions or API tokens back (issue 9 §4).
    await t.request(`/api/auth/users/${u.id}`, {
      method: 'PATCH',
      token: t.adminToken,
      json: { active: true },
    });
    expect((await t.request('/api/auth/me', { token: u.token })).status).toBe(401);
    expect((await t.request('/api/auth/me', { token: apiToken })).status).toBe(401);
  });

  it('creates, lists and revokes API tokens', async () => {
    await using t = await startTestApp();
    const u = await t.createUser('carol@example.com');
    const created = await t.request('/api/auth/tokens', {
      method: 'POST',
      token: u.token,
      json: { name: 'ci', expires_in_days: 30 },
    });
    expect(created.status).toBe(201);
    const tok = (await created.json()) as { id: number; token: string; prefix: string; expires_at: number };
    expect(tok.token).toMatch(/^cgt_/);
    expect(tok.token.startsWith(tok.prefix)).toBe(true);
    expect(tok.expires_at).toBeGreaterThan(Date.now() + 29 * 86_400_000);

    const me = await t.request('/api/auth/me', { token: tok.token });
    expect(await me.json()).toMatchObject({ email: 'carol@example.com' });

    const list = (await (await t.request('/api/auth/tokens', { token: u.token })).json()) as {
      items: Record<string, unknown>[];
    };
    expect(list.items).toHaveLength(1);
    expect(list.items[0]).toMatchObject({ id: tok.id, name: 'ci' });
    expect(list.items[0]).not.toHaveProperty('token');
    expect(list.items[0]?.['last_used_at']).toEqual(expect.any(Number));

    // Someone else cannot revoke it.
    expect(
      (await t.request(`/api/auth/tokens/${tok.id}`, { method: 'DELETE', token: t.adminToken })).status,
    ).toBe(404);
    expect((await t.request(`/api/auth/tokens/${tok.id}`, { method: 'DELETE', token: u.token })).status).toBe(
      204,
    );
    expect((await t.request('/api/auth/me', { token: tok.token })).status).toBe(401);
    const after = (await (await t.request('/api/auth/tokens', { token: u.token })).json()) as {
      items: unknown[];
    };
    expect(after.items).toEqual([]);
  });

  it('lets admins create users (201, duplicate 409) and refuses non-admins (403)', async () => {
    await using t = await startTestApp();
    const create = (token: string, email: string) =>
      t.request('/api/auth/users', {
        method: 'POST',
        token,
        json: { email, password: 'new-user-password-123' },
      });
    const res = await create(t.adminToken, 'dave@example.com');
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ email: 'dave@example.com', role: 'user', active: true });
    const dup = await create(t.adminToken, 'DAVE@example.com');
    expect(dup.status).toBe(409);
    expect(((await dup.json()) as { error: { code: string } }).error.code).toBe('CONFLICT');

    const u = await t.createUser('erin@example.com');
    expect((await create(u.token, 'frank@example.com')).status).toBe(403);
    expect((await t.request('/api/auth/users', { token: u.token })).status).toBe(403);
    const users = (await (await t.request('/api/auth/users', { token: t.adminToken })).json()) as {
      items: { email: string }[];
    };
    expect(users.items.map((x) => x.email)).toEqual([ADMIN.email, 'dave@example.com', 'erin@example.com']);
  });

  it('does not let an admin deactivate themself (409)', async () => {
    await using t = await startTestApp();
    const me = (await (await t.request('/api/auth/me', { token: t.adminToken })).json()) as { id: number };
    const res = await t.request(`/api/auth/users/${me.id}`, {
      method: 'PATCH',
      token: t.adminToken,
      json: { active: false },
    });
    expect(res.status).toBe(409);
    expect((await t.request('/api/auth/me', { token: t.adminToken })).status).toBe(200);
  });

  it('refuses cookie writes from a foreign Origin but allows Bearer ones', async () => {
    await using t = await startTestApp();
    const cookie = `cg_session=${t.adminToken}`;
    const foreign = await t.request('/api/auth/tokens', {
      method: 'POST',
      json: { name: 'x' },
      headers: { cookie, origin: 'https://evil.example' },
    });
    expect(foreign.status).toBe(403);
    const viaReferer = await t.request('/api/auth/tokens', {
      method: 'POST',
      json: { name: 'x' },
      headers: { cookie, referer: 'https://evil.example/page' },
    });
    expect(viaReferer.status).toBe(403);
    const same = await t.request('/api/auth/tokens', {
      method: 'POST',
      json: { name: 'x' },
      headers: { cookie, origin: t.url },
    });
    expect(same.status).toBe(201);
    const bearer = await t.request('/api/auth/tokens', {
      method: 'POST',
      json: { name: 'y' },
      token: t.adminToken,
      headers: { origin: 'https://evil.example' },
    });
    expect(bearer.status).toBe(201);
    // Safe methods are not state-changing, so a foreign Origin may read with the cookie.
    expect(
      (await t.request('/api/auth/me', { headers: { cookie, origin: 'https://evil.example' } })).status,
    ).toBe(200);
  });

  it('rate-limits login attempts per IP and email with Retry-After', async () => {
    await using t = await startTestApp({ LOGIN_RATE_LIMIT_PER_MIN: '3' });
    const attempt = (email: string) =>
      t.request('/api/auth/login', { method: 'POST', json: { email, password: 'wrong-password' } });
    for (let i = 0; i < 3; i++) expect((await attempt('x@example.com')).status).toBe(401);
    const limited = await attempt('x@example.com');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
    expect((await attempt('y@example.com')).status).toBe(401);
  });
});
