import type { ComfyClient } from '../client/comfy-client.ts';
import type { Timers } from '../types.ts';

export interface StaleCopiesOptions {
  client: Pick<ComfyClient, 'getQueue' | 'deleteQueued' | 'interrupt'>;
  /** The job is in flight on this server right now (its copy there is the true one). */
  assignedHere: (promptId: string) => boolean;
  /** The gateway knows the prompt (a ledger row): prompts of other programs are left alone. */
  isGatewayJob: (promptId: string) => Promise<boolean>;
  timers: Timers;
  /** Between checks that the removed copies are gone (an interrupt ends at the next step). */
  pollMs: number;
  /** Still the same connection: false once the server is lost again (the next connect redoes it). */
  current: () => boolean;
}

/**
 * A server that comes back after a cut-off may still hold jobs the gateway moved away from it:
 * pending copies are deleted, a running one is interrupted, and this resolves (with their ids)
 * only once none of them is in the server's queue any more. Until then the server gets no work.
 */
export async function removeStaleCopies(o: StaleCopiesOptions): Promise<string[]> {
  const removed = new Set<string>();
  for (;;) {
    const q = await o.client.getQueue();
    const stale = async (ids: string[]) => {
      const out: string[] = [];
      for (const id of ids) if (!o.assignedHere(id) && (await o.isGatewayJob(id))) out.push(id);
      return out;
    };
    const pending = await stale(q.pending.map((x) => x.prompt_id));
    const running = await stale(q.running.map((x) => x.prompt_id));
    if (pending.length === 0 && running.length === 0) return [...removed];
    if (!o.current()) throw new Error('the server was lost again while its stale copies were removed');
    if (pending.length > 0) await o.client.deleteQueued(pending);
    for (const id of running) await o.client.interrupt(id);
    for (const id of [...pending, ...running]) removed.add(id);
    await new Promise<void>((r) => o.timers.setTimeout(() => r(), o.pollMs));
  }
}
