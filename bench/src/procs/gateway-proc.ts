import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@comfy-gateway/test-infra';
import { IpcCaller } from './ipc.ts';
import type { ProcStats } from './proc-stats.ts';
import type { ProfileSummary } from './profile.ts';

const SERVER_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../apps/server');
const PROBE = fileURLToPath(new URL('./gateway-probe.ts', import.meta.url));

/** Environment every benchmark gateway gets: generous limits, so the bench measures work, not refusals. */
export const BENCH_GATEWAY_ENV: Record<string, string> = {
  HOST: '127.0.0.1',
  LOG_LEVEL: 'info',
  COMFY_ENABLED: 'true',
  ADMIN_EMAIL: 'bench@comfy-gateway.local',
  ADMIN_PASSWORD: 'bench-password-9f3a',
  COMFY_VIEW_RATE_LIMIT_PER_MIN: '1000000',
  LOGIN_RATE_LIMIT_PER_MIN: '100000',
  LOGIN_IP_RATE_LIMIT_PER_MIN: '100000',
  UPLOAD_MAX_BYTES: String(200 * 1024 * 1024),
  USER_MAX_STREAMS: '100000',
  USER_MAX_ACTIVE_JOBS: '100000',
  WS_MAX_CALLS_PER_SECOND: '100000',
};

export interface GatewayProc {
  url: string;
  pid: number;
  name: string;
  /** The admin's session token (logged in once). */
  token: string;
  auth: Record<string, string>;
  stats(gc?: boolean): Promise<ProcStats>;
  /** Samples the gateway's CPU while `fn` runs; the functions with the most self time. */
  profile(fn: () => Promise<unknown>, top?: number): Promise<ProfileSummary>;
  /** Everything the process printed (JSON log lines), for errors. */
  output(): string;
  close(): Promise<void>;
}

/**
 * The real server entry (`apps/server/src/main.ts`, through tsx, NODE_ENV=production) in its own
 * process, with a probe preloaded for its CPU and memory; resolves once `/healthz` answers and the
 * admin has logged in. `BENCH_PROFILE_DIR` writes a V8 CPU profile of each gateway there on exit.
 */
export async function startGatewayProc(env: Record<string, string>, name = 'gateway'): Promise<GatewayProc> {
  const port = await freePort();
  const profileDir = process.env['BENCH_PROFILE_DIR'];
  const entry = process.env['BENCH_GATEWAY_ENTRY'] === 'dist' ? 'dist/main.js' : 'src/main.ts';
  const child: ChildProcess = fork(path.join(SERVER_DIR, entry), [], {
    cwd: SERVER_DIR,
    execArgv: [
      '--import',
      import.meta.resolve('tsx'),
      '--import',
      PROBE,
      '--expose-gc',
      ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []),
    ],
    env: {
      PATH: process.env['PATH'] ?? '',
      NODE_ENV: 'production',
      ...BENCH_GATEWAY_ENV,
      ...env,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const ipc = new IpcCaller(child, name);
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const died = new Promise<never>((_, reject) =>
    child.once('exit', (code) =>
      reject(new Error(`${name} exited (${code}) before listening:\n${output.slice(-3000)}`)),
    ),
  );
  died.catch(() => undefined);
  await Promise.race([waitForHealth(url, name, () => output), died]);
  const token = await login(url, env);
  return {
    url,
    pid: child.pid ?? -1,
    name,
    token,
    auth: { authorization: `Bearer ${token}` },
    stats: (gc = false) => ipc.call<ProcStats>('stats', { gc }),
    async profile(fn, top = 15) {
      await ipc.call('profileStart', {});
      try {
        await fn();
      } finally {
        // eslint-disable-next-line no-unsafe-finally
        return ipc.call<ProfileSummary>('profileStop', { top });
      }
    },
    output: () => output,
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function login(url: string, env: Record<string, string>): Promise<string> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: env['ADMIN_EMAIL'] ?? BENCH_GATEWAY_ENV['ADMIN_EMAIL'],
      password: env['ADMIN_PASSWORD'] ?? BENCH_GATEWAY_ENV['ADMIN_PASSWORD'],
    }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`login on ${url}: ${res.status} ${text.slice(0, 300)}`);
  return (JSON.parse(text) as { token: string }).token;
}

async function waitForHealth(url: string, name: string, output: () => string): Promise<void> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${name} did not start:\n${output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
