import { startComfySim } from '@comfy-gateway/comfy-sim';
import { txt2img } from '@comfy-gateway/comfy-sim/conformance';
import type { ComfySim, ComfySimOptions } from '@comfy-gateway/comfy-sim';
import type { StreamEvent, Workflow } from '@comfy-gateway/schema';
import { WebSocket } from 'ws';
import { createComfyClient } from '../client/comfy-client.ts';
import { createComfySocket } from '../client/socket.ts';
import type { WebSocketCtor } from '../client/socket.ts';
import { createJobTracker } from './job-tracker.ts';

export const WS = WebSocket as unknown as WebSocketCtor;

/** EmptyImage -> SaveImage: runs in milliseconds, writes a real PNG. */
export const tinyGraph = (color = 0, prefix = 'rig'): Workflow => ({
  '1': { class_type: 'EmptyImage', inputs: { width: 32, height: 32, batch_size: 1, color } },
  '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: prefix } },
});

/** The simulator's §4.4 sampler graph at 64 px with `steps` progress steps, saving as `rig_*`. */
export const samplerGraph = (seed: number, steps = 4): Workflow => {
  const graph = txt2img({ seed, steps, size: 64 });
  graph['9'].inputs['filename_prefix'] = 'rig';
  return graph;
};

/** A simulator, a client, one socket and a tracker wired as the connection does, minus the watchdog. */
export async function startRig(simOpts: ComfySimOptions = {}, trackerOpts: { silenceMs?: number } = {}) {
  const sim: ComfySim = await startComfySim(simOpts);
  const client = createComfyClient({ baseUrl: sim.url, timeoutMs: 5000 });
  const clientId = `rig-${Math.random().toString(36).slice(2)}`;
  const socket = createComfySocket({ baseUrl: sim.url, clientId, WebSocket: WS });
  const tracker = createJobTracker({
    client,
    clientId,
    pollIntervalMs: 50,
    silenceMs: trackerOpts.silenceMs ?? 5000,
  });
  socket.onEvent((ev) => tracker.handleEvent(ev));
  socket.onClose(() => tracker.setSocketUp(false));
  await socket.connect();
  tracker.setSocketUp(true);

  const queue = async (prompt: Workflow, clientIdOverride?: string) => {
    const res = await client.queuePrompt({ prompt, client_id: clientIdOverride ?? clientId });
    const events: StreamEvent[] = [];
    tracker.track(res.prompt_id, { prompt, ownSocket: clientIdOverride === undefined });
    tracker.subscribe(res.prompt_id, (e) => events.push(e.event));
    events.push(...tracker.eventsSince(res.prompt_id).map((e) => e.event));
    return { id: res.prompt_id, events };
  };

  return {
    sim,
    client,
    socket,
    tracker,
    clientId,
    queue,
    async [Symbol.asyncDispose]() {
      tracker.close();
      socket.close();
      await sim.close();
    },
  };
}
