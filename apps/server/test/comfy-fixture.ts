import { startComfySim } from '@comfy-gateway/comfy-sim';
import { txt2img } from '@comfy-gateway/comfy-sim/conformance';
import type { ComfySim, ComfySimOptions } from '@comfy-gateway/comfy-sim';
import type { StreamEvent } from '@comfy-gateway/schema';
import { startTestApp } from './fixture.ts';
import type { TestApp } from './fixture.ts';

export interface ComfyTestApp extends TestApp {
  sim: ComfySim;
  /** Waits until the gateway's socket to ComfyUI is up. */
  connected(): Promise<void>;
}

/** A gateway wired to a simulator, both on port 0; `await using` stops both. */
export async function startComfyApp(
  simOpts: ComfySimOptions = {},
  env: Record<string, string> = {},
): Promise<ComfyTestApp> {
  const sim = await startComfySim({ stepMs: 2, ...simOpts });
  const app = await startTestApp({
    COMFY_ENABLED: 'true',
    COMFY_API_URL: sim.url,
    COMFY_TIMEOUT: '5',
    COMFY_RECONNECT_BASE_DELAY_S: '0.05',
    COMFY_RECONNECT_MAX_DELAY_S: '0.2',
    COMFY_HEALTH_INTERVAL_S: '0.5',
    ...env,
  });
  const dispose = app[Symbol.asyncDispose].bind(app);
  return Object.assign(app, {
    sim,
    async connected() {
      const deadline = Date.now() + 5000;
      while (app.services.comfy.connection?.watchdog.state !== 'connected') {
        if (Date.now() > deadline) throw new Error('gateway never connected to the simulator');
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async [Symbol.asyncDispose]() {
      await dispose();
      await sim.close();
    },
  });
}

/** The §4.4 sampler graph at 64 px: runs `steps * stepMs` on the simulator. */
export const samplerWorkflow = (seed: number, steps = 6) => txt2img({ seed, steps, size: 64 });

/** EmptyImage -> SaveImage, finishes in milliseconds. */
export const tinyWorkflow = (color = 0) => ({
  '1': { class_type: 'EmptyImage', inputs: { width: 32, height: 32, batch_size: 1, color } },
  '2': { class_type: 'SaveImage', inputs: { images: ['1', 0], filename_prefix: 'gw' } },
});

export interface SseMessage {
  event: string;
  id: string | null;
  data: StreamEvent;
}

/** Reads an SSE response to its end (or until `stopAfter` messages), parsing every event; `onMessage` sees each as it comes. */
export async function readSse(
  res: Response,
  stopAfter = Infinity,
  onMessage?: (m: SseMessage) => void,
): Promise<SseMessage[]> {
  const out: SseMessage[] = [];
  const reader = (res.body as ReadableStream<Uint8Array> | null)?.getReader();
  if (!reader) return out;
  const dec = new TextDecoder();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let idx: number;
    while ((idx = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, idx);
      buf = buf.slice(idx + 2);
      const lines = block.split('\n');
      const field = (name: string) =>
        lines.find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2) ?? null;
      const data = field('data');
      if (data === null) continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(data);
      } catch {
        continue;
      }
      const message = { event: field('event') ?? 'message', id: field('id'), data: parsed as StreamEvent };
      out.push(message);
      onMessage?.(message);
      if (out.length >= stopAfter) {
        await reader.cancel();
        return out;
      }
    }
  }
  return out;
}
