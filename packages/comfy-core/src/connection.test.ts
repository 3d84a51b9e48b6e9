import { randomUUID } from 'node:crypto';
import { startComfySim } from '@comfy-gateway/comfy-sim';
import type { ComfySim, ComfySimOptions } from '@comfy-gateway/comfy-sim';
import type { ConnectionState } from '@comfy-gateway/schema';
import { describe, expect, it } from 'vitest';
import { createComfyConnection } from './connection.ts';
import type { ComfyConnectionOptions } from './connection.ts';
import { createMemoryJobRepository } from './tracker/memory-job-repository.ts';
import { samplerGraph, tinyGraph, WS } from './tracker/test-rig.ts';
import type { Timers } from './types.ts';

/** Timers and a clock that move only when the test advances them. */
function fakeTimers() {
  let t = 0;
  let seq = 0;
  const due = new Map<number, { at: number; fn: () => void }>();
  const timers: Timers & { now: () => number; advance: (ms: number) => void } = {
    setTimeout(fn, ms) {
      due.set(++seq, { at: t + ms, fn });
      return seq;
    },
    clearTimeout: (h) => void due.delete(h as number),
    now: () => t,
    advance(ms) {
      t += ms;
      for (const [h, d] of [...due].sort((a, b) => a[1].at - b[1].at)) {
        if (d.at > t || !due.has(h)) continue;
        due.delete(h);
        d.fn();
      }
    },
  };
  return timers;
}

/** A simulator and a started connection with short delays, disposed together. */
async function startConnection(
  simOpts: ComfySimOptions = {},
  over: Partial<ComfyConnectionOptions> = {},
  shared?: ComfySim,
) {
  const sim = shared ?? (await startComfySim(simOpts));
  const states: ConnectionState[] = [];
  const metrics: string[] = [];
  const conn = createComfyConnection({
    baseUrl: sim.url,
    timeoutMs: 2000,
    WebSocket: WS,
    reconnect: { baseDelayMs: 20, maxDelayMs: 100, maxAttempts: 3 },
    healthIntervalMs: 200,
    objectInfoTtlMs: 60_000,
    pollIntervalMs: 50,
    silenceMs: 2000,
    onStateChange: (_from, to) => states.push(to),
    onMetric: (name) => metrics.push(name),
    ...over,
  });
  await conn.start();
  await expect.poll(() => conn.watchdog.state).toBe('connected');
  return {
    sim,
    conn,
    states,
    metrics,
    async [Symbol.asyncDispose]() {
      await conn.stop();
      if (!shared) await sim.close();
    },
  };
}

