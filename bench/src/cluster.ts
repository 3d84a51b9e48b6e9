import { hasPostgres, hasRedis, startPostgres, startRedis } from '@comfy-gateway/test-infra';
import { backlogWhy, cpuLeft, failureWhy, fanoutFigures, subscriberCpu } from './fanout.ts';
import { LoadGen } from './load.ts';
import type { LoadRequest, LoadResult } from './load.ts';
import { waitForCluster } from './procs/cluster-roles.ts';
import type { DispatchRole } from './procs/cluster-roles.ts';
import { measureFanout } from './procs/fanout-measure.ts';
import type { FanoutMeasure } from './procs/fanout-measure.ts';
import type { GatewayProc } from './procs/gateway-proc.ts';
import type { ProfileSummary } from './procs/profile.ts';
import { submitJob, waitForEnd } from './procs/jobs.ts';
import { startSplitStack } from './procs/split-stack.ts';
import type { SplitStack } from './procs/split-stack.ts';
import { deliveryLatency, pct } from './procs/subscribers.ts';
import type { Section, Table, Target } from './report.ts';
import { fmt, fmtInt, kb } from './report.ts';

const DURATION_S = Number(process.env['BENCH_DURATION_S'] ?? 2);
const LIVE_SSE = Number(process.env['BENCH_CLUSTER_SSE'] ?? 500);
const LIVE_WS = Number(process.env['BENCH_CLUSTER_WS'] ?? 125);
const BIG_SSE = Number(process.env['BENCH_CLUSTER_BIG_SSE'] ?? 5000);
const BIG_WS = Number(process.env['BENCH_CLUSTER_BIG_WS'] ?? 1250);
const JOBS = 4;
const STEPS = 20;
const STEP_MS = 100;
const P99_GOAL_MS = 100;

interface Throughput extends LoadResult {
  cpuPerReq: number;
}

interface Phase {
  instances: number;
  roles: DispatchRole[];
  /** Index of the instance that follows the jobs (the lease holder, else the one they were submitted to). */
  follower: number;
  status: Throughput;
  replay: Throughput;
  live: FanoutMeasure;
  /** CPU profile of the first instance answering status (1 instance only, outside the measured run). */
  profile: ProfileSummary | null;
}

/** `connections` split over the instances, round robin. */
function spread(
  gws: GatewayProc[],
  connections: number,
  req: (g: GatewayProc) => Omit<LoadRequest, 'connections'>,
) {
  return gws.map((g, i) => ({
    ...req(g),
    connections: Math.floor(connections / gws.length) + (i < connections % gws.length ? 1 : 0),
  }));
}

async function throughput(load: LoadGen, gws: GatewayProc[], reqs: LoadRequest[]): Promise<Throughput> {
  const before = await Promise.all(gws.map((g) => g.stats()));
  const r = await load.runMany(reqs);
  const after = await Promise.all(gws.map((g) => g.stats()));
  const cpu = after.reduce((n, a, i) => n + a.cpuUs - (before[i]?.cpuUs ?? 0), 0);
  return { ...r, cpuPerReq: cpu / Math.max(1, r.requests + r.warmupRequests) };
}

async function runPhase(
  s: SplitStack,
  load: LoadGen,
  gws: GatewayProc[],
  audience: { sse: number; ws: number },
) {
  const roles = await waitForCluster(gws);
  process.stdout.write(`  ${gws.length} instance(s) ready (dispatch roles: ${roles.join(', ')})\n`);
  const follower = Math.max(0, roles.indexOf('holder'));
  const lead = gws[follower] as GatewayProc;
  const id = await submitJob(lead, 2);
  if ((await waitForEnd(lead, id)) !== 'completed') throw new Error('setup job did not complete');
  const base = { durationSec: DURATION_S, warmupSec: 0.5 };
  const status = await throughput(
    load,
    gws,
    spread(gws, 64, (g) => ({ ...base, url: `${g.url}/api/comfy/status/${id}`, headers: g.auth })),
  );
  const replay = await throughput(
    load,
    gws,
    spread(gws, 16, (g) => ({
      ...base,
      url: `${g.url}/api/comfy/stream/${id}`,
      headers: { ...g.auth, accept: 'text/event-stream' },
    })),
  );
  const profile =
    gws.length === 1
      ? await lead.profile(() =>
          load.run({
            ...base,
            warmupSec: 0,
            connections: 64,
            url: `${lead.url}/api/comfy/status/${id}`,
            headers: lead.auth,
          }),
        )
      : null;
  const live = await measureFanout({
    sims: s.sims,
    submitTo: lead,
    audience: { sse: audience.sse, wsSockets: audience.ws, gateways: gws, label: (k, i) => `${k}@${i}` },
    jobs: JOBS,
    steps: STEPS,
    processes: 2,
    blockers: 12,
  });
  return { instances: gws.length, roles, follower, status, replay, live, profile } satisfies Phase;
}

