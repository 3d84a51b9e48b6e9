import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { LEGACY_SQLITE_MIGRATIONS } from '../../src/db/fixtures/legacy-sqlite-migrations.ts';
import { DB_FILE_NAME, openDatabase } from '../../src/db/open-db.ts';
import { isUniqueViolation } from '../../src/db/unique-violation.ts';
import { createGalleryService } from '../../src/gallery/gallery-service.ts';
import { startTestApp } from '../fixture.ts';
import type { TestApp } from '../fixture.ts';
import { makePng } from '../images.ts';
import { failureOf, ingestAs, trpcHttp, trpcWs } from './served-kit.ts';

const SECRET_WORKFLOW = { '1': { class_type: 'CLIPTextEncode', inputs: { text: 'a secret prompt' } } };

/** User A owns one item (with workflow and metadata); user B exists beside. */
async function twoUsers(t: TestApp) {
  const a = await t.createUser('alice@example.com');
  const b = await t.createUser('bob@example.com');
  const bytes = makePng();
  const { item } = await ingestAs(t, a.token, bytes, {
    workflow: JSON.stringify(SECRET_WORKFLOW),
    metadata: JSON.stringify({ caption: 'alice private caption' }),
  });
  return { a, b, bytes, item };
}

/** Nothing of A's item may appear in what B receives. */
function expectNoLeak(text: string, id: string) {
  expect(text).not.toContain('alice@example.com');
  expect(text).not.toContain('a secret prompt');
  expect(text).not.toContain('alice private caption');
  expect(text).not.toMatch(new RegExp(`"id":"${id}"`));
}

describe('gallery isolation over REST', () => {
  it("B lists nothing of A's and gets 404 (the unknown-id body) for detail, file and delete", async () => {
    await using t = await startTestApp();
    const { a, b, item } = await twoUsers(t);

    const list = await t.request('/api/gallery', { token: b.token });
    const listText = await list.text();
    expect(list.status).toBe(200);
    expect(JSON.parse(listText)).toEqual({ items: [], next_cursor: null });
    expectNoLeak(listText, item.id);

    const seen: Record<string, { status: number; body: string }> = {};
    for (const [name, p, method] of [
      ['detail', `/api/gallery/${item.id}`, 'GET'],
      ['file', `/api/gallery/${item.id}/file`, 'GET'],
      ['delete', `/api/gallery/${item.id}`, 'DELETE'],
    ] as const) {
      const res = await t.request(p, { token: b.token, method });
      seen[name] = { status: res.status, body: await res.text() };
      expect(seen[name].status).toBe(404);
      expectNoLeak(seen[name].body, 'never');
    }
    // B's delete changed nothing: A still has the item and its file.
    expect((await t.request(`/api/gallery/${item.id}/file`, { token: a.token })).status).toBe(200);

    // Once the id really is unknown, B gets byte-for-byte the same answers.
    expect((await t.request(`/api/gallery/${item.id}`, { token: a.token, method: 'DELETE' })).status).toBe(
      204,
    );
    for (const [name, p, method] of [
      ['detail', `/api/gallery/${item.id}`, 'GET'],
      ['file', `/api/gallery/${item.id}/file`, 'GET'],
      ['delete', `/api/gallery/${item.id}`, 'DELETE'],
    ] as const) {
      const res = await t.request(p, { token: b.token, method });
      expect({ status: res.status, body: await res.text() }).toEqual(seen[name]);
    }
  });

  it('the owner sees the item in full; an admin sees everyone, filters by ?user=<id>|all and may delete', async () => {
    await using t = await startTestApp();
    const { a, b, item } = await twoUsers(t);
    const { item: bItem } = await ingestAs(t, b.token);

    const own = (await (await t.request(`/api/gallery/${item.id}`, { token: a.token })).json()) as {
      sidecar: { ingested_by: { email: string }; workflow: unknown };
    };
    expect(own.sidecar.ingested_by.email).toBe('alice@example.com');
    expect(own.sidecar.workflow).toEqual(SECRET_WORKFLOW);
    const aList = (await (await t.request('/api/gallery', { token: a.token })).json()) as {
      items: { id: string }[];
    };
    expect(aList.items.map((i) => i.id)).toEqual([item.id]);

    const ids = async (q: string) =>
      (
        (await (await t.request(`/api/gallery${q}`, { token: t.adminToken })).json()) as {
          items: { id: string }[];
        }
      ).items.map((i) => i.id);
    expect(await ids('')).toEqual([bItem.id, item.id]);
    expect(await ids('?user=all')).toEqual([bItem.id, item.id]);
    expect(await ids(`?user=${a.id}`)).toEqual([item.id]);
    expect(await ids(`?user=${b.id}&limit=1`)).toEqual([bItem.id]);
    expect(await ids('?user=9999')).toEqual([]);
    expect((await t.request(`/api/gallery/${item.id}/file`, { token: t.adminToken })).status).toBe(200);
    expect(
      (await t.request(`/api/gallery/${item.id}`, { token: t.adminToken, method: 'DELETE' })).status,
    ).toBe(204);
    expect((await t.request(`/api/gallery/${item.id}`, { token: a.token })).status).toBe(404);
  });

  it('non-admins may pass only their own id as ?user (403 otherwise, 400 for garbage)', async () => {
    await using t = await startTestApp();
    const { a, b, item } = await twoUsers(t);
    const own = await t.request(`/api/gallery?user=${a.id}`, { token: a.token });
    expect(((await own.json()) as { items: { id: string }[] }).items.map((i) => i.id)).toEqual([item.id]);
    for (const q of [`?user=${a.id}`, '?user=all', '?user=9999']) {
      const res = await t.request(`/api/gallery${q}`, { token: b.token });
      expect(res.status).toBe(403);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error).toEqual({
        code: 'FORBIDDEN',
        message: "user: only admins may list other users' items",
      });
    }
    const bad = await t.request('/api/gallery?user=alice', { token: b.token });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/^user: /);
  });
});

