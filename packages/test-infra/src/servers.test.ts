import { connect } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { run } from './run.ts';
import { POSTGRES_BIN_DIR, startPostgres } from './postgres-server.ts';
import { REDIS_SERVER_BIN, startRedis } from './redis-server.ts';

const redisCli = REDIS_SERVER_BIN.replace('redis-server', 'redis-cli');
const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });

describe('startRedis', () => {
  it('answers on its port, survives a hard kill by restarting empty, and stops', async () => {
    const redis = await startRedis();
    expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
    await run(redisCli, ['-p', String(redis.port), 'SET', 'k', 'v']);
    expect((await run(redisCli, ['-p', String(redis.port), 'GET', 'k'])).trim()).toBe('v');
    await redis.kill({ hard: true });
    expect(await refused(redis.port)).toBe(true);
    await redis.restart();
    expect((await run(redisCli, ['-p', String(redis.port), 'GET', 'k'])).trim()).toBe('');
    await redis.stop();
    expect(await refused(redis.port)).toBe(true);
  });
});

describe('startPostgres', () => {
  it('gives each caller its own database and stops', async () => {
    const pg = await startPostgres();
    const a = await pg.createDatabase('alpha');
    const b = await pg.createDatabase('alpha');
    expect(a).not.toBe(b);
    expect(a).toMatch(new RegExp(`^postgres://postgres@127\\.0\\.0\\.1:${pg.port}/alpha_[0-9a-f]{12}$`));
    const out = await run(path.join(POSTGRES_BIN_DIR, 'psql'), [a, '-tAc', 'SELECT current_database()']);
    expect(a.endsWith(`/${out.trim()}`)).toBe(true);
    await pg.stop();
    expect(await refused(pg.port)).toBe(true);
  });

  it('survives an immediate stop by restarting on the same port with its data', async () => {
    const pg = await startPostgres();
    try {
      const db = await pg.createDatabase('kept');
      const psql = (sql: string) => run(path.join(POSTGRES_BIN_DIR, 'psql'), [db, '-tAc', sql]);
      await psql("CREATE TABLE t (v text); INSERT INTO t VALUES ('kept')");
      await pg.kill();
      expect(await refused(pg.port)).toBe(true);
      await pg.restart();
      expect((await psql('SELECT v FROM t')).trim()).toBe('kept');
    } finally {
      await pg.stop();
    }
  });
});
