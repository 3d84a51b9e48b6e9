import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { emptySave, invertChain } from './conformance/fixtures.ts';
import {
  connect,
  getJson,
  isText,
  postJson,
  queue,
  summarize,
  waitForHistory,
} from './conformance/harness.ts';
import { startComfySim } from './sim.ts';

describe('fault injection', () => {
  it('dropSockets kills every socket while execution and history carry on', async () => {
    await using sim = await startComfySim({ nodeMs: 30 });
    const c = await connect(sim, 'd');
    const closed = new Promise<number>((resolve) => c.ws.once('close', (code) => resolve(code)));
    const id = await queue(sim, invertChain('drop'), { client_id: 'd' });
    await c.waitFor((f) => summarize(f) === 'executing 1');
    sim.faults.dropSockets();
    expect(await closed).toBe(1006);
    const entry = await waitForHistory(sim, id);
    expect((entry['status'] as { status_str: string }).status_str).toBe('success');
    expect(sim.stats.wsConnections()).toBe(0);
    expect(sim.stats.wsConnectionsTotal).toBe(1);
  });

  it('silence keeps sockets open but sends nothing; history is still written', async () => {
    await using sim = await startComfySim();
    const c = await connect(sim, 's');
    await c.waitFor((f) => isText(f, 'status'));
    sim.faults.silence(true);
    const id = await queue(sim, emptySave('quiet'), { client_id: 's' });
    await waitForHistory(sim, id);
    await new Promise((r) => setTimeout(r, 30));
    expect(c.frames).toHaveLength(1);
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    sim.faults.silence(false);
    const id2 = await queue(sim, emptySave('loud'), { client_id: 's' });
    expect((await c.runFrames(id2, 1)).map(summarize).at(-1)).toBe('executing null');
    await c.close();
  });

  it('failNode raises execution_error for that class until clearFailures', async () => {
    await using sim = await startComfySim();
    const c = await connect(sim, 'f');
    sim.faults.failNode('ImageInvert', 'CUDA out of memory');
    const id = await queue(sim, invertChain('fail'), { client_id: 'f' });
    const frames = await c.runFrames(id, 0);
    const err = frames.find((f) => isText(f, 'execution_error'));
    expect(err?.kind === 'text' && err.data).toMatchObject({
      node_id: '2',
      node_type: 'ImageInvert',
      exception_message: 'CUDA out of memory',
      executed: ['1'],
    });
    expect(frames.map(summarize).slice(-2)).toEqual(['status q=0', 'executing null']);
    sim.faults.clearFailures();
    const ok = await queue(sim, invertChain('fail'), { client_id: 'f' });
    expect((await c.runFrames(ok, frames.length)).map(summarize)).toContain('execution_success');
    await c.close();
  });

  it('failHttp answers the chosen status for matching routes, count times; httpDelayMs delays', async () => {
    await using sim = await startComfySim();
    sim.faults.failHttp({ routes: /^\/(api\/)?queue/, count: 2 });
    expect((await fetch(`${sim.url}/queue`)).status).toBe(500);
    expect((await fetch(`${sim.url}/prompt`)).status).toBe(200);
    expect((await fetch(`${sim.url}/api/queue`)).status).toBe(500);
    expect((await fetch(`${sim.url}/queue`)).status).toBe(200);
    sim.faults.failHttp({ status: 503 });
    expect((await fetch(`${sim.url}/object_info`)).status).toBe(503);
    expect((await fetch(`${sim.url}/prompt`)).status).toBe(503);
    sim.faults.failHttp(null);
    expect((await fetch(`${sim.url}/prompt`)).status).toBe(200);
    sim.faults.httpDelayMs = 80;
    const t0 = Date.now();
    await fetch(`${sim.url}/prompt`);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(75);
    expect(sim.faults.httpDelayMs).toBe(80);
  });

  it('rejectWs refuses upgrades while HTTP keeps working', async () => {
    await using sim = await startComfySim();
    sim.faults.rejectWs(true);
    await expect(connect(sim, 'r')).rejects.toThrow(/503/);
    expect((await fetch(`${sim.url}/prompt`)).status).toBe(200);
    sim.faults.rejectWs(false);
    const c = await connect(sim, 'r');
    await c.close();
  });

  it('partition resets every connection while the queue keeps running; healing finds it intact', async () => {
    await using sim = await startComfySim({ nodeMs: 40 });
    const c = await connect(sim, 'p');
    const closed = new Promise<number>((resolve) => c.ws.once('close', (code) => resolve(code)));
    const first = await queue(sim, invertChain('p1'), { client_id: 'p' });
    const second = await queue(sim, invertChain('p2'), { client_id: 'p' });
    sim.faults.partition(true);
    expect(await closed).toBe(1006);
    await expect(fetch(`${sim.url}/queue`)).rejects.toThrow();
    await expect(connect(sim, 'p')).rejects.toThrow();
    // Not a restart: while cut off it goes on executing what it holds.
    await expect.poll(() => sim.stats.started.includes(second), { timeout: 5000 }).toBe(true);
    sim.faults.partition(false);
    const entry = await waitForHistory(sim, second);
    expect((entry['status'] as { status_str: string }).status_str).toBe('success');
    expect(Object.keys(await getJson(sim, '/history'))).toEqual(expect.arrayContaining([first, second]));
    const r = await postJson(sim, '/prompt', { prompt: emptySave('p3', 3) });
    expect((r.json as { number: number }).number).toBe(2);
    const again = await connect(sim, 'p');
    await again.close();
  });

  it('stop + restart keeps the port and loses queue, history and the counter', async () => {
    await using sim = await startComfySim({ nodeMs: 20 });
    const port = sim.port;
    const c = await connect(sim, 'k');
    const closed = new Promise<void>((resolve) => c.ws.once('close', () => resolve()));
    const done = await queue(sim, emptySave('k0'));
    await waitForHistory(sim, done);
    const pending = await queue(sim, invertChain('k1'));
    await queue(sim, emptySave('k2', 5));
    await sim.stop();
    await closed;
    await expect(fetch(`${sim.url}/prompt`)).rejects.toThrow();
    await sim.restart();
    expect(sim.port).toBe(port);
    expect(await getJson(sim, '/history')).toEqual({});
    expect(await getJson(sim, '/queue')).toEqual({ queue_running: [], queue_pending: [] });
    expect(await getJson(sim, `/history/${pending}`)).toEqual({});
    const r = await postJson(sim, '/prompt', { prompt: emptySave('k3', 9) });
    expect((r.json as { number: number }).number).toBe(0);
    const again = await connect(sim, 'k');
    expect(summarize(await again.waitFor((f) => isText(f, 'status')))).toMatch(/^status q=\d sid=k$/);
    await again.close();
    await sim.restart();
    expect(sim.port).toBe(port);
  });
});
