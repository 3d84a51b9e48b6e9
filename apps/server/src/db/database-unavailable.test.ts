import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { toErrorResponse } from '../errors.ts';
import { databaseUnavailable, isDatabaseUnavailable } from './database-unavailable.ts';
import { retryWhileUnavailable } from './retry-while-unavailable.ts';
import { connectDatabase, openDatabase } from './open-db.ts';
import { isUniqueViolation } from './unique-violation.ts';
import { withUnavailableErrors } from './unavailable-dialect.ts';

const coded = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['ECONNREFUSED', coded('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['ECONNRESET', coded('ECONNRESET')],
    ['57P01 admin_shutdown', coded('57P01', 'terminating connection due to administrator command')],
    ['57P03 cannot_connect_now', coded('57P03', 'the database system is starting up')],
    ['08006 connection_failure', coded('08006')],
    ['08P01 protocol_violation', coded('08P01')],
    ['a dropped socket', new Error('Connection terminated unexpectedly')],
    ['the pool connect timeout', new Error('timeout exceeded when trying to connect')],
    ['SQLITE_BUSY', coded('SQLITE_BUSY', 'database is locked')],
    ['SQLITE_BUSY_SNAPSHOT', coded('SQLITE_BUSY_SNAPSHOT')],
    ['SQLITE_IOERR_WRITE', coded('SQLITE_IOERR_WRITE')],
    ['SQLITE_CANTOPEN', coded('SQLITE_CANTOPEN')],
    ['an AggregateError of refused addresses', new AggregateError([coded('ECONNREFUSED')], '')],
    ['a wrapped cause', new Error('outer', { cause: coded('57P01') })],
  ])('recognises %s', (_name, err) => {
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it.each([
    ['a unique violation', coded('23505')],
    ['a syntax error', coded('42601')],
    ['an undefined table', coded('42P01')],
    ['a SQLite constraint', coded('SQLITE_CONSTRAINT_UNIQUE')],
    ['SQLITE_ERROR', coded('SQLITE_ERROR', 'no such table: nope')],
    ['a plain error', new Error('boom')],
    ['a non-error', 'ECONNREFUSED'],
    ['null', null],
  ])('leaves %s alone', (_name, err) => {
    expect(isDatabaseUnavailable(err)).toBe(false);
  });

  it('answers 503 DATABASE_UNAVAILABLE with Retry-After and without the address', () => {
    const res = toErrorResponse(
      databaseUnavailable(coded('ECONNREFUSED', 'connect ECONNREFUSED db.internal:5432')),
    );
    expect(res.status).toBe(503);
    expect(res.headers['Retry-After']).toBe('2');
    expect(res.body.error.code).toBe('DATABASE_UNAVAILABLE');
    expect(JSON.stringify(res.body)).not.toContain('db.internal');
  });
});

describe('the database handle', () => {
  it('turns SQLite locked past busy_timeout into DATABASE_UNAVAILABLE; query errors pass unchanged', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cg-db-busy-'));
    const file = path.join(dir, 'busy.db');
    const holder = new Database(file);
    holder.exec('CREATE TABLE t (x INTEGER PRIMARY KEY)');
    const mine = new Database(file);
    mine.pragma('busy_timeout = 20');
    const db = new Kysely<{ t: { x: number } }>({
      dialect: withUnavailableErrors(new SqliteDialect({ database: mine })),
    });
    try {
      await db.insertInto('t').values({ x: 1 }).execute();
      const dup = await db
        .insertInto('t')
        .values({ x: 1 })
        .execute()
        .catch((e: unknown) => e);
      expect(isUniqueViolation(dup)).toBe(true);
      holder.exec('BEGIN EXCLUSIVE');
      await expect(db.selectFrom('t').selectAll().execute()).rejects.toMatchObject({
        code: 'DATABASE_UNAVAILABLE',
        cause: { code: 'SQLITE_BUSY' },
      });
      await expect(
        db.transaction().execute((tx) => tx.insertInto('t').values({ x: 2 }).execute()),
      ).rejects.toMatchObject({
        code: 'DATABASE_UNAVAILABLE',
      });
      holder.exec('COMMIT');
      await expect(db.selectFrom('t').select('x').execute()).resolves.toEqual([{ x: 1 }]);
    } finally {
      await db.destroy();
      holder.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('turns a refused PostgreSQL connection into DATABASE_UNAVAILABLE, but not at start', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const databaseUrl = `postgres://x@127.0.0.1:${port}/x`;
    const db = connectDatabase({ rootDir: tmpdir(), databaseUrl });
    try {
      await expect(sql`SELECT 1`.execute(db)).rejects.toMatchObject({
        code: 'DATABASE_UNAVAILABLE',
        message: expect.not.stringContaining(String(port)),
      });
    } finally {
      await db.destroy();
    }
    // Starting, the operator sees the real cause with its address.
    await expect(openDatabase({ rootDir: tmpdir(), databaseUrl })).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
  });
});

describe('retryWhileUnavailable', () => {
  it('retries while the database is unavailable, and only then', async () => {
    let calls = 0;
    const flaky = () => (++calls < 3 ? Promise.reject(databaseUnavailable(null)) : Promise.resolve('ok'));
    await expect(retryWhileUnavailable(flaky)).resolves.toBe('ok');
    expect(calls).toBe(3);
    calls = 0;
    const broken = () => (++calls, Promise.reject(coded('42601')));
    await expect(retryWhileUnavailable(broken)).rejects.toMatchObject({ code: '42601' });
    expect(calls).toBe(1);
    await expect(
      retryWhileUnavailable(() => Promise.reject(databaseUnavailable(null)), 50),
    ).rejects.toMatchObject({
      code: 'DATABASE_UNAVAILABLE',
    });
  });
});
