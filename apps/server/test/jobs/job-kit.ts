import type { JobSnapshot } from '@comfy-gateway/schema';
import { expect } from 'vitest';
import { loadConfig } from '../../src/env.ts';
import { createLogger } from '../../src/http/logger.ts';
import { startGateway } from '../../src/server.ts';
import type { RunningGateway } from '../../src/server.ts';
import type { ComfyTestApp } from '../comfy-fixture.ts';

/** Submits a raw workflow as `token`; returns the response. */
export function submit(
  app: ComfyTestApp,
  token: string,
  workflow: unknown,
  headers: Record<string, string> = {},
) {
  return app.request('/api/comfy/queue', { token, method: 'POST', json: { workflow }, headers });
}

/** Submits and expects 200; returns the prompt id. */
export async function submitOk(app: ComfyTestApp, token: string, workflow: unknown): Promise<string> {
  const res = await submit(app, token, workflow);
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { prompt_id: string }).prompt_id;
}

/** Waits until the gateway's tracker saw the prompt end. */
export async function untilEnded(app: ComfyTestApp, promptId: string): Promise<JobSnapshot> {
  return app.services.comfy.waitForEnd(promptId);
}

/** Rows of the ledger, oldest first. */
export function ledgerRows(app: ComfyTestApp): { prompt_id: string; status: string; owner_id: number }[] {
  return app.db.prepare('SELECT prompt_id, status, owner_id FROM jobs ORDER BY created_at').all() as never;
}

/**
 * A second gateway process-alike over the same ROOT_DIR and simulator: a fresh tracker with
 * nothing in memory, the same database. Dispose it before the first app (which removes the dir).
 */
export async function startSecondGateway(app: ComfyTestApp): Promise<RunningGateway> {
  const config = loadConfig({
    ROOT_DIR: app.rootDir,
    LOG_LEVEL: 'silent',
    HOST: '127.0.0.1',
    PORT: '0',
    COMFY_ENABLED: 'true',
    COMFY_API_URL: app.sim.url,
    COMFY_TIMEOUT: '5',
    COMFY_RECONNECT_BASE_DELAY_S: '0.05',
    COMFY_RECONNECT_MAX_DELAY_S: '0.2',
    COMFY_HEALTH_INTERVAL_S: '0.5',
  });
  return startGateway(config, { logger: createLogger('silent') });
}

export const json = async <T = Record<string, unknown>>(res: Response): Promise<T> => (await res.json()) as T;
