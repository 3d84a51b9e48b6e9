import type { ComfyQueue, ComfyQueueItem } from '../types.ts';

/** ComfyUI sends pending items in heap order; sort them as its own frontend does. */
export function parseQueue(body: {
  queue_running: ComfyQueueItem[];
  queue_pending: ComfyQueueItem[];
}): ComfyQueue {
  const pending = [...body.queue_pending].sort(
    (a, b) => a.number - b.number || (a.prompt_id < b.prompt_id ? -1 : 1),
  );
  return { running: body.queue_running, pending };
}
