import type { ComfySim, ComfySimOptions } from '@comfy-gateway/comfy-sim';
import type { RunningGateway } from '@comfy-gateway/server';
import { startDemoStack } from '@comfy-gateway/server/demo-stack';

export interface Stack {
  sim: ComfySim;
  gw: RunningGateway;
  token: string;
  auth: Record<string, string>;
  close: () => Promise<void>;
}

/** The demo stack (simulator + gateway) in this process, on loopback ports, logged in as the admin. */
export async function startStack(
  simOpts: ComfySimOptions = {},
  env: Record<string, string> = {},
): Promise<Stack> {
  const stack = await startDemoStack({
    sim: { stepMs: 0, nodeMs: 0, ...simOpts },
    env: {
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      COMFY_VIEW_RATE_LIMIT_PER_MIN: '1000000',
      LOGIN_RATE_LIMIT_PER_MIN: '1000',
      UPLOAD_MAX_BYTES: String(200 * 1024 * 1024),
      ...env,
    },
  });
  const gw = stack.gateway;
  const deadline = Date.now() + 10_000;
  while (gw.services.comfy.connection?.watchdog.state !== 'connected') {
    if (Date.now() > deadline) throw new Error('the gateway never connected to the simulator');
    await sleep(10);
  }
  const token = await stack.login();
  return { sim: stack.sim, gw, token, auth: { authorization: `Bearer ${token}` }, close: stack.close };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A small text2img job for the simulator (64x64). */
export const tinyJob = (steps = 4, extra: Record<string, unknown> = {}) => ({
  caption: 'a lighthouse at dusk',
  width: 64,
  height: 64,
  steps,
  seed: 1,
  ...extra,
});

/** POST JSON to the gateway and return the parsed body (throws on non-2xx). */
export async function postJson<T>(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${url}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** Forces a full GC when the process has one exposed (run.ts enables it). */
export function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) {
    g();
    g();
  }
}

export function trpcInput(value: unknown): string {
  return encodeURIComponent(JSON.stringify({ json: value }));
}
