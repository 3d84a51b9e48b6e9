import { describe, expect, it } from 'vitest';
import { removeStaleCopies } from './stale-copies.ts';

const item = (prompt_id: string) => ({ prompt_id, number: 0, prompt: {}, extra_data: {}, outputs: [] });

/** A fake ComfyUI queue: deleted ids go at once, an interrupted one after the next poll. */
function fakeServer(running: string[], pending: string[]) {
  const calls: string[] = [];
  let interrupted: string[] = [];
  return {
    calls,
    client: {
      getQueue: () => {
        running = running.filter((id) => !interrupted.includes(id));
        interrupted = [];
        return Promise.resolve({ running: running.map(item), pending: pending.map(item) });
      },
      deleteQueued: (ids: string[]) => {
        calls.push(`delete ${ids.join(',')}`);
        pending = pending.filter((id) => !ids.includes(id));
        return Promise.resolve();
      },
      interrupt: (id?: string) => {
        calls.push(`interrupt ${id ?? ''}`);
        if (id) interrupted.push(id);
        return Promise.resolve();
      },
    },
  };
}

const timers = { setTimeout: (fn: () => void) => setTimeout(fn, 0), clearTimeout: () => undefined };

describe('removeStaleCopies', () => {
  it('deletes pending and interrupts running copies the gateway moved away; keeps its own and foreign ones', async () => {
    const s = fakeServer(['moved-running'], ['mine', 'moved-pending', 'foreign']);
    const removed = await removeStaleCopies({
      client: s.client,
      assignedHere: (id) => id === 'mine',
      isGatewayJob: (id) => Promise.resolve(id !== 'foreign'),
      timers,
      pollMs: 0,
      current: () => true,
    });
    expect(removed.sort()).toEqual(['moved-pending', 'moved-running']);
    expect(s.calls).toEqual(['delete moved-pending', 'interrupt moved-running']);
  });

  it('does nothing on a server that holds only its own jobs', async () => {
    const s = fakeServer(['mine'], []);
    const removed = await removeStaleCopies({
      client: s.client,
      assignedHere: () => true,
      isGatewayJob: () => Promise.resolve(true),
      timers,
      pollMs: 0,
      current: () => true,
    });
    expect(removed).toEqual([]);
    expect(s.calls).toEqual([]);
  });

  it('stops when the server is lost again before the copies are gone', async () => {
    const s = fakeServer([], ['moved']);
    await expect(
      removeStaleCopies({
        client: s.client,
        assignedHere: () => false,
        isGatewayJob: () => Promise.resolve(true),
        timers,
        pollMs: 0,
        current: () => false,
      }),
    ).rejects.toThrow(/lost again/);
    expect(s.calls).toEqual([]);
  });
});
