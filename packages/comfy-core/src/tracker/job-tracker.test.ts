import { describe, expect, it } from 'vitest';
import { samplerGraph, startRig, tinyGraph } from './test-rig.ts';

const types = (events: { type: string }[]) => events.map((e) => e.type);

describe('job tracker against the simulator', () => {
  it('follows a normal run to completed with progress, images and one final done', async () => {
    await using rig = await startRig({ stepMs: 5 });
    const { id, events } = await rig.queue(samplerGraph(1, 4));
    const final = await rig.tracker.waitForEnd(id);
    expect(final.status).toBe('completed');
    expect(final.images).toEqual([{ filename: 'rig_00001_.png', subfolder: '', type: 'output' }]);
    expect(final.progress?.percent).toBe(100);
    expect(types(events).filter((t) => t === 'done')).toHaveLength(1);
    expect(types(events).at(-1)).toBe('done');
    const steps = events.flatMap((e) =>
      e.type === 'status' && e.snapshot.progress?.node === '3' ? [e.snapshot.progress.value] : [],
    );
    expect(steps).toEqual(expect.arrayContaining([1, 2, 3, 4]));
    expect(events.some((e) => e.type === 'preview')).toBe(true);
    const running = events.find((e) => e.type === 'status' && e.snapshot.current_node?.id === '3');
    expect(running?.type === 'status' && running.snapshot.current_node?.class_type).toBe('KSampler');
    expect(rig.tracker.stats.rescues).toBe(0);
  });

  it('completes a fully cached rerun that sends no executing events', async () => {
    await using rig = await startRig();
    const first = await rig.queue(tinyGraph(7));
    await rig.tracker.waitForEnd(first.id);
    const again = await rig.queue(tinyGraph(7));
    const final = await rig.tracker.waitForEnd(again.id);
    expect(final.status).toBe('completed');
    expect(final.images?.[0]?.filename).toBe('rig_00001_.png');
  });

  it('ends failed with the node and message of an execution error', async () => {
    await using rig = await startRig();
    rig.sim.faults.failNode('SaveImage', 'disk full');
    const { id, events } = await rig.queue(tinyGraph(1));
    const final = await rig.tracker.waitForEnd(id);
    expect(final.status).toBe('failed');
    expect(final.error).toMatchObject({ message: 'disk full', node_id: '2', node_type: 'SaveImage' });
    expect(types(events).slice(-3)).toEqual(['status', 'error', 'done']);
  });

  it('ends interrupted after an interrupt mid-sampler, and cancelled after a pending delete', async () => {
    await using rig = await startRig({ stepMs: 30 });
    const running = await rig.queue(samplerGraph(2, 50));
    const pending = await rig.queue(samplerGraph(3, 50));
    await expect.poll(() => rig.tracker.get(running.id)?.progress?.value ?? 0).toBeGreaterThan(1);
    // The waiting job's position comes from the next queue read, which may trail the progress frames.
    await expect.poll(() => rig.tracker.get(pending.id)?.queue_position).toBe(0);
    rig.tracker.markCancelRequested(pending.id);
    await rig.client.deleteQueued([pending.id]);
    rig.tracker.markCancelRequested(running.id);
    await rig.client.interrupt(running.id);
    expect((await rig.tracker.waitForEnd(running.id)).status).toBe('interrupted');
    expect((await rig.tracker.waitForEnd(pending.id)).status).toBe('cancelled');
  });

  it('still completes when the socket drops mid-job (found by polling)', async () => {
    await using rig = await startRig({ stepMs: 20 });
    const { id } = await rig.queue(samplerGraph(4, 10));
    await expect.poll(() => rig.tracker.get(id)?.status).toBe('running');
    rig.sim.faults.dropSockets();
    const final = await rig.tracker.waitForEnd(id);
    expect(final.status).toBe('completed');
    expect(final.images).toHaveLength(1);
    expect(rig.tracker.stats.rescues).toBe(1);
  });

  it('completes through silence polling when the socket stays open but says nothing', async () => {
    await using rig = await startRig({ stepMs: 10 }, { silenceMs: 100 });
    rig.sim.faults.silence(true);
    const { id } = await rig.queue(samplerGraph(5, 5));
    const final = await rig.tracker.waitForEnd(id);
    expect(final.status).toBe('completed');
    expect(rig.tracker.stats.rescues).toBe(1);
  });

  it('fails a prompt that ComfyUI lost in a restart instead of waiting forever', async () => {
    await using rig = await startRig({ stepMs: 50 });
    const { id, events } = await rig.queue(samplerGraph(6, 100));
    await expect.poll(() => rig.tracker.get(id)?.status).toBe('running');
    await rig.sim.stop();
    await rig.sim.restart();
    const final = await rig.tracker.waitForEnd(id);
    expect(final.status).toBe('failed');
    expect(final.error?.message).toMatch(/lost the prompt/);
    expect(types(events).at(-1)).toBe('done');
    expect(rig.tracker.stats.vanished).toBe(1);
  });

  it('follows a prompt queued with a foreign client id by polling, with a warning', async () => {
    await using rig = await startRig();
    const { id, events } = await rig.queue(tinyGraph(9), 'someone-else');
    const final = await rig.tracker.waitForEnd(id);
    expect(final.status).toBe('completed');
    expect(final.followed_by).toBe('polling');
    expect(events.find((e) => e.type === 'warning')).toMatchObject({ code: 'followed_by_polling' });
  });

  it('resumes from an event id without gaps or repeats, and looks up unknown prompts', async () => {
    await using rig = await startRig();
    const { id } = await rig.queue(tinyGraph(3));
    await rig.tracker.waitForEnd(id);
    const all = rig.tracker.eventsSince(id);
    const ids = all.map((e) => Number(e.id));
    expect(ids).toEqual(ids.map((_, i) => i + 1));
    expect(rig.tracker.eventsSince(id, '2').map((e) => e.id)).toEqual(all.slice(2).map((e) => e.id));
    expect(await rig.tracker.lookup('no-such-prompt')).toBeUndefined();
    const ac = new AbortController();
    const other = await rig.client.queuePrompt({ prompt: tinyGraph(11) });
    const seen = await rig.tracker.lookup(other.prompt_id);
    expect(seen?.prompt_id).toBe(other.prompt_id);
    const wait = rig.tracker.waitForEnd(other.prompt_id, { signal: ac.signal });
    ac.abort(new Error('caller went away'));
    await expect(wait).rejects.toThrow('caller went away');
  });
});
