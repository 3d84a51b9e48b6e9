import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ComfySimOptions } from '@comfy-gateway/comfy-sim';
import { startGatewayProc } from './gateway-proc.ts';
import type { GatewayProc } from './gateway-proc.ts';
import { SimProc } from './sim-proc.ts';

export interface SplitStack {
  sims: SimProc[];
  gateways: GatewayProc[];
  /** The first simulator and gateway. */
  sim: SimProc;
  gw: GatewayProc;
  rootDir: string;
  /** One more gateway instance on the same ROOT_DIR and environment (cluster runs). */
  addGateway(): Promise<GatewayProc>;
  close(): Promise<void>;
}

export interface SplitStackOptions {
  sim?: ComfySimOptions;
  sims?: number;
  gateways?: number;
  env?: Record<string, string>;
}

/**
 * Simulator(s) and gateway(s) each in their own process, on loopback: the gateway numbers are the
 * gateway's own, not shared with the simulator's event loop.
 */
export async function startSplitStack(opts: SplitStackOptions = {}): Promise<SplitStack> {
  const rootDir = mkdtempSync(path.join(tmpdir(), 'cg-bench-'));
  const sims: SimProc[] = [];
  const gateways: GatewayProc[] = [];
  const close = async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await Promise.all(sims.map((s) => s.close()));
    rmSync(rootDir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < Math.max(1, opts.sims ?? 1); i++)
      sims.push(await SimProc.start({ ...opts.sim, rootDir: path.join(rootDir, `comfyui-${i + 1}`) }));
    const servers: Record<string, string> =
      sims.length === 1
        ? { COMFY_API_URL: sims[0]?.url ?? '' }
        : { COMFY_BACKENDS: JSON.stringify(sims.map((s, i) => ({ name: `s${i + 1}`, url: s.url }))) };
    const env = { ROOT_DIR: path.join(rootDir, 'gateway'), ...servers, ...opts.env };
    const addGateway = async () => {
      const g = await startGatewayProc(env, `gateway-${gateways.length + 1}`);
      gateways.push(g);
      return g;
    };
    for (let i = 0; i < Math.max(1, opts.gateways ?? 1); i++) await addGateway();
    await waitForUpstream(sims);
    return {
      sims,
      gateways,
      sim: sims[0] as SimProc,
      gw: gateways[0] as GatewayProc,
      rootDir,
      addGateway,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Until every simulator has the gateway's (or the cluster's) upstream socket. */
export async function waitForUpstream(sims: SimProc[], timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const s of sims) {
    while ((await s.stats()).ws < 1) {
      if (Date.now() > deadline) throw new Error(`no gateway connected to the simulator at ${s.url}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
