import type { Graph } from '../exec/validate-types.ts';
import { heapify, heapPop, heapPush } from './heap.ts';

/** `[number, prompt_id, prompt, extra_data, outputs_to_execute]`, as /queue and history show it. */
export type QueueItem = [
  number: number,
  promptId: string,
  prompt: Graph,
  extraData: Record<string, unknown>,
  outputs: string[],
];

const less = (a: QueueItem, b: QueueItem): boolean => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);

/** ComfyUI's PromptQueue: a heap of pending items plus the one running item. */
export class PromptQueue {
  readonly pending: QueueItem[] = [];
  running: QueueItem | null = null;
  /** The POST /prompt counter; it advances even for rejected prompts. */
  counter = 0;
  private waiter: (() => void) | null = null;

  constructor(private readonly onChange: () => void) {}

  get remaining(): number {
    return this.pending.length + (this.running ? 1 : 0);
  }

  put(item: QueueItem): void {
    heapPush(this.pending, item, less);
    this.onChange();
    this.waiter?.();
  }

  /** Takes the next item for the worker, waiting while the queue is empty. */
  async take(alive: () => boolean): Promise<QueueItem | null> {
    while (this.pending.length === 0) {
      if (!alive()) return null;
      await new Promise<void>((resolve) => (this.waiter = resolve));
      this.waiter = null;
    }
    if (!alive()) return null;
    const item = heapPop(this.pending, less) ?? null;
    this.running = item;
    this.onChange();
    return item;
  }

  /** Marks the running item done; history must already be written (the status broadcast follows). */
  done(): void {
    this.running = null;
    this.onChange();
  }

  deletePending(ids: string[]): void {
    for (const id of ids) {
      const i = this.pending.findIndex((item) => item[1] === id);
      if (i < 0) continue;
      this.pending.splice(i, 1);
      heapify(this.pending, less);
      this.onChange();
    }
  }

  clearPending(): void {
    this.pending.length = 0;
    this.onChange();
  }

  /** Wakes a waiting worker so it can notice shutdown. */
  wake(): void {
    this.waiter?.();
  }
}
