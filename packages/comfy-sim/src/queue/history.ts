import type { QueueItem } from './prompt-queue.ts';

export const MAX_HISTORY = 10_000;

export interface HistoryEntry {
  prompt: QueueItem;
  outputs: Record<string, unknown>;
  status: {
    status_str: 'success' | 'error';
    completed: boolean;
    messages: [string, Record<string, unknown>][];
  };
  meta: Record<string, unknown>;
}

const SENSITIVE = ['auth_token_comfy_org', 'api_key_comfy_org'];

/** In-memory history, oldest first, like the real server (lost on restart). */
export class History {
  private readonly entries = new Map<string, HistoryEntry>();

  add(item: QueueItem, rest: Omit<HistoryEntry, 'prompt'>): void {
    const extra = Object.fromEntries(Object.entries(item[3]).filter(([k]) => !SENSITIVE.includes(k)));
    // Map.set keeps an existing key's position, like a Python dict update.
    this.entries.set(item[1], { prompt: [item[0], item[1], item[2], extra, item[4]], ...rest });
    while (this.entries.size > MAX_HISTORY) {
      const first = this.entries.keys().next().value;
      if (first === undefined) break;
      this.entries.delete(first);
    }
  }

  get(id: string): Record<string, HistoryEntry> {
    const e = this.entries.get(id);
    return e ? { [id]: e } : {};
  }

  /** get_history(max_items, offset): newest N when offset is negative, else items offset..offset+N-1. */
  /** Pairs rather than an object, because an object would reorder integer-like ids. */
  list(maxItems: number | null, offset: number): [string, HistoryEntry][] {
    if (offset < 0 && maxItems !== null) offset = this.entries.size - maxItems;
    const out: [string, HistoryEntry][] = [];
    let i = 0;
    for (const pair of this.entries) {
      if (i >= offset) {
        out.push(pair);
        if (maxItems !== null && out.length >= maxItems) break;
      }
      i++;
    }
    return out;
  }

  delete(ids: string[]): void {
    for (const id of ids) this.entries.delete(id);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
