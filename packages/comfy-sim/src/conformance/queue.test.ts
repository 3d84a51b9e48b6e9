import { describe, expect, it } from 'vitest';
import { startComfySim } from '../sim.ts';
import * as fx from './fixtures.ts';
import { connect, getJson, postJson, queue, summarize, waitForHistory } from './harness.ts';

type QueueBody = { queue_running: unknown[][]; queue_pending: unknown[][] };

describe('queue, delete and interrupt (transcripts §5.4)', () => {
  it('jumps the queue with front, deletes a pending item and interrupts at the next node start', async () => {
    // Long nodes so the interrupt lands inside node 2 even on a loaded CI machine.
    await using sim = await startComfySim({ nodeMs: 400 });
    const c = await connect(sim, 'q');
    const a = await queue(sim, fx.slowGraph, { client_id: 'q' });
    const b = await queue(sim, fx.emptySave('quick', 1), { client_id: 'q' });
    const cFront = await queue(sim, fx.emptySave('quick', 2), { client_id: 'q', front: true });
    const d = await queue(sim, fx.emptySave('quick', 3), { client_id: 'q' });
    let q = await getJson<QueueBody>(sim, '/queue');
    expect(q.queue_running.map((i) => i[1])).toEqual([a]);
    expect(q.queue_pending.map((i) => [i[0], i[1]])).toEqual([
      [-2, cFront],
      [1, b],
      [3, d],
    ]);
    expect(q.queue_pending[0]?.[3]).toEqual({ client_id: 'q' });

    const beforeDelete = c.frames.length;
    const del = await fetch(`${sim.url}/queue`, { method: 'POST', body: JSON.stringify({ delete: [d] }) });
    expect(del.status).toBe(200);
    expect(await del.text()).toBe('');
    await c.waitFor((f) => summarize(f) === 'status q=3', beforeDelete);
    q = await getJson<QueueBody>(sim, '/queue');
    expect(q.queue_pending.map((i) => i[1])).toEqual([cFront, b]);

    // Interrupt while node 2 (ImageScale) is running: it lands when node 3 starts.
    await c.waitFor((f) => summarize(f) === 'executing 2');
    const intr = await fetch(`${sim.url}/interrupt`, { method: 'POST', body: '{}' });
    expect(intr.status).toBe(200);
    expect(intr.headers.get('content-type')).toBeNull();
    const frames = (await c.runFrames(a, 0)).map(summarize);
    const at = frames.indexOf('ps 1:finished 2:finished');
    expect(frames.slice(at, at + fx.INTERRUPT_AT_NODE_START.length)).toEqual(fx.INTERRUPT_AT_NODE_START);
    expect(frames.slice(-2)).toEqual(['status q=2', 'executing null']);

    // The flag was cleared: the front item then B run normally, in that order.
    const hc = await waitForHistory(sim, cFront);
    const hb = await waitForHistory(sim, b);
    expect((hc['status'] as { status_str: string }).status_str).toBe('success');
    expect(hb['outputs']).toEqual({
      '2': { images: [{ filename: 'quick_00002_.png', subfolder: '', type: 'output' }] },
    });
    const ha = await waitForHistory(sim, a);
    const status = ha['status'] as {
      status_str: string;
      completed: boolean;
      messages: [string, Record<string, unknown>][];
    };
    expect(status.status_str).toBe('error');
    expect(status.messages.at(-1)?.[0]).toBe('execution_interrupted');
    expect(status.messages.at(-1)?.[1]).toMatchObject({ node_id: '3', node_type: 'ImageInvert' });
    expect(await getJson(sim, `/history/${d}`)).toEqual({});
    await c.close();
  });

  it('answers {} for /history/{id} while the prompt is queued or running', async () => {
    await using sim = await startComfySim({ nodeMs: 40 });
    const id = await queue(sim, fx.invertChain('hist'));
    expect(await getJson(sim, `/history/${id}`)).toEqual({});
    expect(await getJson(sim, '/prompt')).toEqual({ exec_info: { queue_remaining: 1 } });
    const entry = await waitForHistory(sim, id);
    expect(entry['outputs']).toBeTruthy();
    expect(await getJson(sim, '/queue')).toEqual({ queue_running: [], queue_pending: [] });
  });

  it('ignores an interrupt for another prompt_id and bad JSON, and clears the queue', async () => {
    await using sim = await startComfySim({ nodeMs: 50 });
    const a = await queue(sim, fx.invertChain('x1'));
    const b = await queue(sim, fx.emptySave('x2'));
    expect(
      (await fetch(`${sim.url}/interrupt`, { method: 'POST', body: '{"prompt_id":"other"}' })).status,
    ).toBe(200);
    expect((await fetch(`${sim.url}/interrupt`, { method: 'POST', body: 'not json' })).status).toBe(200);
    // The bad-JSON interrupt (no id) is global, so A stops; B is then cleared while pending.
    await postJson(sim, '/queue', { clear: true });
    const ha = await waitForHistory(sim, a);
    expect((ha['status'] as { status_str: string }).status_str).toBe('error');
    expect(await getJson(sim, `/history/${b}`)).toEqual({});
  });
});
