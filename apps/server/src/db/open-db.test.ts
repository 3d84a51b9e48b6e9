import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { DIALECTS, testDatabases } from '../../test/db-dialects.ts';
import { dialectOf } from './dialect.ts';
import { LEGACY_SQLITE_MIGRATIONS } from './fixtures/legacy-sqlite-migrations.ts';
import { migrate } from './migrate.ts';
import type { Migration } from './migrate.ts';
import { MIGRATIONS } from './migrations.ts';
import { DB_FILE_NAME, connectDatabase, openDatabase, pingDb } from './open-db.ts';
import { isUniqueViolation } from './unique-violation.ts';

const dbs = testDatabases();
const table = (version: number): Migration => ({
  version,
  name: `m${version}`,
  up: async (db) => {
    await sql.raw(`CREATE TABLE t${version} (x INTEGER)`).execute(db);
  },
});
const ALL_VERSIONS = MIGRATIONS.map((m) => m.version).sort((a, b) => a - b);

describe.each(DIALECTS)('database on %s', (dialect) => {
  it('applies every migration once and says which dialect it is', async () => {
    await using t = await dbs.open(dialect);
    expect(dialectOf(t.db)).toBe(dialect);
    const rows = await t.db.selectFrom('schema_migrations').select('version').orderBy('version').execute();
    expect(rows.map((r) => r.version)).toEqual(ALL_VERSIONS);
    expect(await migrate(t.db)).toBe(0);
  });

  it('runs each migration once, in version order, also one numbered below an applied one', async () => {
    await using t = await dbs.open(dialect);
    expect(await migrate(t.db, [table(104), table(101)])).toBe(2);
    // A branch merged later brings version 102: it still runs, and nothing runs twice.
    expect(await migrate(t.db, [table(101), table(102), table(104)])).toBe(1);
    expect(await migrate(t.db, [table(101), table(102), table(104)])).toBe(0);
    const rows = await t.db
      .selectFrom('schema_migrations')
      .select('version')
      .where('version', '>=', 100)
      .orderBy('version')
      .execute();
    expect(rows).toEqual([{ version: 101 }, { version: 102 }, { version: 104 }]);
  });

  it('rolls a failing migration back whole and records nothing', async () => {
    await using t = await dbs.open(dialect);
    const broken: Migration = {
      version: 110,
      name: 'broken',
      up: async (db) => {
        await sql.raw('CREATE TABLE half (x INTEGER)').execute(db);
        await sql.raw('CREATE TABLE half (x INTEGER)').execute(db);
      },
    };
    await expect(migrate(t.db, [broken])).rejects.toThrow();
    expect(await migrate(t.db, [table(110)])).toBe(1);
    await sql.raw('INSERT INTO t110 (x) VALUES (1)').execute(t.db);
    await expect(sql.raw('SELECT * FROM half').execute(t.db)).rejects.toThrow();
  });

  it('keeps email unique whatever its case, reported as a unique violation', async () => {
    await using t = await dbs.open(dialect);
    const user = (email: string) => ({ email, password_hash: 'x', role: 'user' as const, created_at: 1 });
    await t.db.insertInto('users').values(user('Alice@Example.com')).execute();
    const err = await t.db
      .insertInto('users')
      .values(user('alice@example.COM'))
      .execute()
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(isUniqueViolation(err)).toBe(true);
    expect(isUniqueViolation(new Error('other'))).toBe(false);
  });

  it('answers the readiness ping, and not once closed', async () => {
    const t = await dbs.open(dialect);
    expect(await pingDb(t.db)).toBe(true);
    await t[Symbol.asyncDispose]();
    expect(await pingDb(t.db, 500)).toBe(false);
  });
});

