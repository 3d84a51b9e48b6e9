import { anyInstanceCases } from './any-instance.cases.ts';
import { CLUSTER_RULES_ENV, clusterWideRulesCases } from './cluster-wide-rules.cases.ts';
import { useMultiCluster } from './multi-process.ts';
import { upstreamSocketCases } from './upstream-sockets.cases.ts';

// One cluster for the cases that leave it whole (three gateway processes take a while to start);
// the ones that kill an instance or Redis have files and clusters of their own.
const cluster = useMultiCluster({ stepMs: 20, maxInFlight: 1, env: CLUSTER_RULES_ENV });

anyInstanceCases(cluster);
clusterWideRulesCases(cluster);
upstreamSocketCases(cluster);