export async function runCluster(): Promise<Omit<Section, 'ranAt' | 'seconds'>> {
  if (!hasRedis() || !hasPostgres())
    throw new Error('the cluster bench needs redis-server and PostgreSQL 15 installed (see README, setup)');
  const redis = await startRedis();
  const pg = await startPostgres();
  let s: SplitStack | null = null;
  const load = new LoadGen();
  try {
    const env = { REDIS_URL: redis.url, DATABASE_URL: await pg.createDatabase('bench') };
    s = await startSplitStack({ sim: { stepMs: STEP_MS }, env });
    await load.ready();
    const one = await runPhase(s, load, [s.gw], { sse: LIVE_SSE, ws: LIVE_WS });
    await s.addGateway();
    await s.addGateway();
    const three = await runPhase(s, load, s.gateways, { sse: LIVE_SSE, ws: LIVE_WS });
    const big =
      BIG_SSE + BIG_WS > 0
        ? await measureFanout({
            sims: s.sims,
            submitTo: s.gateways[three.follower] as GatewayProc,
            audience: { sse: BIG_SSE, wsSockets: BIG_WS, gateways: s.gateways, label: (k, i) => `${k}@${i}` },
            jobs: JOBS,
            steps: STEPS,
            processes: 2,
            blockers: 12,
          })
        : null;
    return clusterSection(one, three, big);
  } finally {
    await load.close();
    await s?.close();
    await redis.stop();
    await pg.stop();
  }
}

/** Latency to subscribers on the follower and on every other instance, per instance. */
function perInstance(m: FanoutMeasure, follower: number, instances: number, roles: DispatchRole[]) {
  const rows: (string | number)[][] = [];
  const others = [];
  for (let i = 0; i < instances; i++) {
    const gs = ['sse', 'ws'].map((k) => m.collected.groups[`${k}@${i}`]).filter((g) => g !== undefined);
    if (i !== follower) others.push(...gs);
    const lat = deliveryLatency(gs, m.frames).lat;
    const subs = gs.reduce((n, g) => n + g.subs, 0);
    const done = gs.reduce((n, g) => n + g.done, 0);
    const role =
      i === follower
        ? `follows the jobs${roles[i] === 'holder' ? ' (lease holder)' : ''}`
        : `another instance${roles[i] === 'standby' ? ' (standby)' : ''}`;
    rows.push([
      instances,
      `gateway-${i + 1}`,
      role,
      fmtInt(subs),
      `${fmtInt(done)}`,
      fmt(pct(lat, 50), 1),
      fmt(pct(lat, 99), 1),
      fmt(lat[lat.length - 1] ?? NaN, 1),
    ]);
  }
  return { rows, others: deliveryLatency(others, m.frames).lat };
}

