import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startComfySim } from '@comfy-gateway/comfy-sim';
import type { ComfySim } from '@comfy-gateway/comfy-sim';
import { loadConfig, startGateway } from '@comfy-gateway/server';

export const ADMIN = { email: 'admin@example.com', password: 'admin-password-1' };

export interface TestGateway extends AsyncDisposable {
  url: string;
  sim: ComfySim;
  /** A session token of the admin (from `POST /api/auth/login`). */
  sessionToken: string;
  /** A long-lived API token (`cgt_...`) of the admin, created through the auth API. */
  apiToken: string;
}

async function post<T>(url: string, body: unknown, token?: string): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`POST ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/**
 * The ComfyUI simulator plus the whole gateway (`startGateway`, as `pnpm start` runs it) over a
 * temp ROOT_DIR on port 0; `await using` stops both and removes the files.
 */
export async function startTestGateway(opts: { stepMs?: number } = {}): Promise<TestGateway> {
  const sim = await startComfySim({ stepMs: opts.stepMs ?? 5 });
  const rootDir = await mkdtemp(path.join(tmpdir(), 'cg-client-'));
  const gateway = await startGateway(
    loadConfig({
      ROOT_DIR: rootDir,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'silent',
      COMFY_ENABLED: 'true',
      COMFY_API_URL: sim.url,
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
    }),
  );
  const url = gateway.url;
  const dispose = async () => {
    await gateway.close(1000);
    await sim.close();
    await rm(rootDir, { recursive: true, force: true });
  };
  try {
    const { token: sessionToken } = await post<{ token: string }>(`${url}/api/auth/login`, ADMIN);
    const { token: apiToken } = await post<{ token: string }>(
      `${url}/api/auth/tokens`,
      { name: 'client tests' },
      sessionToken,
    );
    return { url, sim, sessionToken, apiToken, [Symbol.asyncDispose]: dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}
