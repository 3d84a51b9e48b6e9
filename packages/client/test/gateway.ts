import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startComfySim } from '@comfy-gateway/comfy-sim';
import type { ComfySim } from '@comfy-gateway/comfy-sim';
import { createApp, createServices, loadConfig, openDb } from '@comfy-gateway/server';

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
 * The ComfyUI simulator plus the whole gateway (`createApp` over real services and a temp
 * ROOT_DIR) on port 0; `await using` stops both and removes the files.
 */
export async function startTestGateway(opts: { stepMs?: number } = {}): Promise<TestGateway> {
  const sim = await startComfySim({ stepMs: opts.stepMs ?? 5 });
  const rootDir = await mkdtemp(path.join(tmpdir(), 'cg-client-'));
  const config = loadConfig({ ROOT_DIR: rootDir, LOG_LEVEL: 'silent', COMFY_ENABLED: 'true', COMFY_API_URL: sim.url });
  const db = openDb(rootDir);
  const services = await createServices(config, db, { defaultMetrics: false });
  await services.auth.createUser({ ...ADMIN, role: 'admin' });
  const gateway = createApp({ config, db, services });
  const server = createServer(gateway.app);
  gateway.attach(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  await services.comfy.start();
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const dispose = async () => {
    await gateway.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    db.close();
    await sim.close();
    await rm(rootDir, { recursive: true, force: true });
  };
  try {
    const { token: sessionToken } = await post<{ token: string }>(`${url}/api/auth/login`, ADMIN);
    const { token: apiToken } = await post<{ token: string }>(`${url}/api/auth/tokens`, { name: 'client tests' }, sessionToken);
    return { url, sim, sessionToken, apiToken, [Symbol.asyncDispose]: dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}
