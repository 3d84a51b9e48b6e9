import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startComfySim } from '@comfy-gateway/comfy-sim';
import type { ComfySim } from '@comfy-gateway/comfy-sim';
import type { GalleryList, IngestResult, JobRecord, LoginResponse } from '@comfy-gateway/schema';
import { startPostgres } from '@comfy-gateway/test-infra';
import type { PostgresInstance } from '@comfy-gateway/test-infra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_FILE_NAME } from '../../src/db/open-db.ts';
import { loadConfig } from '../../src/env.ts';
import { createLogger } from '../../src/http/logger.ts';
import { startGateway } from '../../src/server.ts';
import type { RunningGateway } from '../../src/server.ts';

const ADMIN = { email: 'pg-admin@example.com', password: 'pg-admin-password-1' };

let pg: PostgresInstance;
let sim: ComfySim;
beforeAll(async () => {
  [pg, sim] = await Promise.all([startPostgres(), startComfySim({ stepMs: 2 })]);
}, 60_000);
afterAll(async () => {
  await Promise.all([pg.stop(), sim.close()]);
});

/** A whole gateway (its own database pool, tracker, services) over DATABASE_URL and a shared ROOT_DIR. */
function gateway(rootDir: string, databaseUrl: string): Promise<RunningGateway> {
  const config = loadConfig({
    ROOT_DIR: rootDir,
    DATABASE_URL: databaseUrl,
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
    COMFY_ENABLED: 'true',
    COMFY_API_URL: sim.url,
    COMFY_TIMEOUT: '5',
    COMFY_RECONNECT_BASE_DELAY_S: '0.05',
    COMFY_RECONNECT_MAX_DELAY_S: '0.2',
  });
  return startGateway(config, { logger: createLogger('silent') });
}

async function call<T>(
  gw: RunningGateway,
  p: string,
  init: RequestInit & { token?: string; json?: unknown } = {},
) {
  const { token, json, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  if (json !== undefined) headers.set('content-type', 'application/json');
  const res = await fetch(gw.url + p, {
    ...rest,
    headers,
    ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as T };
}

describe('the gateway on PostgreSQL (DATABASE_URL)', () => {
  it('keeps users, sessions, jobs and the gallery across a restart, and shares them between instances', async () => {
    const rootDir = await mkdtemp(path.join(tmpdir(), 'cg-pg-gw-'));
    const databaseUrl = await pg.createDatabase('gateway');
    try {
      let promptId: string;
      let item: IngestResult;
      let token: string;
      {
        await using a = await gateway(rootDir, databaseUrl);
        const login = await call<LoginResponse>(a, '/api/auth/login', { method: 'POST', json: ADMIN });
        expect(login.status).toBe(200);
        token = login.body.token;
        const submitted = await call<{ prompt_id: string }>(a, '/api/comfy/text2img', {
          method: 'POST',
          token,
          json: { caption: 'a lighthouse on postgres', width: 64, height: 64, steps: 2 },
        });
        expect(submitted.status).toBe(200);
        promptId = submitted.body.prompt_id;
        const final = await a.services.comfy.conn().tracker.waitForEnd(promptId);
        expect(final.status).toBe('completed');
        const filename = final.images?.[0]?.filename ?? '';
        const ingested = await call<IngestResult>(a, '/api/comfy/ingest', {
          method: 'POST',
          token,
          json: { prompt_id: promptId, filename },
        });
        expect(ingested.status).toBe(201);
        item = ingested.body;

        // A second instance on the same database: the session made on A works on B, and B sees A's job.
        await using b = await gateway(rootDir, databaseUrl);
        expect((await call(b, '/api/auth/me', { token })).status).toBe(200);
        expect((await call<JobRecord>(b, `/api/comfy/jobs/${promptId}`, { token })).body.status).toBe(
          'completed',
        );
      }
      // Nothing went to SQLite.
      expect(existsSync(path.join(rootDir, DB_FILE_NAME))).toBe(false);

      // New process objects over the same database and ROOT_DIR.
      await using c = await gateway(rootDir, databaseUrl);
      const job = await call<JobRecord>(c, `/api/comfy/jobs/${promptId}`, { token });
      expect(job.status).toBe(200);
      expect(job.body).toMatchObject({ prompt_id: promptId, status: 'completed', kind: 'text2img' });
      expect(job.body.images).toHaveLength(1);
      const gallery = await call<GalleryList>(c, '/api/gallery', { token });
      expect(gallery.body.items.map((i) => i.id)).toEqual([item.id]);
      const file = await fetch(`${c.url}/api/gallery/${item.id}/file`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(file.status).toBe(200);
      expect((await file.arrayBuffer()).byteLength).toBe(item.size);
      // The first admin was made once, not once per start.
      expect(await c.services.auth.listUsers()).toHaveLength(1);
    } finally {
      await rm(rootDir, { recursive: true, force: true });
    }
  });
});
