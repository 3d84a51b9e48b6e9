import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startComfySim } from '@comfy-gateway/comfy-sim';
import type { LoginResponse } from '@comfy-gateway/schema';
import { startPostgres } from '@comfy-gateway/test-infra';
import type { PostgresInstance } from '@comfy-gateway/test-infra';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/env.ts';
import { createLogger } from '../../src/http/logger.ts';
import { startGateway } from '../../src/server.ts';
import { samplerWorkflow } from '../comfy-fixture.ts';
import { createContractChecker } from '../contract/contract-kit.ts';

const ADMIN = { email: 'pg-down@example.com', password: 'pg-down-password-1' };

let pg: PostgresInstance;
beforeAll(async () => {
  pg = await startPostgres();
}, 60_000);
afterAll(async () => {
  await pg.stop();
});

/** Polls `cond` (PostgreSQL starting is an outside process: there is no event to await). */
async function until(cond: () => Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function startOn(rootDir: string, env: Record<string, string> = {}) {
  const config = loadConfig({
    ROOT_DIR: rootDir,
    DATABASE_URL: await pg.createDatabase('down'),
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
    ...env,
  });
  return startGateway(config, { logger: createLogger('silent') });
}

describe('when PostgreSQL goes away', () => {
  it('answers 503 DATABASE_UNAVAILABLE, goes unready, stays up, and recovers on its own', async () => {
    const rootDir = await mkdtemp(path.join(tmpdir(), 'cg-pg-down-'));
    try {
      await using gw = await startOn(rootDir);
      const get = (p: string, token?: string) =>
        fetch(gw.url + p, token ? { headers: { authorization: `Bearer ${token}` } } : {});
      const post = (p: string, json: unknown) =>
        fetch(gw.url + p, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(json),
        });
      const contract = createContractChecker((await (await get('/api/openapi.json')).json()) as never);
      const login = await post('/api/auth/login', ADMIN);
      expect(login.status).toBe(200);
      const { token } = (await login.json()) as LoginResponse;
      // Never used before the database goes: its first check has to ask the database.
      const fresh = ((await (await post('/api/auth/login', ADMIN)).json()) as LoginResponse).token;
      expect((await get('/api/auth/me', token)).status).toBe(200);
      const ready = (await (await get('/readyz')).json()) as { checks: Record<string, unknown> };
      expect(ready.checks['database']).toEqual({ ok: true, state: 'ready', latency_ms: expect.any(Number) });

      await pg.kill();
      // The address of the database is not for users: the message says what, not where.
      const port = String(pg.port);
      const me = await get('/api/auth/me', fresh);
      expect(me.status).toBe(503);
      // A credential checked in the last few seconds is still good for what needs no database.
      expect((await get('/api/auth/me', token)).status).toBe(200);
      expect(me.headers.get('retry-after')).toBe('2');
      const body = await contract.check('GET', '/api/auth/me', me.clone());
      expect(body).toEqual({
        error: { code: 'DATABASE_UNAVAILABLE', message: expect.any(String), details: { retry_after_s: 2 } },
      });
      expect(JSON.stringify(body)).not.toContain(port);
      const gallery = await get('/api/gallery', token);
      expect(gallery.status).toBe(503);
      await contract.check('GET', '/api/gallery', gallery);
      const refusedLogin = await post('/api/auth/login', ADMIN);
      expect(refusedLogin.status).toBe(503);
      expect(
        ((await contract.check('POST', '/api/auth/login', refusedLogin)) as { error: { code: string } }).error
          .code,
      ).toBe('DATABASE_UNAVAILABLE');
      // tRPC: the procedure's failure goes through the error formatter with the same code.
      const trpcLogin = await post('/trpc/auth.login', { json: ADMIN });
      expect(trpcLogin.status).toBe(503);
      const trpcError = (await trpcLogin.json()) as { error: { json: { data: Record<string, unknown> } } };
      expect(trpcError.error.json.data).toMatchObject({ code: 'DATABASE_UNAVAILABLE', httpStatus: 503 });
      expect(JSON.stringify(trpcError)).not.toContain(port);

      const unready = await get('/readyz');
      expect(unready.status).toBe(503);
      const unreadyBody = await unready.text();
      expect((JSON.parse(unreadyBody) as { checks: Record<string, unknown> }).checks['database']).toEqual({
        ok: false,
        state: 'down',
        detail: 'no answer',
      });
      expect(unreadyBody).not.toContain(port);
      // The process is alive and answers what needs no database.
      expect((await get('/healthz')).status).toBe(200);

      await pg.restart();
      await until(async () => (await get('/readyz')).status === 200, 'the gateway to see PostgreSQL again');
      expect((await get('/api/auth/me', token)).status).toBe(200);
      expect((await get('/api/gallery', token)).status).toBe(200);
      expect((await post('/api/auth/login', ADMIN)).status).toBe(200);
      expect((await post('/trpc/auth.login', { json: ADMIN })).status).toBe(200);
    } finally {
      await rm(rootDir, { recursive: true, force: true });
    }
  });

  it('keeps a stream that was already open running to its end', async () => {
    const rootDir = await mkdtemp(path.join(tmpdir(), 'cg-pg-down-'));
    await using sim = await startComfySim({ stepMs: 40 });
    try {
      await using gw = await startOn(rootDir, { COMFY_ENABLED: 'true', COMFY_API_URL: sim.url });
      const headers = { 'content-type': 'application/json' };
      const login = await fetch(`${gw.url}/api/auth/login`, {
        method: 'POST',
        headers,
        body: JSON.stringify(ADMIN),
      });
      const auth = { authorization: `Bearer ${((await login.json()) as LoginResponse).token}` };
      const fresh = await fetch(`${gw.url}/api/auth/login`, {
        method: 'POST',
        headers,
        body: JSON.stringify(ADMIN),
      });
      // Never used before the database goes: its first check has to ask the database.
      const unchecked = { authorization: `Bearer ${((await fresh.json()) as LoginResponse).token}` };
      const queued = await fetch(`${gw.url}/api/comfy/queue`, {
        method: 'POST',
        headers: { ...headers, ...auth },
        body: JSON.stringify({ workflow: samplerWorkflow(7, 40) }),
      });
      const { prompt_id } = (await queued.json()) as { prompt_id: string };
      const stream = await fetch(`${gw.url}/api/comfy/stream/${prompt_id}`, { headers: auth });
      expect(stream.status).toBe(200);
      const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let text = decoder.decode((await reader.read()).value);
      expect(text).toContain('event: status');

      await pg.kill();
      try {
        expect((await fetch(`${gw.url}/api/auth/me`, { headers: unchecked })).status).toBe(503);
        // The job is still running with the database gone: what follows on the stream came after.
        expect(gw.services.comfy.conn().tracker.get(prompt_id)?.status).toBe('running');
        for (let r = await reader.read(); !r.done; r = await reader.read()) text += decoder.decode(r.value);
        expect(text).toContain('event: done');
        expect(text).toContain('"status":"completed"');
      } finally {
        await pg.restart();
      }
      // Its final state, reached while the database was gone, is written once it is back.
      const status = async () => {
        const res = await fetch(`${gw.url}/api/comfy/jobs/${prompt_id}`, { headers: auth });
        return res.status === 200 ? ((await res.json()) as { status: string }).status : null;
      };
      await until(async () => (await status()) === 'completed', 'the job ledger to catch up');
    } finally {
      await rm(rootDir, { recursive: true, force: true });
    }
  });
});
