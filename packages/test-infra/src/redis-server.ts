import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.ts';
import { run } from './run.ts';
import { alive, waitFor, waitForPort } from './wait.ts';

export const REDIS_SERVER_BIN = '/usr/bin/redis-server';

export interface RedisInstance {
  url: string;
  port: number;
  /** Kills the server (SIGKILL when `hard`, as a crash would) and keeps the port for a restart. */
  kill(options?: { hard?: boolean }): Promise<void>;
  /** Starts it again on the same port (empty: persistence is off, as in the tests' cluster). */
  restart(): Promise<void>;
  /** Stops it and removes its folder. */
  stop(): Promise<void>;
}

export function hasRedis(): boolean {
  return existsSync(REDIS_SERVER_BIN);
}

/** A private redis-server on a free port in a temp folder: no system service, nothing persisted. */
export async function startRedis(): Promise<RedisInstance> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cg-redis-'));
  const port = await freePort();
  const pidFile = path.join(dir, 'redis.pid');
  const start = async () => {
    await run(REDIS_SERVER_BIN, [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'yes',
      '--pidfile',
      pidFile,
    ]);
    await waitFor(() => existsSync(pidFile), 'redis-server pid file');
    await waitForPort(port);
  };
  const kill = async ({ hard = false } = {}) => {
    if (!existsSync(pidFile)) return;
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    try {
      process.kill(pid, hard ? 'SIGKILL' : 'SIGTERM');
    } catch {
      // already gone
    }
    await waitFor(() => !alive(pid), 'redis-server exit');
    rmSync(pidFile, { force: true });
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill,
    restart: start,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
