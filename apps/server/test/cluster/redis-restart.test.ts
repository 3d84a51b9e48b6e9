import { describe, expect, it } from 'vitest';
import { until } from './cluster-fixture.ts';
import { historyIds, openSse, readToEndOrCut, statusCounts, submitSpread } from './cluster-calls.ts';
import type { GatewayInstance } from './gateway-instance.ts';
import { BUSY_RUN, useMultiCluster } from './multi-process.ts';

const JOBS = 40;
const cluster = useMultiCluster(BUSY_RUN);

describe('Redis restarted empty in the middle of a run', () => {
  it('loses no completion: every job ends completed in the ledger, and one instance holds again', async () => {
    const c = cluster();
    await c.settledHolder(15_000);
    const ida = await c.createUser('ida@example.com');
    const ids = await submitSpread(c.instances, ida.token, JOBS, { steps: 30 });
    let done = 0;
    const stillOpen = new Set<string>();
    // Each job streamed on an instance that did not take it; `runs` settle as the streams end.
    const opened = await Promise.all(
      ids.map(async (id, k) => {
        const res = await openSse(c.instances[(k + 1) % 3] as GatewayInstance, id, ida.token);
        expect(res.status).toBe(200);
        stillOpen.add(id);
        const run = readToEndOrCut(res).then((r) => {
          if (r.sawDone) done++;
          stillOpen.delete(id);
          return r;
        });
        return { id, run };
      }),
    );
    await until(() => done >= 8, 'a fifth of the jobs to end', 30_000);
    expect(done, 'the restart must land in the middle of the run').toBeLessThan(JOBS);

    await c.redis.kill({ hard: true });
    // Every instance noticed before Redis comes back.
    await until(
      async () =>
        (await Promise.all(c.instances.map((i) => i.readyz()))).every((r) => r.checks['redis']?.ok === false),
      'every instance to see Redis gone',
    );
    await c.redis.restart();

    const ledger = await c.ledgerOnceCompleted(ids, 45_000);
    expect(statusCounts(ledger, ids), c.diagnostics()).toEqual({ completed: JOBS });

    // Streams open across the restart end with `done` (from the ledger where Redis lost it).
    await until(() => stillOpen.size === 0, 'every stream to end', 20_000).catch(() => undefined);
    expect([...stillOpen], 'streams still open 20 s after the ledger was complete').toEqual([]);
    const runs = await Promise.all(opened.map(async (o) => ({ id: o.id, ...(await o.run) })));
    expect(
      runs.filter((r) => !r.sawDone).map((r) => r.id),
      'streams without done',
    ).toEqual([]);

    // Nothing ran twice, and after the restart exactly one instance holds the servers again.
    const histories = await Promise.all(c.sims.map((s) => historyIds(s.url)));
    expect(ids.map((id) => histories.filter((h) => h.includes(id)).length).filter((n) => n !== 1)).toEqual(
      [],
    );
    const starts = c.sims.flatMap((s) => s.stats.started).filter((id) => ids.includes(id));
    expect(starts.length).toBe(JOBS);
    await c.settledHolder(10_000);
    expect(c.upstreamPeaks()).toEqual([1, 1]);
  }, 150_000);
});