function clusterSection(
  one: Phase,
  three: Phase,
  big: FanoutMeasure | null,
): Omit<Section, 'ranAt' | 'seconds'> {
  const tput: Table = {
    title: 'Throughput, 1 against 3 instances (load spread round robin)',
    head: [
      'instances',
      'call',
      'conc',
      'req/s',
      'p50 ms',
      'p99 ms',
      'gateway CPU µs/req (all instances)',
      'non-2xx/err',
    ],
    rows: [one, three].flatMap((p) => [
      [
        p.instances,
        'status (REST)',
        64,
        fmtInt(p.status.rps),
        fmt(p.status.p50, 2),
        fmt(p.status.p99, 2),
        fmtInt(p.status.cpuPerReq),
        `${p.status.non2xx}/${p.status.errors}`,
      ],
      [
        p.instances,
        'stream replay of a finished job (REST SSE)',
        16,
        fmtInt(p.replay.rps),
        fmt(p.replay.p50, 2),
        fmt(p.replay.p99, 2),
        fmtInt(p.replay.cpuPerReq),
        `${p.replay.non2xx}/${p.replay.errors}`,
      ],
    ]),
  };
  const live1 = perInstance(one.live, one.follower, 1, one.roles);
  const live3 = perInstance(three.live, three.follower, 3, three.roles);
  const liveHead = ['instances', 'instance', 'role', 'subscriptions', 'done', 'p50 ms', 'p99 ms', 'max ms'];
  const tables: Table[] = [
    tput,
    {
      title: `Live delivery, ${fmtInt(one.live.subs)} subscriptions (ComfyUI progress frame -> subscriber), per instance`,
      head: liveHead,
      rows: [...live1.rows, ...live3.rows],
    },
  ];
  const f3 = fanoutFigures(three.live, STEPS);
  const others3 = live3.others;
  const targets: Target[] = [
    {
      what: `delivery to a subscriber on another instance, p50 / p99 (3 instances, ${fmtInt(three.live.subs)} subscriptions)`,
      target: 'report',
      measured: `${fmt(pct(others3, 50), 1)} / ${fmt(pct(others3, 99), 1)} ms (same instance: ${live3.rows[three.follower]?.[5] ?? 'n/a'} / ${live3.rows[three.follower]?.[6] ?? 'n/a'} ms)`,
      met: null,
    },
    {
      what: 'status throughput, 3 instances vs 1 (req/s)',
      target: 'report',
      measured: `x${fmt(three.status.rps / one.status.rps)} (${fmtInt(three.status.rps)} vs ${fmtInt(one.status.rps)})`,
      met: null,
    },
    {
      what: 'stream replay throughput, 3 instances vs 1 (streams/s)',
      target: 'report',
      measured: `x${fmt(three.replay.rps / one.replay.rps)} (${fmtInt(three.replay.rps)} vs ${fmtInt(one.replay.rps)})`,
      met: null,
    },
    {
      what: 'upstream WebSocket connections per ComfyUI server, 3 instances',
      target: 'exactly 1',
      measured: `${three.live.upstreamDuring} during the live run, ${three.live.upstreamAfter} after`,
      met: three.live.upstreamDuring === 1 && three.live.upstreamAfter === 1,
      ...(three.live.upstreamDuring === 1
        ? {}
        : {
            why: 'each instance still follows its own jobs with its own socket (the lease-held dispatch is not merged yet)',
          }),
    },
    {
      what: `every subscription on every instance got its final \`done\` (3 instances, ${fmtInt(three.live.subs)})`,
      target: fmtInt(three.live.subs),
      measured: `${fmtInt(f3.done)} of ${fmtInt(three.live.subs)}`,
      met: f3.done === three.live.subs,
      ...(f3.done === three.live.subs ? {} : { why: failureWhy(three.live) }),
    },
  ];
  const notes = [
    'Redis (`startRedis()`) and PostgreSQL 15 (`startPostgres()`) are private servers of this run, in temp folders; every instance has the same `REDIS_URL`, `DATABASE_URL` and `ROOT_DIR`, and its own port and process.',
    `The instance that follows the jobs is the lease holder when \`/readyz\` reports a \`dispatch\` check (holder/standby), else the one the jobs were submitted to; roles seen: 1 instance ${one.roles.join(', ')}; 3 instances ${three.roles.join(', ')}.`,
    'Everything (3 gateways, Redis, PostgreSQL, the simulator, autocannon and 2 subscriber processes) shares the same 2 cores: more instances add no CPU here, so 3 vs 1 shows the cost of the shared parts, not the scaling on separate machines.',
    ...[one, three].map((p) => {
      const f = fanoutFigures(p.live, STEPS);
      return `Live delivery, ${p.instances} instance(s), the load generator: subscribers ${subscriberCpu(p.live, f.events, f.stepsSent)} (${fmtInt(f.stepsSent)} steps); ${cpuLeft(p.live, f.cpuGw)}.`;
    }),
  ];
  if (big) {
    const fb = fanoutFigures(big, STEPS);
    const liveBig = perInstance(big, three.follower, 3, three.roles);
    const p99 = pct(fb.all.lat, 99);
    tables.push({
      title: `${fmtInt(big.subs)} subscriptions spread over 3 instances (${fmtInt(BIG_SSE)} REST SSE + ${fmtInt(BIG_WS)} tRPC WebSockets x ${JOBS} jobs)`,
      head: liveHead,
      rows: liveBig.rows,
    });
    const rss = big.after
      .map((a, i) => kb((a.mem.rss - (big.before[i]?.mem.rss ?? 0)) / (big.subs / 3)))
      .join(' / ');
    notes.push(
      `${fmtInt(big.subs)} over 3 instances: gateway rss growth per subscription ${rss} (instances 1/2/3), gateway CPU ${fmt(fb.cpuGw / Math.max(1, fb.events), 1)} µs per delivered event (all instances), ${fmtInt(fb.events)} events in ${fmt(big.deliverySec, 1)} s; connected in ${fmt(big.connectMs / 1000, 1)} s.`,
      `${fmtInt(big.subs)} over 3 instances, the load generator: subscribers ${subscriberCpu(big, fb.events, fb.stepsSent)} (${fmtInt(fb.stepsSent)} steps); ${cpuLeft(big, fb.cpuGw)}.`,
    );
    targets.push(
      {
        what: `${fmtInt(big.subs)} subscribers over 3 instances: delivery p99`,
        target: `< ${P99_GOAL_MS} ms`,
        measured: `${fmt(p99, 1)} ms (p50 ${fmt(pct(fb.all.lat, 50), 1)} ms; other instances p99 ${fmt(pct(liveBig.others, 99), 1)} ms)`,
        met: p99 < P99_GOAL_MS,
        ...(p99 < P99_GOAL_MS
          ? {}
          : {
              why: `${backlogWhy(big.subs / JOBS, fb.cpuGw / Math.max(1, fb.events), STEP_MS, 2)}; the 3 instances, the subscribers and Redis share those 2 cores; ${cpuLeft(big, fb.cpuGw)}; the subscribers took ${subscriberCpu(big, fb.events, fb.stepsSent)}`,
            }),
      },
      {
        what: `${fmtInt(big.subs)} subscribers over 3 instances: every one got \`done\``,
        target: fmtInt(big.subs),
        measured: `${fmtInt(fb.done)} of ${fmtInt(big.subs)}`,
        met: fb.done === big.subs,
        ...(fb.done === big.subs ? {} : { why: failureWhy(big) }),
      },
    );
  }
  return {
    name: 'cluster',
    order: 7,
    title: '7. Cluster',
    intro: [
      `One simulator (${STEP_MS} ms per step) behind gateway instances on one Redis and one PostgreSQL, first 1 instance, then 3 (the first one plus two more), in one run.`,
      `Throughput: autocannon for ${DURATION_S} s after a 0.5 s warm-up with the connections split round robin over the instances: \`GET /api/comfy/status/{id}\` (64 connections) and a full SSE replay of a finished job's events, \`GET /api/comfy/stream/{id}\` (16 connections).`,
      `Live delivery: ${fmtInt(LIVE_SSE)} REST SSE streams and ${fmtInt(LIVE_WS)} tRPC WebSockets (each subscribed to all ${JOBS} jobs) spread round robin over the instances; ${JOBS} jobs of ${STEPS} steps submitted on the instance that follows them;`,
      "latency from the simulator's `progress` frame to the subscriber, reported per instance, so the rows for another instance include the hop through Redis.",
    ].join(' '),
    tables,
    targets,
    notes,
    ...(one.profile
      ? {
          profiles: [
            {
              title: 'GET /api/comfy/status/{id} with Redis and PostgreSQL, 1 instance, 64 connections',
              summary: one.profile,
            },
          ],
        }
      : {}),
  };
}
