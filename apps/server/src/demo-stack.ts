import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startComfySim } from '@comfy-gateway/comfy-sim';
import type { ComfySim, ComfySimOptions } from '@comfy-gateway/comfy-sim';
import { loadConfig } from './env.ts';
import { startGateway } from './server.ts';
import type { RunningGateway } from './server.ts';

export interface DemoStackOptions {
  /** Absent: a temp folder, removed on close. */
  rootDir?: string;
  sim?: ComfySimOptions;
  /** Simulators behind the gateway (default 1); more than one makes a pool (s1, s2, ...). */
  sims?: number;
  /** More environment for the gateway (the ComfyUI URL and flag are always the simulator's). */
  env?: Record<string, string | undefined>;
  admin?: { email: string; password: string };
}

export interface DemoStack extends AsyncDisposable {
  /** The first simulator. */
  sim: ComfySim;
  sims: ComfySim[];
  gateway: RunningGateway;
  url: string;
  admin: { email: string; password: string };
  /** A session token of the admin, from `POST /api/auth/login`. */
  login(): Promise<string>;
  /** A long-lived API token of the admin, made as a user would: log in, then `POST /api/auth/tokens`. */
  apiToken(name: string): Promise<string>;
  close: () => Promise<void>;
}

const DEFAULT_ADMIN = { email: 'demo@comfy-gateway.local', password: 'demo-password' };

/**
 * What `pnpm demo` runs: the ComfyUI simulator and the whole gateway wired to it, with an admin.
 * Tests, the example app and the benchmarks start the same stack on port 0.
 */
export async function startDemoStack(opts: DemoStackOptions = {}): Promise<DemoStack> {
  const admin = opts.admin ?? DEFAULT_ADMIN;
  const rootDir = opts.rootDir ?? (await mkdtemp(path.join(tmpdir(), 'cg-stack-')));
  const count = Math.max(1, opts.sims ?? 1);
  const sims: ComfySim[] = [];
  for (let i = 0; i < count; i++) {
    const port = i === 0 ? opts.sim?.port : undefined;
    sims.push(
      await startComfySim({
        ...opts.sim,
        rootDir: path.join(rootDir, i === 0 ? 'comfyui' : `comfyui-${i + 1}`),
        ...(port !== undefined ? { port } : i > 0 ? { port: 0 } : {}),
      }),
    );
  }
  const sim = sims[0] as ComfySim;
  const servers =
    count === 1
      ? { COMFY_API_URL: sim.url, COMFY_BACKENDS: undefined }
      : { COMFY_BACKENDS: JSON.stringify(sims.map((s, i) => ({ name: `s${i + 1}`, url: s.url }))) };
  let gateway: RunningGateway;
  try {
    const env = { ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password, ...opts.env };
    gateway = await startGateway(
      loadConfig({ ...env, ROOT_DIR: rootDir, COMFY_ENABLED: 'true', ...servers }),
    );
  } catch (err) {
    await Promise.all(sims.map((s) => s.close()));
    throw err;
  }
  const post = async (route: string, body: unknown, token?: string) => {
    const res = await fetch(`${gateway.url}${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`POST ${route}: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { token: string }).token;
  };
  const login = () => post('/api/auth/login', admin);
  const close = async () => {
    await gateway.close(1000);
    await Promise.all(sims.map((s) => s.close()));
    if (!opts.rootDir) await rm(rootDir, { recursive: true, force: true });
  };
  return {
    sim,
    sims,
    gateway,
    url: gateway.url,
    admin,
    login,
    apiToken: async (name) => post('/api/auth/tokens', { name }, await login()),
    close,
    [Symbol.asyncDispose]: close,
  };
}
