import { startComfySim } from '@comfy-gateway/comfy-sim';
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

/** The §4.4 sampler graph with `steps` progress steps. */
export const samplerGraph = (seed: number, steps = 4): Workflow => ({
  '4': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'sd_xl_base_1.0.safetensors' } },
  '5': { class_type: 'EmptyLatentImage', inputs: { width: 64, height: 64, batch_size: 1 } },
  '6': { class_type: 'CLIPTextEncode', inputs: { text: 'a lighthouse', clip: ['4', 1] } },
  '7': { class_type: 'CLIPTextEncode', inputs: { text: '', clip: ['4', 1] } },
  '3': {
    class_type: 'KSampler',
    inputs: {
      seed,
      steps,
      cfg: 7,
      sampler_name: 'euler',
      scheduler: 'normal',
      denoise: 1,
      model: ['4', 0],
      positive: ['6', 0],
      negative: ['7', 0],
      latent_image: ['5', 0],
    },
  },
  '8': { class_type: 'VAEDecode', inputs: { samples: ['3', 0], vae: ['4', 2] } },
  '9': { class_type: 'SaveImage', inputs: { filename_prefix: 'rig', images: ['8', 0] } },
});

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