describe('database on postgres, several instances', () => {
  it('migrates once when instances start together on one database', async () => {
    const url = await (await dbs.postgres()).createDatabase();
    const dir = await mkdtemp(path.join(tmpdir(), 'cg-db-'));
    const opened = await Promise.all([1, 2, 3].map(() => openDatabase({ rootDir: dir, databaseUrl: url })));
    try {
      const rows = (await opened[0]?.selectFrom('schema_migrations').select('version').execute()) ?? [];
      expect(rows.map((r) => r.version).sort((a, b) => a - b)).toEqual(ALL_VERSIONS);
    } finally {
      await Promise.all(opened.map((db) => db.destroy()));
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answers the readiness ping with false within its timeout when the server does not answer', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const db = connectDatabase({ rootDir: tmpdir(), databaseUrl: `postgres://x@127.0.0.1:${port}/x` });
    try {
      const started = Date.now();
      expect(await pingDb(db, 300)).toBe(false);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      for (const s of sockets) s.destroy();
      await db.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('a SQLite database made before PostgreSQL support', () => {
  it('opens unchanged and keeps its users, jobs, tokens and gallery', async () => {
    const rootDir = await mkdtemp(path.join(tmpdir(), 'cg-legacy-'));
    try {
      const old = new Database(path.join(rootDir, DB_FILE_NAME));
      old.exec(
        'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
      );
      for (const m of [...LEGACY_SQLITE_MIGRATIONS].sort((a, b) => a.version - b.version)) {
        old.exec(m.sql);
        old.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(m.version, m.name);
      }
      old
        .prepare(
          "INSERT INTO users (email, password_hash, role, created_at, max_active_jobs) VALUES ('Ann@Example.com', 'h', 'admin', 1700000000000, 3)",
        )
        .run();
      old
        .prepare(
          "INSERT INTO api_tokens (user_id, name, prefix, token_hash, created_at) VALUES (1, 'ci', 'cg_', 'th', 1700000000001)",
        )
        .run();
      old
        .prepare(
          `INSERT INTO jobs (prompt_id, owner_id, kind, status, images_json, created_at, own_socket)
        VALUES ('p1', 1, 'text2img', 'completed', '[{"filename":"a.png","subfolder":"","type":"output"}]', 1700000000002, 1)`,
        )
        .run();
      old.prepare("INSERT INTO job_images VALUES ('p1', 'output', '', 'a.png')").run();
      old
        .prepare(
          `INSERT INTO gallery (id, hash, path, sidecar_path, mime, size, created_at, created_by)
        VALUES ('g1', 'h1', 'generated/x.png', 'generated/x.json', 'image/png', 10, '2026-01-01T00:00:00.000Z', 1)`,
        )
        .run();
      old.close();

      const db = await openDatabase({ rootDir });
      try {
        expect(await db.selectFrom('users').selectAll().execute()).toEqual([
          {
            id: 1,
            email: 'Ann@Example.com',
            password_hash: 'h',
            role: 'admin',
            active: 1,
            created_at: 1700000000000,
            max_active_jobs: 3,
          },
        ]);
        expect(await db.selectFrom('api_tokens').select(['name', 'scopes']).execute()).toEqual([
          { name: 'ci', scopes: 'read,generate' },
        ]);
        expect(
          await db.selectFrom('jobs').select(['prompt_id', 'status', 'owner_id', 'created_at']).execute(),
        ).toEqual([{ prompt_id: 'p1', status: 'completed', owner_id: 1, created_at: 1700000000002 }]);
        expect(await db.selectFrom('job_images').select('filename').execute()).toEqual([
          { filename: 'a.png' },
        ]);
        expect(await db.selectFrom('gallery').select(['id', 'created_by']).execute()).toEqual([
          { id: 'g1', created_by: 1 },
        ]);
        const versions = await db
          .selectFrom('schema_migrations')
          .select('version')
          .orderBy('version')
          .execute();
        expect(versions.map((v) => v.version)).toEqual(ALL_VERSIONS);
        // The old COLLATE NOCASE constraint still holds, and reads as a unique violation.
        const dup = await db
          .insertInto('users')
          .values({ email: 'ann@example.com', password_hash: 'h', role: 'user', created_at: 2 })
          .execute()
          .then(
            () => null,
            (e: unknown) => e,
          );
        expect(isUniqueViolation(dup)).toBe(true);
      } finally {
        await db.destroy();
      }
    } finally {
      await rm(rootDir, { recursive: true, force: true });
    }
  });
});
