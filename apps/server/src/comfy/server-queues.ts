import type { ComfyPool } from '@comfy-gateway/comfy-core';

export interface ServerQueueItem {
  promptId: string;
  running: boolean;
  number?: number;
  /** Queued with the gateway's client id, or followed by it. */
  ours: boolean;
}

/**
 * What each server runs and holds, in its own order (prompts of other programs included). A server
 * that cannot answer is shown from what its tracker follows; when none answers, the error stands.
 */
export async function serverQueues(
  pool: ComfyPool,
): Promise<Array<{ backend: string; items: ServerQueueItem[] }>> {
  const answers = await Promise.all(
    pool.members.map(async (m) => {
      try {
        const q = await m.connection.client.getQueue();
        const ours = (id: string, clientId: unknown) =>
          clientId === pool.clientId || m.connection.tracker.get(id) !== undefined;
        const of = (running: boolean) => (x: (typeof q.running)[number]) => ({
          promptId: x.prompt_id,
          running,
          number: x.number,
          ours: ours(x.prompt_id, x.extra_data['client_id']),
        });
        return { backend: m.name, items: [...q.running.map(of(true)), ...q.pending.map(of(false))] };
      } catch (err) {
        const items = m.connection.tracker
          .activeSnapshots()
          .sort((a, b) => (a.queue_position ?? -1) - (b.queue_position ?? -1))
          .map((s) => ({ promptId: s.prompt_id, running: s.status === 'running', ours: true }));
        return { backend: m.name, items, err };
      }
    }),
  );
  const failed = answers.find((a) => 'err' in a);
  if (failed && answers.every((a) => 'err' in a)) throw failed.err;
  return answers.map(({ backend, items }) => ({ backend, items }));
}
