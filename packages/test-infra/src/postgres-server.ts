import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.ts';
import { run } from './run.ts';

export const POSTGRES_BIN_DIR = '/usr/lib/postgresql/15/bin';

export interface PostgresInstance {
  /** URL of the `postgres` database (superuser `postgres`, trust auth on loopback). */
  url: string;
  port: number;
  /** Creates an empty database and returns its URL: tests share one server, each gets its own database. */
  createDatabase(prefix?: string): Promise<string>;
  /** Stops the server at once (`-m immediate`, as a crash would) and keeps its port and data for a restart. */
  kill(): Promise<void>;
  /** Starts it again on the same port with the same data. */
  restart(): Promise<void>;
  /** Stops the server (fast shutdown) and removes its folder. */
  stop(): Promise<void>;
}

export function hasPostgres(): boolean {
  return existsSync(path.join(POSTGRES_BIN_DIR, 'initdb'));
}

/**
 * A private PostgreSQL 15 on a free port in a temp folder. PostgreSQL refuses to run as root, so as
 * root the folder is given to the `postgres` user (the Debian package creates it) and the tools run
 * through `runuser`.
 */
export async function startPostgres(): Promise<PostgresInstance> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cg-pg-'));
  const dataDir = path.join(dir, 'pg');
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const ids = await run('id', ['-u', 'postgres']).then(async (uid) => ({
      uid: Number(uid.trim()),
      gid: Number((await run('id', ['-g', 'postgres'])).trim()),
    }));
    chownSync(dir, ids.uid, ids.gid);
  }
  const tool = (name: string, args: string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', path.join(POSTGRES_BIN_DIR, name), ...args])
      : run(path.join(POSTGRES_BIN_DIR, name), args);

  await tool('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const start = () =>
    tool('pg_ctl', [
      '-D',
      dataDir,
      '-l',
      path.join(dir, 'log'),
      '-w',
      'start',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
    ]);
  await start();
  const psql = (sql: string) =>
    tool('psql', [
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '-U',
      'postgres',
      '-v',
      'ON_ERROR_STOP=1',
      '-c',
      sql,
    ]);
  const base = `postgres://postgres@127.0.0.1:${port}`;
  return {
    url: `${base}/postgres`,
    port,
    async createDatabase(prefix = 'test') {
      const name = `${prefix}_${randomBytes(6).toString('hex')}`;
      await psql(`CREATE DATABASE ${name}`);
      return `${base}/${name}`;
    },
    async kill() {
      await tool('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
    },
    async restart() {
      await start();
    },
    async stop() {
      await tool('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
