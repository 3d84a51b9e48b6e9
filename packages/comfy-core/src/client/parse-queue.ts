import type { Workflow } from '@comfy-gateway/schema';
import type { ComfyQueue, ComfyQueueItem } from '../types.ts';

/** `[number, prompt_id, prompt, extra_data, outputs]` (newer servers strip a 6th element). */
export function toQueueItem(raw: unknown[] | undefined): ComfyQueueItem {
  const [number, promptId, prompt, extra, outputs] = raw ?? [];
  return {
    number: typeof number === 'number' ? number : Number(number ?? 0),
    prompt_id: String(promptId ?? ''),
    prompt: (prompt && typeof prompt === 'object' ? prompt : {}) as Workflow,
    extra_data: (extra && typeof extra === 'object' ? extra : {}) as Record<string, unknown>,
    outputs: Array.isArray(outputs) ? outputs.map(String) : [],
  };
}

/** ComfyUI sends pending items in heap order; sort them as its own frontend does. */
export function parseQueue(body: { queue_running?: unknown[]; queue_pending?: unknown[] }): ComfyQueue {
  const items = (list: unknown[] | undefined) => (list ?? []).map((r) => toQueueItem(r as unknown[]));
  const pending = items(body.queue_pending).sort(
    (a, b) => a.number - b.number || (a.prompt_id < b.prompt_id ? -1 : 1),
  );
  return { running: items(body.queue_running), pending };
}
