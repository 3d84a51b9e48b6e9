/**
 * Subscribers for the fan-out benches, in their own process: REST SSE streams (one HTTP connection
 * each) and tRPC subscriptions over WebSockets (one socket carries several), both on raw sockets
 * with minimal parsers (see ../subscribers/), so the load generator costs little CPU per event.
 * Records when each sampler step (a `status` event with progress) arrived, per group of subscribers.
 */
import { openSseStream } from '../subscribers/sse-client.ts';
import type { GroupResult } from '../subscribers/subscription.ts';
import { Subscription, newGroup } from '../subscribers/subscription.ts';
import { openTrpcSocket } from '../subscribers/ws-client.ts';
import { serveIpc } from './ipc.ts';
import { procStats } from './proc-stats.ts';

export type { GroupResult };

export interface SubSpec {
  kind: 'sse' | 'ws';
  base: string;
  /** Label the results are reported under (kind and instance). */
  group: string;
  /** sse: exactly one; ws: one subscription per prompt on the same socket. */
  promptIds: string[];
}

export interface CollectResult {
  groups: Record<string, GroupResult>;
  errors: string[];
  /**
   * CPU µs of the process (user + system, since it started) when its last subscription ended:
   * null when some had not ended. Taken before the results go over IPC, which is not delivery work.
   */
  cpuUsAtEnd: number | null;
}

const groups: Record<string, GroupResult> = {};
const errors: string[] = [];
let total = 0;
let ended = 0;
let cpuUsAtEnd: number | null = null;
const waiters: (() => void)[] = [];

const subscriptionEnded = (failure: string | null) => {
  if (failure !== null && errors.length < 10) errors.push(failure);
  if (++ended < total) return;
  const cpu = process.cpuUsage();
  cpuUsAtEnd = cpu.user + cpu.system;
  for (const w of waiters.splice(0)) w();
};

function open(spec: SubSpec, token: string): Promise<void> {
  const g = (groups[spec.group] ??= newGroup());
  g.connections++;
  const subs = spec.promptIds.map((p) => new Subscription(g, p, subscriptionEnded));
  const [first] = subs;
  if (spec.kind === 'ws') return openTrpcSocket(spec.base, token, subs);
  if (subs.length !== 1 || !first) throw new Error('an SSE subscriber follows exactly one prompt');
  return openSseStream(spec.base, token, first);
}

serveIpc({
  connect: async (req: { token: string; specs: SubSpec[] }) => {
    total += req.specs.reduce((n, s) => n + s.promptIds.length, 0);
    // Waves, so the gateway's accept queue is not flooded.
    for (let i = 0; i < req.specs.length; i += 100)
      await Promise.all(req.specs.slice(i, i + 100).map((s) => open(s, req.token)));
    return Object.values(groups).reduce((n, g) => n + g.subs - g.failed, 0);
  },
  collect: (req: { timeoutMs: number }) =>
    new Promise<CollectResult>((resolve) => {
      const finish = () => resolve({ groups, errors, cpuUsAtEnd: ended >= total ? cpuUsAtEnd : null });
      if (ended >= total) return finish();
      const timer = setTimeout(finish, req.timeoutMs);
      waiters.push(() => {
        clearTimeout(timer);
        finish();
      });
    }),
  stats: (req: { gc?: boolean }) => procStats(req),
});
process.send?.({ ready: true });
