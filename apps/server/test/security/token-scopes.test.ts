import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { LEGACY_SQLITE_MIGRATIONS } from '../../src/db/fixtures/legacy-sqlite-migrations.ts';
import { MIGRATIONS } from '../../src/db/migrations.ts';
import { appRouter, createCallerFactory, createContextInner } from '@comfy-gateway/api';
import { DB_FILE_NAME, openDatabase } from '../../src/db/open-db.ts';
import { startTestApp } from '../fixture.ts';
import { createApiToken, openRawWs, trpcError, trpcHttp } from './security-kit.ts';

const DAY = 86_400_000;

// Every REST write of the API, with a body that would pass validation where one is needed.
const REST_WRITES: { method: string; path: string; json?: unknown }[] = [
  { method: 'POST', path: '/api/comfy/queue', json: { workflow: { '1': { class_type: 'X', inputs: {} } } } },
  { method: 'POST', path: '/api/comfy/text2img', json: { prompt: 'a cat' } },
  { method: 'POST', path: '/api/comfy/cancel/some-prompt' },
  { method: 'POST', path: '/api/comfy/ingest', json: { prompt_id: 'p', filename: 'a.png' } },
  { method: 'DELETE', path: '/api/gallery/0123456789abcdef' },
  { method: 'POST', path: '/api/auth/tokens', json: { name: 'more' } },
  { method: 'DELETE', path: '/api/auth/tokens/999' },
  { method: 'POST', path: '/api/auth/password', json: { current_password: 'x', new_password: 'y' } },
  { method: 'POST', path: '/api/auth/logout' },
];

