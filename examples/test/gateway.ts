import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startComfySim } from '@comfy-gateway/comfy-sim';
import { createApp, createServices, loadConfig, openDb } from '@comfy-gateway/server';

const ADMIN = { email: 'admin@example.com', password: 'admin-password-1' };

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
 * What `pnpm demo` runs (the simulator and the gateway), on port 0 over a temp ROOT_DIR, plus an
 * API token made the way a user would: log in, then `POST /api/auth/tokens`.
 */
export async function startDemoGateway(): Promise<{ url: string; apiToken: string } & AsyncDisposable> {
  const sim = await startComfySim({ stepMs: 5 });
  const rootDir = await mkdtemp(path.join(tmpdir(), 'cg-examples-'));
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
    const { token } = await post<{ token: string }>(`${url}/api/auth/login`, ADMIN);
    const { token: apiToken } = await post<{ token: string }>(`${url}/api/auth/tokens`, { name: 'example' }, token);
    return { url, apiToken, [Symbol.asyncDispose]: dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}
