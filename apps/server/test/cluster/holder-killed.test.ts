import { describe, expect, it } from 'vitest';
import { until } from './cluster-fixture.ts';
import {
  historyIds,
  idsOf,
  openSse,
  readToEndOrCut,
  statusCounts,
  strictlyRising,
  submitSpread,
} from './cluster-calls.ts';
import type { StreamRun } from './cluster-calls.ts';
import type { GatewayInstance } from './gateway-instance.ts';
import { BUSY_RUN, useMultiCluster } from './multi-process.ts';

const JOBS = 100;
// ~150 ms of sampling per job, one at a time per server: the run lasts ~8 s without the kill.
const STEPS = 30;
const cluster = useMultiCluster(BUSY_RUN);

describe('the lease holder killed with SIGKILL in the middle of 100 jobs', () => {
  it('loses no job, sends none twice, ends every open stream, and another instance holds within 10 s', async () => {
    const c = cluster();
    const holder = await c.settledHolder(15_000);
    const survivors = c.instances.filter((i) => i !== holder);
    const hal = await c.createUser('hal@example.com', survivors[0]);
    const ids = await submitSpread(c.instances, hal.token, JOBS, { steps: STEPS });

    // Every job streamed on a survivor; every fifth also on the holder (those are cut by the kill).
    let done = 0;
    const stillOpen: string[] = [];
    // Opened (200) before this resolves; `run` is the rest of the stream.
    const open = async (on: GatewayInstance, id: string) => {
      const res = await openSse(on, id, hal.token);
      expect(res.status, `stream of ${id} on ${on.name}`).toBe(200);
      const name = `${id} on ${on.name}`;
      stillOpen.push(name);
      const run = readToEndOrCut(res).then((r) => {
        if (r.sawDone) done++;
        stillOpen.splice(stillOpen.indexOf(name), 1);
        return r;
      });
      return { id, run };
    };
    const onSurvivors = await Promise.all(ids.map((id, k) => open(survivors[k % 2] as GatewayInstance, id)));
    const onHolder = await Promise.all(ids.filter((_, k) => k % 5 === 0).map((id) => open(holder, id)));
    await until(() => done >= 25, 'a quarter of the jobs to end', 30_000);
    expect(done, 'the kill must land in the middle of the run').toBeLessThan(JOBS);

    await holder.kill();
    const killedAt = Date.now();
    const next = await c.settledHolder(10_000);
    const takeoverMs = Date.now() - killedAt;
    expect(survivors).toContain(next);
    expect(takeoverMs).toBeLessThan(10_000);

    // Streams on the survivors all end with `done`, completed, ids rising.
    await until(() => stillOpen.length === 0, 'every stream to end', 30_000).catch(() => undefined);
    expect(stillOpen, 'streams still open 30 s after the takeover').toEqual([]);
    const runs: StreamRun[] = await Promise.all(onSurvivors.map((s) => s.run));
    const unfinished = runs.map((r, k) => ({ id: ids[k], ...r })).filter((r) => !r.sawDone || r.cut);
    expect(
      unfinished.map((r) => r.id),
      'streams on survivors that did not end with done',
    ).toEqual([]);
    for (const r of runs) {
      expect(r.events.at(-1)?.data).toMatchObject({ snapshot: { status: 'completed' } });
      expect(strictlyRising(idsOf(r.events))).toBe(true);
    }

    // Streams that were on the holder (some cut mid-job by the kill) resume on a survivor from the
    // last id they saw.
    const cut = (await Promise.all(onHolder.map((o) => o.run))).filter((r) => r.cut && !r.sawDone);
    expect(cut.length, 'streams on the holder cut by the kill').toBeGreaterThan(0);
    for (const { id, run } of onHolder) {
      const first = await run;
      const last = first.events.filter((m) => m.id !== null).at(-1)?.id ?? undefined;
      const rest = first.sawDone
        ? { events: [], sawDone: true, cut: false }
        : await readToEndOrCut(await openSse(survivors[0] as GatewayInstance, id, hal.token, last));
      expect(first.sawDone || rest.sawDone, `resumed stream of ${id}`).toBe(true);
      expect(strictlyRising(idsOf([...first.events, ...rest.events])), `ids of ${id}`).toBe(true);
    }

    // The ledger: every job completed.
    const ledger = await c.ledgerOnceCompleted(ids, 30_000);
    expect(statusCounts(ledger, ids), c.diagnostics()).toEqual({ completed: JOBS });

    // No job ran twice: each id in exactly one simulator's history, and started there once.
    const histories = await Promise.all(c.sims.map((s) => historyIds(s.url)));
    const inHistories = ids.map((id) => histories.filter((h) => h.includes(id)).length);
    expect(inHistories.filter((n) => n !== 1)).toEqual([]);
    const starts = c.sims.flatMap((s) => s.stats.started).filter((id) => ids.includes(id));
    expect(starts.length - new Set(starts).size, 'prompts started twice').toBe(0);
    expect(new Set(starts).size).toBe(JOBS);

    // One upstream socket per server throughout, the new holder's once settled.
    expect(c.upstreamPeaks()).toEqual([1, 1]);
    await until(() => c.upstreamNow().join() === '1,1', 'the new holder’s sockets');
  }, 150_000);
});
