import { describe, expect, it } from 'vitest';
import { modelWorkflow, must, queueOk, ranOn, startPoolApp } from './pool-kit.ts';

const until = async (check: () => boolean | Promise<boolean>, ms = 15_000) => {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition never held');
    await new Promise((r) => setTimeout(r, 10));
  }
};

interface SimQueue {
  queue_running: unknown[];
  queue_pending: unknown[];
}

describe('pool: a server cut off (not restarted) comes back', () => {
  it('removes the copies of the jobs moved away from it before it gets new work: no prompt runs twice', async () => {
    const shared = { checkpoints: ['shared.safetensors'] };
    // s1 is slow: the job it runs is still running there when it comes back.
    await using app = await startPoolApp([
      { ...shared, stepMs: 100 },
      { ...shared, stepMs: 2 },
    ]);
    await app.connected();
    const s1 = must(app.sims[0]);
    const s2 = must(app.sims[1]);
    const u = await app.createUser('u@example.com');
    app.pool.drain('s2');
    const running = await queueOk(app, u.token, { workflow: modelWorkflow('shared.safetensors', 1, 80) });
    const waiting = await queueOk(app, u.token, { workflow: modelWorkflow('shared.safetensors', 2, 80) });
    await until(() => s1.stats.started.includes(running));
    expect(app.pool.dispatcher.flightOf(waiting)?.name).toBe('s1');

    // The network to s1 goes; s1 keeps its queue and keeps executing.
    s1.faults.partition(true);
    app.pool.resume('s2');
    const finals = await Promise.all([app.untilDone(running), app.untilDone(waiting)]);
    expect(finals.map((f) => f.status)).toEqual(['completed', 'completed']);
    expect(ranOn(app, waiting)).toEqual([1]);
    expect(s1.stats.started).not.toContain(waiting);

    // Back: the stale copies are deleted (pending) and interrupted (running) before s1 gets work.
    s1.faults.partition(false);
    await until(async () => {
      const q = (await (await fetch(`${s1.url}/queue`)).json()) as SimQueue;
      return q.queue_running.length === 0 && q.queue_pending.length === 0;
    });
    await until(() => !app.pool.member('s1').fenced);
    const history = (await (await fetch(`${s1.url}/history`)).json()) as Record<
      string,
      { status: { status_str: string; completed: boolean } }
    >;
    expect(Object.keys(history)).toEqual([running]);
    expect(history[running]?.status.completed).toBe(false);
    // Across both simulators: the waiting job ran once, the running one once to completion.
    expect(s1.stats.started.filter((id) => id === waiting)).toHaveLength(0);
    expect([...s1.stats.started, ...s2.stats.started].filter((id) => id === waiting)).toHaveLength(1);
    const completedOn = await Promise.all(
      [s1, s2].map(async (s) => {
        const h = (await (await fetch(`${s.url}/history`)).json()) as typeof history;
        return Object.entries(h)
          .filter(([, e]) => e.status.status_str === 'success')
          .map(([id]) => id);
      }),
    );
    expect(completedOn.flat().sort()).toEqual([running, waiting].sort());
    // The job's one final state stands: the interrupted copy on s1 did not count.
    const rows = app.db
      .prepare('SELECT prompt_id, status, backend FROM jobs ORDER BY created_at')
      .all() as Array<{ prompt_id: string; status: string; backend: string }>;
    expect(rows).toEqual([
      { prompt_id: running, status: 'completed', backend: 's2' },
      { prompt_id: waiting, status: 'completed', backend: 's2' },
    ]);
    const events = await app.events(running);
    expect(events.filter((e) => e.event.type === 'done')).toHaveLength(1);

    // And s1 takes work again.
    app.pool.drain('s2');
    const next = await queueOk(app, u.token, { workflow: modelWorkflow('shared.safetensors', 3, 2) });
    expect((await app.untilDone(next)).status).toBe('completed');
    expect(ranOn(app, next)).toEqual([0]);
  }, 30_000);
});
