import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startComfySim } from '@comfy-gateway/comfy-sim';
import { loadConfig, startGateway } from '@comfy-gateway/server';

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
      { name: 'example' },
      sessionToken,
    );
    return { url, apiToken, [Symbol.asyncDispose]: dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}
