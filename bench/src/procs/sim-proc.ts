import type { ComfySimOptions } from '@comfy-gateway/comfy-sim';
import { Child } from '../child.ts';
import type { ProcStats } from './proc-stats.ts';
import type { ProgressFrame } from './sim-child.ts';

export type { ProgressFrame };

export interface SimStats extends ProcStats {
  ws: number;
  wsTotal: number;
  requests: Record<string, number>;
}

/** A simulator process (see sim-child.ts). */
export class SimProc {
  readonly #child = new Child('./procs/sim-child.ts', ['--expose-gc']);
  url = '';
  rootDir = '';

  static async start(opts: ComfySimOptions = {}): Promise<SimProc> {
    const p = new SimProc();
    await p.#child.ready;
    const r = await p.#child.call<{ url: string; rootDir: string }>('start', {
      stepMs: 0,
      nodeMs: 0,
      ...opts,
    });
    p.url = r.url;
    p.rootDir = r.rootDir;
    return p;
  }

  get pid(): number {
    return this.#child.proc.pid ?? -1;
  }
  stats(gc = false): Promise<SimStats> {
    return this.#child.call<SimStats>('stats', { gc });
  }
  /** Progress frames sent since the last call. */
  frames(): Promise<ProgressFrame[]> {
    return this.#child.call<ProgressFrame[]>('frames', {});
  }
  putImage(name: string, size: number): Promise<string> {
    return this.#child.call<string>('putImage', { name, size });
  }
  async close(): Promise<void> {
    await this.#child.call('close', {}).catch(() => undefined);
    await this.#child.close();
  }
}
