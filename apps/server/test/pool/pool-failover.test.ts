import { describe, expect, it } from 'vitest';
import { modelWorkflow, must, queueOk, ranOn, startPoolApp } from './pool-kit.ts';

const until = async (check: () => boolean, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition never held');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('pool: failover', () => {
  it('moves a killed server’s jobs elsewhere, retries the running one once, and uses the server again when it is back', async () => {
    const shared = { checkpoints: ['shared.safetensors'], stepMs: 20 };
    await using app = await startPoolApp([shared, shared, shared]);
    await app.connected();
    const users = await Promise.all(['a', 'b', 'c'].map((n) => app.createUser(`${n}@example.com`)));
    const ids: string[] = [];
    for (let i = 0; i < 30; i++)
      ids.push(
        await queueOk(app, must(users[i % 3]).token, {
          workflow: modelWorkflow('shared.safetensors', i, 10),
        }),
      );
    const s1 = must(app.sims[0]);
    // Kill s1 while it runs a job (and holds another in its queue).
    await until(() => s1.stats.started.length >= 2);
    const runningAtKill = must(s1.stats.started.at(-1));
    await s1.stop();

    const finals = await Promise.all(ids.map((id) => app.untilDone(id)));
    expect(finals.map((f) => f.status)).toEqual(Array(30).fill('completed'));
    // Across every simulator: no prompt ran twice, except the one cut short by the kill.
    const runs = new Map<string, number>();
    for (const s of app.sims) for (const id of s.stats.started) runs.set(id, (runs.get(id) ?? 0) + 1);
    const twice = [...runs].filter(([, n]) => n > 1).map(([id]) => id);
    expect(twice).toEqual([runningAtKill]);
    expect(ids.every((id) => runs.has(id))).toBe(true);
    // One stream across both servers: ids keep rising, a warning says what happened, one `done`.
    const events = await app.events(runningAtKill);
    const numbered = events.filter((e) => e.id !== '').map((e) => Number(e.id));
    expect(numbered).toEqual([...numbered].sort((a, b) => a - b));
    expect(new Set(numbered).size).toBe(numbered.length);
    expect(events.some((e) => e.event.type === 'warning' && e.event.code === 'backend_lost')).toBe(true);
    expect(events.filter((e) => e.event.type === 'done')).toHaveLength(1);
    expect(ranOn(app, runningAtKill)[0]).toBe(0);
    const failovers = await (await app.request('/metrics')).text();
    expect(failovers).toMatch(/comfy_gateway_failovers_total\{backend="s1"\} [1-9]/);

    // Back again: s1 takes jobs once more.
    await s1.restart();
    await app.connected(['s1']);
    const more: string[] = [];
    for (let i = 0; i < 6; i++)
      more.push(
        await queueOk(app, must(users[0]).token, {
          workflow: modelWorkflow('shared.safetensors', 100 + i, 10),
        }),
      );
    await Promise.all(more.map((id) => app.untilDone(id)));
    expect(more.flatMap((id) => ranOn(app, id))).toContain(0);
  });

  it('holds a job only a disconnected server can run, warns, then fails it no_backend', async () => {
    await using app = await startPoolApp(
      [{ checkpoints: ['a.safetensors'] }, { checkpoints: ['b.safetensors'] }],
      { COMFY_DISPATCH_TIMEOUT_S: '0.5' },
    );
    await app.connected();
    const u = await app.createUser('u@example.com');
    await must(app.sims[1]).stop();
    await until(() => app.pool.member('s2').connection.watchdog.state !== 'connected');
    const id = await queueOk(app, u.token, { workflow: modelWorkflow('b.safetensors', 1) });
    const final = await app.untilDone(id);
    expect(final.status).toBe('failed');
    expect(final.error?.code).toBe('no_backend');
    const events = await app.events(id);
    expect(events.some((e) => e.event.type === 'warning' && e.event.code === 'waiting_for_backend')).toBe(
      true,
    );
    // The ledger is written after `done` is emitted, asynchronously.
    await expect
      .poll(() => app.db.prepare('SELECT status, backend FROM jobs WHERE prompt_id = ?').get(id))
      .toEqual({ status: 'failed', backend: null });
  });
});
