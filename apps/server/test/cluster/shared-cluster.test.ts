import { afterAll, beforeAll } from 'vitest';
import { anyInstanceCases } from './any-instance.cases.ts';
import { CLUSTER_RULES_ENV, clusterWideRulesCases } from './cluster-wide-rules.cases.ts';
import { startMultiCluster } from './multi-process.ts';
import type { MultiCluster } from './multi-process.ts';
import { upstreamSocketCases } from './upstream-sockets.cases.ts';

// One cluster for the cases that leave it whole (three gateway processes take a while to start);
// the ones that kill an instance or Redis have files and clusters of their own.
let c: MultiCluster | undefined;
beforeAll(async () => {
  c = await startMultiCluster({ stepMs: 20, maxInFlight: 1, env: CLUSTER_RULES_ENV });
}, 120_000);
afterAll(async () => {
  await c?.[Symbol.asyncDispose]();
});

const cluster = (): MultiCluster => {
  if (!c) throw new Error('the cluster did not start');
  return c;
};

anyInstanceCases(cluster);
clusterWideRulesCases(cluster);
upstreamSocketCases(cluster);