describe('API token scopes', () => {
  it('gives a read-only token of a second user 403 naming the scope on every REST write, reads pass', async () => {
    await using t = await startTestApp();
    const bob = await t.createUser('bob@example.com');
    const ro = await createApiToken(t, bob.token, { scopes: ['read'] });
    expect(ro.scopes).toEqual(['read']);
    for (const p of ['/api/auth/me', '/api/auth/tokens', '/api/gallery']) {
      expect((await t.request(p, { token: ro.token })).status, p).toBe(200);
    }
    const full = await createApiToken(t, bob.token);
    for (const w of REST_WRITES) {
      const res = await t.request(w.path, { method: w.method, token: ro.token, json: w.json });
      expect(res.status, `${w.method} ${w.path}`).toBe(403);
      expect(await res.json()).toMatchObject({
        error: { code: 'FORBIDDEN', message: "this token lacks the 'generate' scope" },
      });
      // The same call with a read + generate token gets past the scope check (whatever it answers then).
      const ok = await t.request(w.path, { method: w.method, token: full.token, json: w.json });
      expect(ok.status, `${w.method} ${w.path} with generate`).not.toBe(403);
    }
    // Scopes cut both ways: a generate-only token cannot read.
    const wo = await createApiToken(t, bob.token, { scopes: ['generate'] });
    const read = await t.request('/api/gallery', { token: wo.token });
    expect(read.status).toBe(403);
    expect(((await read.json()) as { error: { message: string } }).error.message).toMatch(/'read'/);
  });

  it('refuses read-only tokens on tRPC mutations over HTTP, WebSocket and a caller', async () => {
    await using t = await startTestApp();
    const bob = await t.createUser('bob@example.com');
    const ro = await createApiToken(t, bob.token, { scopes: ['read'] });
    const http = trpcHttp(t, ro.token);
    await expect(http.auth.me.query()).resolves.toMatchObject({ email: 'bob@example.com' });
    await expect(http.gallery.list.query({ limit: 5 })).resolves.toMatchObject({ items: [] });
    const mutations = [
      http.auth.tokens.create.mutate({ name: 'x' }),
      http.auth.tokens.revoke.mutate({ id: 1 }),
      http.auth.changePassword.mutate({
        current_password: 'user-password-1',
        new_password: 'a-new-password-9',
      }),
      http.gallery.remove.mutate({ id: '0123456789abcdef' }),
      http.comfy.queue.mutate({ workflow: { '1': { class_type: 'X', inputs: {} } } }),
      http.comfy.text2img.mutate({ caption: 'a cat' }),
      http.comfy.cancel.mutate({ prompt_id: 'p' }),
      http.auth.logout.mutate(),
    ];
    for (const m of mutations) {
      expect(await trpcError(m)).toMatchObject({
        code: 'FORBIDDEN',
        httpStatus: 403,
        message: "this token lacks the 'generate' scope",
      });
    }

    const ws = await openRawWs(t, ro.token);
    try {
      expect((await ws.call('auth.me')).result?.type).toBe('data');
      const denied = await ws.call('auth.tokens.create', { type: 'mutation', input: { name: 'x' } });
      expect(denied.error?.json).toMatchObject({
        message: "this token lacks the 'generate' scope",
        data: { code: 'FORBIDDEN', httpStatus: 403 },
      });
      const cancel = await ws.call('comfy.cancel', { type: 'mutation', input: { prompt_id: 'p' } });
      expect(cancel.error?.json.data.code).toBe('FORBIDDEN');
    } finally {
      ws.ws.close();
    }

    const user = await t.services.auth.getUser(bob.id);
    const caller = createCallerFactory(appRouter)(
      createContextInner({ services: t.services, user, scopes: ['read'] }),
    );
    await expect(caller.auth.me()).resolves.toMatchObject({ id: bob.id });
    await expect(caller.auth.tokens.create({ name: 'x' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('defaults to read + generate and TOKEN_DEFAULT_EXPIRY_DAYS, keeps admin for admins only', async () => {
    await using t = await startTestApp({ TOKEN_DEFAULT_EXPIRY_DAYS: '7' });
    const bob = await t.createUser('bob@example.com');
    const before = Date.now();
    const tok = await createApiToken(t, bob.token);
    expect(tok.scopes).toEqual(['read', 'generate']);
    expect(tok.expires_at).toBeGreaterThanOrEqual(before + 7 * DAY);
    expect(tok.expires_at).toBeLessThanOrEqual(Date.now() + 7 * DAY);
    const listed = (await (await t.request('/api/auth/tokens', { token: bob.token })).json()) as {
      items: { scopes: string[] }[];
    };
    expect(listed.items[0]?.scopes).toEqual(['read', 'generate']);

    const asUser = await t.request('/api/auth/tokens', {
      method: 'POST',
      token: bob.token,
      json: { name: 'x', scopes: ['read', 'admin'] },
    });
    expect(asUser.status).toBe(400);
    expect(((await asUser.json()) as { error: { message: string } }).error.message).toMatch(/^scopes: /);

    // An admin's token without `admin` cannot manage users; with it, it can.
    const plain = await createApiToken(t, t.adminToken);
    const refused = await t.request('/api/auth/users', { token: plain.token });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/'admin'/);
    expect(await trpcError(trpcHttp(t, plain.token).auth.users.list.query())).toMatchObject({
      code: 'FORBIDDEN',
    });
    const admin = await createApiToken(t, t.adminToken, { scopes: ['read', 'admin'] });
    expect((await t.request('/api/auth/users', { token: admin.token })).status).toBe(200);
    // ... and a token cannot mint a stronger one than itself.
    const escalate = await t.request('/api/auth/tokens', {
      method: 'POST',
      token: plain.token,
      json: { name: 'y', scopes: ['read', 'generate', 'admin'] },
    });
    expect(escalate.status).toBe(400);
  });

  it('loses the admin scope when its admin is demoted', async () => {
    await using t = await startTestApp();
    const carol = await t.createUser('carol@example.com', 'admin');
    const tok = await createApiToken(t, carol.token, { scopes: ['read', 'generate', 'admin'] });
    expect((await t.request('/api/auth/users', { token: tok.token })).status).toBe(200);
    await trpcHttp(t, t.adminToken).auth.users.update.mutate({ id: carol.id, patch: { role: 'user' } });
    expect((await t.request('/api/auth/users', { token: tok.token })).status).toBe(403);
  });

  it('migrates tokens made before scopes: admins keep admin, others read + generate', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cg-scopes-'));
    const db = new Database(path.join(dir, DB_FILE_NAME));
    try {
      // A database as the released version 1 left it.
      db.exec(LEGACY_SQLITE_MIGRATIONS[0]?.sql ?? '');
      db.exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL);
        INSERT INTO schema_migrations VALUES (1, 'initial', 0);
        INSERT INTO users (id, email, password_hash, role, created_at) VALUES (1, 'a@x.co', 'h', 'admin', 0), (2, 'u@x.co', 'h', 'user', 0);
        INSERT INTO api_tokens (user_id, name, prefix, token_hash, created_at) VALUES (1, 'a', 'p', 'h1', 0), (2, 'u', 'p', 'h2', 0);`);
      db.close();
      const migrated = await openDatabase({ rootDir: dir });
      try {
        expect(
          await migrated.selectFrom('api_tokens').select(['user_id', 'scopes']).orderBy('user_id').execute(),
        ).toEqual([
          { user_id: 1, scopes: 'read,generate,admin' },
          { user_id: 2, scopes: 'read,generate' },
        ]);
        expect(await migrated.selectFrom('schema_migrations').select('version').execute()).toHaveLength(
          MIGRATIONS.length,
        );
      } finally {
        await migrated.destroy();
      }
    } finally {
      if (db.open) db.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