describe('createComfyConnection against the simulator', () => {
  it('queues under its own client id and tracks the prompt before returning', async () => {
    await using t = await startConnection({ stepMs: 2 });
    expect(t.conn.clientId).toMatch(/^[0-9a-f]{32}$/);
    const res = await t.conn.queue(samplerGraph(1, 3));
    expect(res.client_id).toBe(t.conn.clientId);
    expect(t.conn.tracker.get(res.prompt_id)).toBeDefined();
    const final = await t.conn.tracker.waitForEnd(res.prompt_id);
    expect(final).toMatchObject({ status: 'completed', followed_by: 'socket' });
    expect(final.images).toHaveLength(1);
    expect(t.conn.info()).toMatchObject({ state: 'connected', socketOpen: true, version: '0.3.64' });
    expect(t.metrics).toContain('job_end');
  });

  it('caches object_info: one fetch for concurrent callers, refresh bypasses, stale copy on failure', async () => {
    await using t = await startConnection();
    const all = await Promise.all(Array.from({ length: 20 }, () => t.conn.getObjectInfo()));
    expect(t.sim.stats.requests['GET /object_info']).toBe(1);
    expect(new Set(all.map((r) => r.hash)).size).toBe(1);
    expect(all[0]?.value['KSampler']?.name).toBe('KSampler');
    await t.conn.getObjectInfo({ refresh: true });
    expect(t.sim.stats.requests['GET /object_info']).toBe(2);
    t.sim.faults.failHttp({ status: 500, routes: /object_info/ });
    const stale = await t.conn.getObjectInfo({ refresh: true });
    expect(stale).toMatchObject({
      stale: true,
      hash: all[0]?.hash,
      warning: expect.stringMatching(/refresh failed/),
    });
    t.sim.faults.failHttp(null);
  });

  it('reconnects after the sockets drop and still completes the job', async () => {
    await using t = await startConnection({ stepMs: 20 });
    const { prompt_id } = await t.conn.queue(samplerGraph(2, 10));
    await expect.poll(() => t.conn.tracker.get(prompt_id)?.status).toBe('running');
    t.sim.faults.dropSockets();
    const final = await t.conn.tracker.waitForEnd(prompt_id);
    expect(final.status).toBe('completed');
    await expect.poll(() => t.conn.watchdog.state).toBe('connected');
    expect(t.states).toContain('reconnecting');
    expect(t.sim.stats.wsConnectionsTotal).toBeGreaterThanOrEqual(2);
  });

  it('ends a job ComfyUI lost in a restart as failed, and reconnects', async () => {
    await using t = await startConnection({ stepMs: 50 });
    const { prompt_id } = await t.conn.queue(samplerGraph(3, 100));
    await expect.poll(() => t.conn.tracker.get(prompt_id)?.status).toBe('running');
    await t.sim.stop();
    await expect.poll(() => t.conn.watchdog.state).not.toBe('connected');
    await t.sim.restart();
    const final = await t.conn.tracker.waitForEnd(prompt_id);
    expect(final).toMatchObject({ status: 'failed', error: { code: 'vanished' } });
    await expect.poll(() => t.conn.watchdog.state).toBe('connected');
    expect(t.metrics).toContain('vanished');
  });

  it('degrades when the socket is refused for good, and recovers when it is allowed again', async () => {
    await using t = await startConnection();
    t.sim.faults.rejectWs(true);
    t.sim.faults.dropSockets();
    await expect.poll(() => t.conn.watchdog.state, { timeout: 5000 }).toBe('degraded');
    expect(t.conn.info().lastError).toBeTruthy();
    t.sim.faults.rejectWs(false);
    await expect.poll(() => t.conn.watchdog.state, { timeout: 5000 }).toBe('connected');
    const res = await t.conn.queue(tinyGraph(4));
    expect((await t.conn.tracker.waitForEnd(res.prompt_id)).status).toBe('completed');
  });

  it('follows a prompt queued with the caller\u2019s own client id by polling', async () => {
    await using t = await startConnection();
    const res = await t.conn.queue(tinyGraph(5), { clientId: 'their-app' });
    expect(res.client_id).toBe('their-app');
    const events = t.conn.tracker.eventsSince(res.prompt_id).map((e) => e.event);
    expect(events.find((e) => e.type === 'warning')).toMatchObject({ code: 'followed_by_polling' });
    const final = await t.conn.tracker.waitForEnd(res.prompt_id);
    expect(final).toMatchObject({ status: 'completed', followed_by: 'polling' });
  });

  it('queues under a prompt id the gateway chose up front', async () => {
    await using t = await startConnection();
    const promptId = randomUUID();
    const res = await t.conn.queue(tinyGraph(6), { promptId });
    expect(res.prompt_id).toBe(promptId);
    expect(t.conn.tracker.get(promptId)).toBeDefined();
    expect((await t.conn.tracker.waitForEnd(promptId)).status).toBe('completed');
    expect(await t.conn.client.getHistory(promptId)).not.toBeNull();
  });

  it('follows the repository\u2019s unfinished jobs again on start, to their true final state', async () => {
    const repository = createMemoryJobRepository();
    await using t = await startConnection({ stepMs: 20 }, { repository });
    const { prompt_id } = await t.conn.queue(samplerGraph(7, 10));
    await expect.poll(() => t.conn.tracker.get(prompt_id)?.status).toBe('running');
    await t.conn.stop();
    expect((await repository.load(prompt_id))?.status).toBe('running');
    const floor = (await repository.load(prompt_id))?.eventIdFloor ?? 0;

    // A new process (new client id) over the same repository while ComfyUI ran on.
    await using again = await startConnection({}, { repository }, t.sim);
    const final = await again.conn.tracker.waitForEnd(prompt_id);
    expect(final).toMatchObject({
      status: 'completed',
      images: [expect.objectContaining({ type: 'output' })],
    });
    expect(Number(again.conn.tracker.eventsSince(prompt_id)[0]?.id)).toBe(floor + 1);
    await again.conn.tracker.flush();
    expect(await repository.load(prompt_id)).toMatchObject({ status: 'completed' });
  });

  it('fails active jobs after giveUpAfterMs on the injected clock, not the wall clock', async () => {
    const clock = fakeTimers();
    await using t = await startConnection(
      { stepMs: 50 },
      { timers: clock, now: clock.now, giveUpAfterMs: 60_000 },
    );
    const { prompt_id } = await t.conn.queue(samplerGraph(8, 100));
    await expect.poll(() => t.conn.tracker.get(prompt_id)?.status).toBe('running');
    await t.sim.stop();
    await expect.poll(() => t.conn.watchdog.state).not.toBe('connected');
    clock.advance(59_999);
    expect(t.conn.tracker.get(prompt_id)?.status).toBe('running');
    clock.advance(1);
    expect(t.conn.tracker.get(prompt_id)).toMatchObject({
      status: 'failed',
      error: { code: 'comfy_unreachable', message: expect.stringMatching(/60 s/) },
    });
    // Regression: the socket's close reason named the upstream host in every subscriber's warning.
    const lost = t.conn.tracker
      .eventsSince(prompt_id)
      .find((e) => e.event.type === 'warning' && e.event.code === 'comfy_connection_lost');
    expect(lost?.event).toMatchObject({ message: 'lost the connection to ComfyUI; reconnecting' });
    expect(JSON.stringify(lost?.event)).not.toContain(new URL(t.sim.url).host);
  });

  it('stops cleanly: disabled, socket closed, no timers left behind', async () => {
    await using t = await startConnection();
    await t.conn.stop();
    expect(t.conn.watchdog.state).toBe('disabled');
    expect(t.conn.info().socketOpen).toBe(false);
    await expect.poll(() => t.sim.stats.wsConnections()).toBe(0);
  });
});
