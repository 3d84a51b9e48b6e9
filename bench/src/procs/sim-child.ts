/**
 * The ComfyUI simulator in its own process. Records the send time of every `progress` frame (the
 * moment ComfyUI reports a step), which the delivery latency of the fan-out benches starts from.
 */
import { createRequire } from 'node:module';
import { startComfySim } from '@comfy-gateway/comfy-sim';
import type { ComfySim, ComfySimOptions } from '@comfy-gateway/comfy-sim';
import { putOutputImage } from '../images.ts';
import { serveIpc } from './ipc.ts';
import { procStats } from './proc-stats.ts';

/** [prompt_id, node, value, max, epoch ms] per progress frame sent. */
export type ProgressFrame = [string, string, number, number, number];

const now = () => performance.timeOrigin + performance.now();
const frames: ProgressFrame[] = [];

// The `ws` the simulator itself loads; its sends are wrapped, the simulator is not changed.
const wsModule = createRequire(import.meta.resolve('@comfy-gateway/comfy-sim'))('ws') as {
  prototype: { send: (data: unknown, ...rest: unknown[]) => void };
};
const send = wsModule.prototype.send;
wsModule.prototype.send = function (this: unknown, data: unknown, ...rest: unknown[]) {
  if (typeof data === 'string' && data.startsWith('{"type":"progress"')) {
    const t = now();
    const d = (JSON.parse(data) as { data: { prompt_id: string; node: string; value: number; max: number } })
      .data;
    frames.push([d.prompt_id, d.node, d.value, d.max, t]);
  }
  send.call(this, data, ...rest);
};

let sim: ComfySim | null = null;
const running = (): ComfySim => {
  if (!sim) throw new Error('the simulator is not started');
  return sim;
};

serveIpc({
  start: async (opts: ComfySimOptions) => {
    sim = await startComfySim(opts);
    return { url: sim.url, rootDir: sim.rootDir };
  },
  stats: (req: { gc?: boolean }) => ({
    ...procStats(req),
    ws: running().stats.wsConnections(),
    wsTotal: running().stats.wsConnectionsTotal,
    requests: running().stats.requests,
  }),
  frames: () => frames.splice(0),
  putImage: (req: { name: string; size: number }) => putOutputImage(running().rootDir, req.name, req.size),
  close: async () => {
    await sim?.close();
    sim = null;
    return true;
  },
});
process.send?.({ ready: true });
