import { describe, expect, it } from 'vitest';
import { DIALECTS, testDatabases } from '../../test/db-dialects.ts';
import { createAuthService } from './auth-service.ts';

const dbs = testDatabases();
const PW = 'user-password-1';

describe.each(DIALECTS)('auth stores on %s', (dialect) => {
  it('creates users once per email whatever its case, and logs them in', async () => {
    await using t = await dbs.open(dialect);
    const auth = createAuthService(t.db);
    const ann = await auth.createUser({ email: 'Ann@Example.com', password: PW, role: 'user' });
    expect(ann).toMatchObject({
      email: 'Ann@Example.com',
      role: 'user',
      active: true,
      max_active_jobs: null,
    });
    await expect(
      auth.createUser({ email: 'ann@example.COM', password: PW, role: 'user' }),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    const login = await auth.login('ANN@example.com', PW, { clientIp: 'x' });
    expect(login.user.id).toBe(ann.id);
    expect(await auth.authenticate(login.token)).toMatchObject({ id: ann.id });
    await expect(auth.login('ann@example.com', 'wrong-password-1', { clientIp: 'x' })).rejects.toMatchObject({
      code: 'UNAUTHORIZED',
    });
    expect((await auth.listUsers()).map((u) => u.id)).toEqual([ann.id]);
    expect(await auth.getUser(ann.id + 1)).toBeNull();
    await expect(auth.requireUserExists(ann.id + 1)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('creates, lists and revokes API tokens; a deactivation revokes sessions and tokens together', async () => {
    await using t = await dbs.open(dialect);
    let now = 1_700_000_000_000;
    const auth = createAuthService(t.db, { now: () => now });
    const bob = await auth.createUser({ email: 'bob@example.com', password: PW, role: 'user' });
    const session = (await auth.login('bob@example.com', PW, { clientIp: 'x' })).token;
    const a = await auth.createToken(bob, { name: 'a' });
    const b = await auth.createToken(bob, { name: 'b', scopes: ['read'] });
    expect((await auth.listTokens(bob.id)).map((x) => x.name)).toEqual(['b', 'a']);
    expect(await auth.authenticateCredential(b.token)).toMatchObject({ kind: 'api', scopes: ['read'] });
    now += 120_000;
    await auth.authenticateCredential(a.token);
    expect((await auth.listTokens(bob.id)).find((x) => x.id === a.id)?.last_used_at).toBe(now);
    await auth.revokeToken(bob.id, b.id);
    await expect(auth.revokeToken(bob.id, b.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await auth.authenticate(b.token)).toBeNull();

    await auth.setActive(bob.id, false);
    // A deactivated user is still found (403 rather than 401); reactivation revives nothing.
    expect(await auth.authenticate(session)).toMatchObject({ active: false });
    await auth.setActive(bob.id, true);
    expect(await auth.authenticate(session)).toBeNull();
    expect(await auth.authenticate(a.token)).toBeNull();
    expect(await auth.listTokens(bob.id)).toEqual([]);
  });

  it('changes a password keeping only the session that made the change, and prunes old sessions', async () => {
    await using t = await dbs.open(dialect);
    let now = 1_700_000_000_000;
    const auth = createAuthService(t.db, { now: () => now }, { sessionTtlMs: 3_600_000 });
    const cy = await auth.createUser({ email: 'cy@example.com', password: PW, role: 'admin' });
    const keep = await auth.login('cy@example.com', PW, { clientIp: 'x' });
    const other = await auth.login('cy@example.com', PW, { clientIp: 'x' });
    const kept = await auth.authenticateCredential(keep.token);
    await auth.changePassword(
      cy.id,
      { current_password: PW, new_password: 'new-password-22' },
      kept?.credential,
    );
    expect(await auth.authenticate(keep.token)).toMatchObject({ id: cy.id });
    expect(await auth.authenticate(other.token)).toBeNull();
    await auth.logout(keep.token);
    expect(await auth.authenticate(keep.token)).toBeNull();
    now += 2 * 86_400_000;
    expect(await auth.pruneSessions()).toBe(1);
    expect(await auth.bootstrapAdmin({ email: 'second@example.com', password: PW })).toBeNull();
  });
});
