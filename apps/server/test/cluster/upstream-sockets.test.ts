import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from './cluster-fixture.ts';
import { readToEndOrCut, openSse, statusCounts, submitSpread } from './cluster-calls.ts';
import type { GatewayInstance } from './gateway-instance.ts';
import { startMultiCluster } from './multi-process.ts';
import type { MultiCluster } from './multi-process.ts';

let c: MultiCluster;
beforeAll(async () => {
  c = await startMultiCluster({ stepMs: 3, env: { USER_MAX_ACTIVE_JOBS: '100', USER_MAX_STREAMS: '100' } });
}, 120_000);
afterAll(async () => {
  await c?.[Symbol.asyncDispose]();
});

describe('one upstream socket per ComfyUI server for the whole cluster', () => {
  it('never more than one per simulator while jobs submitted on A, B and C run, and one once settled', async () => {
    const holder = await c.settledHolder(15_000);
    const gus = await c.createUser('gus@example.com');
    const ids = await submitSpread(c.instances, gus.token, 30, { steps: 20 });
    // A stream per job on an instance that did not take it, so every instance follows jobs.
    const streams = await Promise.all(
      ids.map(async (id, k) =>
        readToEndOrCut(await openSse(c.instances[(k + 1) % 3] as GatewayInstance, id, gus.token)),
      ),
    );
    expect(streams.filter((s) => !s.sawDone)).toEqual([]);
    await until(
      async () => Object.keys(statusCounts(await c.ledger(), ids)).join() === 'completed',
      'every job completed in the ledger',
      30_000,
    );
    expect(c.upstreamPeaks(), c.diagnostics()).toEqual([1, 1]);
    expect(c.upstreamNow()).toEqual([1, 1]);
    // The same instance still holds (nothing made the lease move) and the others stand by.
    expect(await c.settledHolder()).toBe(holder);
    expect(c.upstreamPeaks()).toEqual([1, 1]);
  }, 90_000);
});
