import { mkdtemp, rm } from 'node:fs/promises';
import { createHttpServer } from '../src/server.ts';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Role } from '@comfy-gateway/schema';
import type { Clock } from '../src/auth/user-rows.ts';
import type { Express } from 'express';
import { createApp } from '../src/app.ts';
import Sqlite from 'better-sqlite3';
import { DB_FILE_NAME, openDatabase } from '../src/db/open-db.ts';
import type { Db } from '../src/db/open-db.ts';
import { loadConfig } from '../src/env.ts';
import type { ServerConfig } from '../src/env.ts';
import { createLogger } from '../src/http/logger.ts';
import { createServices } from '../src/services.ts';
import type { Services } from '../src/services.ts';

export const ADMIN = { email: 'admin@example.com', password: 'admin-password-1' };

export interface TestApp extends AsyncDisposable {
  url: string;
  rootDir: string;
  config: ServerConfig;
  /** The app's database (SQLite, or PostgreSQL with `DATABASE_URL`). */
  database: Db;
  /** A second connection to the SQLite file, for assertions in raw SQL; absent on PostgreSQL. */
  db: Sqlite.Database;
  services: Services;
  /** The Express app itself (to list its routes). */
  express: Express;
  /** A fresh session token for the admin created at start. */
  adminToken: string;
  /** Creates a user and logs in; returns the user id and a session token. */
  createUser(email: string, role?: Role): Promise<{ id: number; token: string }>;
  /** fetch against the app with an optional Bearer token and JSON body. */
  request(p: string, init?: RequestInit & { token?: string; json?: unknown }): Promise<Response>;
}

/**
 * A gateway on a random port over a temp ROOT_DIR; `await using` tears all of it down. With
 * `rootDir`, another instance over the same folder (cluster tests): the folder is left to its owner.
 */
export async function startTestApp(
  env: Record<string, string> = {},
  opts: {
    rootDir?: string;
    clock?: Clock;
    /** A cluster's dispatch lease timing (REDIS_URL and DATABASE_URL set). */
    leaseTiming?: { ttlMs?: number; renewEveryMs?: number; retryEveryMs?: number };
  } = {},
): Promise<TestApp> {
  const rootDir = opts.rootDir ?? (await mkdtemp(path.join(tmpdir(), 'cg-server-')));
  const config = loadConfig({ ROOT_DIR: rootDir, LOG_LEVEL: 'silent', ...env });
  const database = await openDatabase(config);
  // Opened after the migrations ran; on PostgreSQL tests use `database` instead.
  const raw = config.databaseUrl ? null : new Sqlite(path.join(rootDir, DB_FILE_NAME));
  const services = await createServices(config, database, {
    defaultMetrics: false,
    logger: createLogger('silent'),
    comfyTuning: { pollIntervalMs: 50, silenceMs: 1000, giveUpAfterMs: 3000 },
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.leaseTiming ? { leaseTiming: opts.leaseTiming } : {}),
  });
  // A second instance over a shared folder finds the admin there already.
  if (!opts.rootDir || !(await services.auth.listUsers()).some((u) => u.email === ADMIN.email))
    await services.auth.createUser({ email: ADMIN.email, password: ADMIN.password, role: 'admin' });
  const gateway = createApp({ config, db: database, services, logger: createLogger('silent') });
  const server = createHttpServer(gateway.handler);
  gateway.attach(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await services.comfy.start();

  const request: TestApp['request'] = (p, init = {}) => {
    const { token, json, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (token) headers.set('authorization', `Bearer ${token}`);
    if (json !== undefined) headers.set('content-type', 'application/json');
    const body = json === undefined ? rest.body : JSON.stringify(json);
    return fetch(url + p, { ...rest, headers, ...(body !== undefined ? { body } : {}) });
  };
  const login = async (email: string, password: string) =>
    (await services.auth.login(email, password, { clientIp: 'fixture' })).token;

  return {
    url,
    rootDir,
    config,
    database,
    db: raw as Sqlite.Database, // null only with DATABASE_URL, where tests use `database`
    services,
    express: gateway.app,
    adminToken: await login(ADMIN.email, ADMIN.password),
    request,
    async createUser(email, role = 'user') {
      const user = await services.auth.createUser({ email, password: 'user-password-1', role });
      return { id: user.id, token: await login(email, 'user-password-1') };
    },
    async [Symbol.asyncDispose]() {
      await gateway.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      raw?.close();
      await database.destroy();
      if (!opts.rootDir) await rm(rootDir, { recursive: true, force: true });
    },
  };
}
