import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { JobSnapshot } from '@comfy-gateway/schema';
import { afterAll, beforeAll, expect } from 'vitest';
import { activeStreamCount } from '../../src/comfy/sse-route.ts';
import { subscriberCount } from '../../src/comfy/subscriber-count.ts';
import type { ComfyTestApp, SseMessage } from '../comfy-fixture.ts';
import { readSse, samplerWorkflow, tinyWorkflow } from '../comfy-fixture.ts';

/** EmptyImage -> ImageInvert -> SaveImage; fails while the simulator has `failNode('ImageInvert')`. */
export const invertWorkflow = (color = 0) => ({
  '1': { class_type: 'EmptyImage', inputs: { width: 32, height: 32, batch_size: 1, color } },
  '2': { class_type: 'ImageInvert', inputs: { image: ['1', 0] } },
  '3': { class_type: 'SaveImage', inputs: { images: ['2', 0], filename_prefix: 'inv' } },
});

export { samplerWorkflow, tinyWorkflow };

/** Queues through the gateway's REST route; returns the prompt id. */
export async function queueJob(app: ComfyTestApp, workflow: unknown): Promise<string> {
  const res = await app.request('/api/comfy/queue', {
    token: app.adminToken,
    method: 'POST',
    json: { workflow },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { prompt_id: string }).prompt_id;
}

/** The simulator's own verdict from its /history: completed, failed, or null when it has none. */
export async function simTruth(app: ComfyTestApp, promptId: string): Promise<'completed' | 'failed' | null> {
  const res = await fetch(`${app.sim.url}/history/${promptId}`);
  const body = (await res.json()) as Record<string, { status?: { status_str?: string } } | undefined>;
  const entry = body[promptId];
  if (!entry) return null;
  return entry.status?.status_str === 'success' ? 'completed' : 'failed';
}

/** The gateway's final snapshot, or a test failure after `ms`. */
export function finalOf(app: ComfyTestApp, promptId: string, ms = 20_000): Promise<JobSnapshot> {
  return Promise.race([
    app.services.comfy.waitForEnd(promptId),
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${promptId} did not end within ${ms} ms`)), ms).unref(),
    ),
  ]);
}

/** Opens the REST SSE stream of a prompt and reads it to its end. */
export async function followStream(app: ComfyTestApp, promptId: string): Promise<SseMessage[]> {
  return readSse(await app.request(`/api/comfy/stream/${promptId}`, { token: app.adminToken }));
}

/** Asserts a stream ended with its final `done` event carrying `status`. */
export function expectEndedWith(events: SseMessage[], status: string): void {
  const last = events.at(-1);
  expect(last?.event).toBe('done');
  expect(last?.data.type === 'done' && last.data.snapshot.status).toBe(status);
}

/**
 * Collects unhandled rejections for the file and fails it if any happened. Vitest would report
 * them too, but only as an error after the run; this pins them to the fault suite.
 */
export function guardUnhandledRejections(): () => unknown[] {
  const seen: unknown[] = [];
  const onRejection = (reason: unknown) => seen.push(reason);
  beforeAll(() => void process.on('unhandledRejection', onRejection));
  afterAll(() => {
    process.off('unhandledRejection', onRejection);
    expect(seen).toEqual([]);
  });
  return () => seen;
}

/** Still serving, and nothing left behind: no active prompt in the tracker, no open subscriber. */
export async function expectNoLeftovers(app: ComfyTestApp): Promise<void> {
  expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  const tracker = app.services.comfy.conn().tracker;
  await expect.poll(() => tracker.activeCount()).toBe(0);
  await expect.poll(() => activeStreamCount()).toBe(0);
  expect(subscriberCount('trpc')).toBe(0);
}

// Vitest workers run without --expose-gc; this is the documented V8 way to get `gc` at runtime.
setFlagsFromString('--expose-gc');
const forceGc = runInNewContext('gc') as () => void;

/** Heap in MB after a forced full GC, once pending work has settled. */
export async function heapMb(): Promise<number> {
  await new Promise((r) => setTimeout(r, 50));
  forceGc();
  forceGc();
  return process.memoryUsage().heapUsed / 1_048_576;
}
