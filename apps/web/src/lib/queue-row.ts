import type { QueueItem } from '@comfy-gateway/schema';

/** Who a queue row belongs to, as far as the caller may know. */
export function queueRowSource(item: QueueItem, isAdmin: boolean): string {
  if (item.mine) return 'you';
  if (!item.ours) return 'other client';
  return isAdmin && item.owner_id != null ? `user #${item.owner_id}` : 'another user';
}

/** Whether the caller gets a cancel button: an id to cancel, and the right to (own job, or admin). */
export function canCancelQueueRow(
  item: QueueItem,
  isAdmin: boolean,
): item is QueueItem & { prompt_id: string } {
  return item.prompt_id !== undefined && (item.mine || isAdmin);
}

/**
 * Where a queue row waits or runs: its server, or the gateway's own queue before dispatch. Null for
 * another user's job not yet on a server: anonymous rows carry only their server, when they have one.
 */
export function queueRowWhere(item: QueueItem, pooled: boolean): string | null {
  if (item.backend) return item.backend;
  if (!pooled) return 'ComfyUI';
  return item.prompt_id === undefined ? null : 'gateway queue';
}

/** True when the gateway runs a pool of servers: its items carry a server or a priority. */
export function isPooledQueue(items: QueueItem[]): boolean {
  return items.some((i) => i.backend !== undefined || i.priority !== undefined);
}