describe('per-owner dedup over one stored file', () => {
  it('the same bytes from A and B are two items over one file; deleting one keeps the other', async () => {
    await using t = await startTestApp();
    const { a, b, bytes, item } = await twoUsers(t);

    const again = await ingestAs(t, a.token, bytes);
    expect(again).toMatchObject({ status: 200, item: { id: item.id, deduplicated: true } });

    // B learns nothing from the answer: a new item (201), like bytes nobody had.
    const fromB = await ingestAs(t, b.token, bytes, { metadata: JSON.stringify({ caption: 'bob' }) });
    expect(fromB.status).toBe(201);
    expect(fromB.item.deduplicated).toBe(false);
    expect(fromB.item.id).not.toBe(item.id);
    expectNoLeak(JSON.stringify(fromB.item), item.id);
    const bDetail = await (await t.request(`/api/gallery/${fromB.item.id}`, { token: b.token })).text();
    expectNoLeak(bDetail, item.id);
    expect(JSON.parse(bDetail)).toMatchObject({
      caption: 'bob',
      sidecar: { ingested_by: { email: 'bob@example.com' } },
    });

    // One stored file (same inode), two sidecars.
    const fileA = path.join(t.rootDir, item.path);
    const fileB = path.join(t.rootDir, fromB.item.path);
    expect((await stat(fileA)).ino).toBe((await stat(fileB)).ino);
    expect(item.sidecar_path).not.toBe(fromB.item.sidecar_path);

    expect((await t.request(`/api/gallery/${item.id}`, { token: a.token, method: 'DELETE' })).status).toBe(
      204,
    );
    const kept = await t.request(`/api/gallery/${fromB.item.id}/file`, { token: b.token });
    expect(kept.status).toBe(200);
    expect(Buffer.from(await kept.arrayBuffer())).toEqual(bytes);
    await expect(stat(path.join(t.rootDir, item.sidecar_path))).rejects.toThrow();

    expect(
      (await t.request(`/api/gallery/${fromB.item.id}`, { token: b.token, method: 'DELETE' })).status,
    ).toBe(204);
    await expect(stat(fileB)).rejects.toThrow();
  });

  it("another day's copy is a hard link in the new owner's day, so the path tells nothing", async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'cg-gallery-owners-'));
    const db = await openDatabase({ rootDir: root });
    try {
      let now = Date.parse('2026-01-01T10:00:00Z');
      const gallery = await createGalleryService({
        rootDir: root,
        db,
        maxBytes: 1 << 20,
        clock: { now: () => now },
      });
      const bytes = makePng();
      const ingest = (user: { id: number; email: string }) =>
        gallery.ingestStream({
          stream: Readable.from([bytes]),
          promptId: null,
          workflow: null,
          metadata: null,
          originalName: null,
          user,
        });
      const a = await ingest({ id: 1, email: 'a@example.com' });
      now = Date.parse('2026-01-02T10:00:00Z');
      const b = await ingest({ id: 2, email: 'b@example.com' });
      expect(a.path).toMatch(/^generated\/comfy\/2026-01-01\//);
      expect(b.path).toMatch(/^generated\/comfy\/2026-01-02\//);
      expect((await stat(path.join(root, a.path))).ino).toBe((await stat(path.join(root, b.path))).ino);

      await gallery.remove(a.id, { id: 1, role: 'user' });
      expect(await readFile(path.join(root, b.path))).toEqual(bytes);
      await expect(gallery.remove(b.id, { id: 1, role: 'user' })).rejects.toMatchObject({
        code: 'NOT_FOUND',
      });

      // The index rebuilt from the sidecars keeps B's item with B as owner.
      await db.deleteFrom('gallery').execute();
      expect(await gallery.rebuildIndex()).toEqual({ indexed: 1, skipped: 0 });
      expect((await gallery.list({ limit: 10 }, { id: 2, role: 'user' })).items.map((i) => i.id)).toEqual([
        b.id,
      ]);
      expect((await gallery.list({ limit: 10 }, { id: 1, role: 'user' })).items).toEqual([]);
    } finally {
      await db.destroy();
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('gallery isolation over tRPC', () => {
  it('HTTP: B lists nothing of A and gets NOT_FOUND from byId and remove; an admin sees all', async () => {
    await using t = await startTestApp();
    const { a, b, item } = await twoUsers(t);
    const bc = trpcHttp(t, b.token);
    expect(await bc.gallery.list.query({ limit: 50 })).toEqual({ items: [], next_cursor: null });
    for (const call of [bc.gallery.byId.query({ id: item.id }), bc.gallery.remove.mutate({ id: item.id })]) {
      const err = await failureOf(call);
      expect(err.data).toMatchObject({ code: 'NOT_FOUND', httpStatus: 404 });
      expect(err.message).toBe(`gallery item ${item.id} not found`);
    }
    expect((await failureOf(bc.gallery.list.query({ limit: 5, user: 'all' }))).data).toMatchObject({
      code: 'FORBIDDEN',
    });

    const ac = trpcHttp(t, a.token);
    expect((await ac.gallery.byId.query({ id: item.id })).sidecar.workflow).toEqual(SECRET_WORKFLOW);
    const admin = trpcHttp(t, t.adminToken);
    expect((await admin.gallery.list.query({ limit: 50 })).items.map((i) => i.id)).toEqual([item.id]);
    expect((await admin.gallery.list.query({ limit: 50, user: b.id })).items).toEqual([]);
    await expect(admin.gallery.remove.mutate({ id: item.id })).resolves.toEqual({ ok: true });
    expect((await ac.gallery.list.query({ limit: 50 })).items).toEqual([]);
  });

  it('WebSocket: B lists nothing of A and gets NOT_FOUND; A still owns the item', async () => {
    await using t = await startTestApp();
    const { a, b, item } = await twoUsers(t);
    await using bws = trpcWs(t, b.token);
    const bc = bws.client;
    expect(await bc.gallery.list.query({ limit: 50 })).toEqual({ items: [], next_cursor: null });
    for (const call of [bc.gallery.byId.query({ id: item.id }), bc.gallery.remove.mutate({ id: item.id })]) {
      expect((await failureOf(call)).data).toMatchObject({ code: 'NOT_FOUND' });
    }
    await using aws = trpcWs(t, a.token);
    expect((await aws.client.gallery.list.query({ limit: 50 })).items.map((i) => i.id)).toEqual([item.id]);
    await using adminWs = trpcWs(t, t.adminToken);
    expect(
      (await adminWs.client.gallery.list.query({ limit: 50, user: a.id })).items.map((i) => i.id),
    ).toEqual([item.id]);
  });
});

describe('migration 3 (gallery-owners)', () => {
  it('keeps existing rows and their recorded owner, and makes dedup unique per owner', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'cg-migrate-'));
    try {
      // A database as version 1 left it.
      const old = new Database(path.join(root, DB_FILE_NAME));
      old.exec(
        `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`,
      );
      const v1 = LEGACY_SQLITE_MIGRATIONS.find((m) => m.version === 1);
      old.exec(v1?.sql ?? '');
      old.prepare('INSERT INTO schema_migrations VALUES (1, ?, 0)').run('initial');
      old
        .prepare(
          `INSERT INTO gallery (id, hash, prompt_id, path, sidecar_path, mime, size, width, height, caption, created_at, created_by)
           VALUES ('aaaaaaaaaaaaaaaa', ?, NULL, 'p.png', 'p.json', 'image/png', 1, NULL, NULL, 'c', '2026-01-01T00:00:00Z', 7)`,
        )
        .run('a'.repeat(64));
      old.close();

      const db = await openDatabase({ rootDir: root });
      try {
        expect(await db.selectFrom('gallery').select(['id', 'created_by', 'caption']).execute()).toEqual([
          { id: 'aaaaaaaaaaaaaaaa', created_by: 7, caption: 'c' },
        ]);
        const insert = (id: string, owner: number) =>
          db
            .insertInto('gallery')
            .values({
              id,
              hash: 'a'.repeat(64),
              path: 'p.png',
              sidecar_path: `${id}.json`,
              mime: 'image/png',
              size: 1,
              created_at: '2026-01-01T00:00:00Z',
              created_by: owner,
            })
            .execute();
        await insert('bbbbbbbbbbbbbbbb', 8);
        expect(isUniqueViolation(await insert('cccccccccccccccc', 7).catch((e: unknown) => e))).toBe(true);
        expect(
          await db
            .selectFrom('schema_migrations')
            .select(['version', 'name'])
            .where('version', '=', 3)
            .execute(),
        ).toEqual([{ version: 3, name: 'gallery-owners' }]);
      } finally {
        await db.destroy();
      }
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
