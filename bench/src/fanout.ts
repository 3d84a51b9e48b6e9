import { measureFanout } from './procs/fanout-measure.ts';
import type { FanoutMeasure } from './procs/fanout-measure.ts';
import { startSplitStack } from './procs/split-stack.ts';
import { deliveryLatency, pct, stepsPerPrompt } from './procs/subscribers.ts';
import type { Section, Target } from './report.ts';
import { fmt, fmtInt, kb, mb } from './report.ts';

const SSE = Number(process.env['BENCH_FANOUT_SSE'] ?? 5000);
const WS_SOCKETS = Number(process.env['BENCH_FANOUT_WS'] ?? 1250);
const JOBS = Number(process.env['BENCH_FANOUT_JOBS'] ?? 4);
const PROCESSES = Number(process.env['BENCH_FANOUT_PROCS'] ?? 2);
const STEPS = 20;
const STEP_MS = 100;
const P99_GOAL_MS = 100;
const MEM_GOAL_KB = 20;

export async function runFanout(): Promise<Omit<Section, 'ranAt' | 'seconds'>> {
  const s = await startSplitStack({ sim: { stepMs: STEP_MS } });
  try {
    const m = await measureFanout({
      sims: s.sims,
      submitTo: s.gw,
      audience: { sse: SSE, wsSockets: WS_SOCKETS, gateways: [s.gw], label: (kind) => kind },
      jobs: JOBS,
      steps: STEPS,
      processes: PROCESSES,
      blockers: 12,
    });
    return fanoutSection(m);
  } finally {
    await s.close();
  }
}

/** Numbers every fan-out run reports (single process and cluster). */
export function fanoutFigures(m: FanoutMeasure, steps: number) {
  const groups = Object.values(m.collected.groups);
  const all = deliveryLatency(groups, m.frames);
  const byGroup = Object.fromEntries(
    Object.entries(m.collected.groups).map(([k, g]) => [k, deliveryLatency([g], m.frames).lat]),
  );
  const done = groups.reduce((n, g) => n + g.done, 0);
  const failed = groups.reduce((n, g) => n + g.failed, 0);
  const events = groups.reduce((n, g) => n + g.events, 0);
  const complete = groups.reduce((n, g) => n + g.steps.filter((x) => x >= steps).length, 0);
  const heap = m.after.reduce((n, a, i) => n + a.mem.heapUsed - (m.before[i]?.mem.heapUsed ?? 0), 0);
  const rss = m.after.reduce((n, a, i) => n + a.mem.rss - (m.before[i]?.mem.rss ?? 0), 0);
  const cpuGw = m.cpuGateways.reduce((a, b) => a + b, 0);
  const disordered = groups.reduce((n, g) => n + g.disordered, 0);
  /** Sampler steps the simulator sent (each goes to every subscription of its job). */
  // Only the jobs followed (the blockers step on while they are cancelled one by one).
  const followed = new Set(groups.flatMap((g) => Object.keys(g.arrivals).map((k) => k.split('|')[0])));
  const samplerFrames = m.frames.filter(([prompt, , , max]) => max > 1 && followed.has(prompt));
  const stepsSent = [...stepsPerPrompt(samplerFrames).values()].reduce((a, b) => a + b, 0);
  return { all, byGroup, done, failed, events, complete, heap, rss, cpuGw, disordered, stepsSent };
}

/** CPU of the load generator: per delivered event and per sampler step (all its CPU while delivering / steps sent). */
export function subscriberCpu(m: FanoutMeasure, events: number, stepsSent: number): string {
  return `${fmt(m.cpuSubscribers / Math.max(1, events), 1)} µs per delivered event, ${fmt(m.cpuSubscribers / 1000 / Math.max(1, stepsSent), 1)} ms per sampler step`;
}

/**
 * Whether the machine had CPU left while delivering: what the gateway(s), simulator(s) and
 * subscribers used against cores x wall time, and how busy the whole machine was (other processes too).
 */
export function cpuLeft(m: FanoutMeasure, cpuGw: number): string {
  const oursS = (cpuGw + m.cpuSims + m.cpuSubscribers) / 1e6;
  const capS = m.machine.cores * m.runSec;
  const machine = m.machine.busyMs / Math.max(1, m.machine.totalMs);
  const ours = Math.min(1, oursS / Math.max(1e-9, capS));
  const verdict = machine >= 0.9 ? 'the machine had no CPU left' : 'the machine had CPU left';
  return `${verdict}: gateway + simulator + subscribers used ${fmt(oursS, 1)} s of CPU of ${m.machine.cores} cores x ${fmt(m.runSec, 1)} s while the jobs ran = ${fmt(capS, 1)} s (${fmt(ours * 100, 0)}%), the whole machine was ${fmt(machine * 100, 0)}% busy (other processes ${fmt(Math.max(0, machine - ours) * 100, 0)}%)`;
}

function fanoutSection(m: FanoutMeasure): Omit<Section, 'ranAt' | 'seconds'> {
  const f = fanoutFigures(m, STEPS);
  const p99 = pct(f.all.lat, 99);
  const rssPer = f.rss / m.subs;
  const heapPer = f.heap / m.subs;
  const sseLat = f.byGroup['sse'] ?? [];
  const wsLat = f.byGroup['ws'] ?? [];
  const wsSubs = m.collected.groups['ws']?.subs ?? 0;
  const before = m.before[0];
  const after = m.after[0];
  const targets: Target[] = [
    {
      what: 'upstream WebSocket connections',
      target: 'exactly 1',
      measured: `${m.upstreamDuring} during, ${m.upstreamAfter} after (${m.upstreamTotal} opened in total)`,
      met: m.upstreamDuring === 1 && m.upstreamAfter === 1,
    },
    {
      what: `event delivery latency p99 (ComfyUI progress frame -> subscriber), ${fmtInt(m.subs)} subscribers`,
      target: `< ${P99_GOAL_MS} ms`,
      measured: `${fmt(p99, 1)} ms (p50 ${fmt(pct(f.all.lat, 50), 1)} ms)`,
      met: p99 < P99_GOAL_MS,
      ...(p99 < P99_GOAL_MS
        ? {}
        : {
            why: `${backlogWhy(m.subs / JOBS, f.cpuGw / Math.max(1, f.events), STEP_MS)}; ${cpuLeft(m, f.cpuGw)}; the subscribers took ${subscriberCpu(m, f.events, f.stepsSent)}`,
          }),
    },
    {
      what: 'gateway memory per subscriber (rss, after GC)',
      target: `< ${MEM_GOAL_KB} KB`,
      measured: `${kb(rssPer)} (heapUsed ${kb(heapPer)})`,
      met: rssPer < MEM_GOAL_KB * 1024,
      ...(rssPer < MEM_GOAL_KB * 1024
        ? {}
        : {
            why: `${kb(f.rss / m.connections)} per connection (an SSE stream or a WebSocket with its HTTP and stream state); next: less state per stream, more subscriptions per socket`,
          }),
    },
    {
      what: 'every subscriber got its final `done`',
      target: `${fmtInt(m.subs)}`,
      measured: `${fmtInt(f.done)} of ${fmtInt(m.subs)}`,
      met: f.done === m.subs && f.failed === 0,
      ...(f.done === m.subs ? {} : { why: failureWhy(m) }),
    },
    {
      what: 'event ids increasing on every subscription',
      target: `${fmtInt(m.subs)}`,
      measured: `${fmtInt(m.subs - f.disordered)} of ${fmtInt(m.subs)}`,
      met: f.disordered === 0,
    },
    {
      what: 'every subscriber got every sampler step',
      target: `${fmtInt(m.subs)}`,
      measured: `${fmtInt(f.complete)} of ${fmtInt(m.subs)}`,
      met: f.complete === m.subs,
      ...(f.complete === m.subs
        ? {}
        : { why: 'superseded status snapshots coalesced for slow sockets (by design)' }),
    },
    {
      what: 'gateway CPU per delivered event',
      target: 'report',
      measured: `${fmt(f.cpuGw / Math.max(1, f.events), 1)} µs (${fmtInt(f.events)} events in ${fmt(m.deliverySec, 1)} s)`,
      met: null,
    },
  ];
  return {
    name: 'fanout',
    order: 2,
    title: '2. Fan-out',
    intro: [
      `${fmtInt(SSE)} REST SSE subscribers (\`GET /api/comfy/stream/:id\`, one HTTP connection each) and ${fmtInt(wsSubs)} tRPC subscriptions`,
      `(\`comfy.onStatus\`) over ${fmtInt(WS_SOCKETS)} WebSockets to \`/trpc\`, each socket following all ${JOBS} jobs (a dashboard page watching the queue),`,
      `held by ${PROCESSES} subscriber processes on raw sockets that write the request and read the HTTP head, the chunked framing, the SSE fields and the WebSocket frames themselves, scanning each event only for its type, id, prompt and step (bench/src/subscribers/). The mix: half the subscriptions are single-job SSE streams (bots, EventSource pages), half are multiplexed tRPC sockets (the web UI).`,
      `The ${JOBS} text2img jobs (${STEPS} steps, ${STEP_MS} ms per step) run one after the other on one simulator (one upstream socket); each step reaches ${fmtInt(m.subs / JOBS)} subscriptions.`,
      "Blocker jobs hold the simulator's queue while the subscribers connect, then are cancelled.",
      'The simulator, the gateway (real `main.ts`) and the subscribers are separate processes. Latency is from the moment the simulator sent the `progress` frame',
      "(its WebSocket send, recorded in the simulator's process) to the subscriber's read of the event carrying that step (both `performance.timeOrigin + performance.now()` on one machine).",
      "Memory is the gateway process's own (`process.memoryUsage()` after a full GC, over IPC) before and after the subscribers connected; CPU is what each process reported while the jobs ran.",
    ].join(' '),
    tables: [
      {
        head: ['metric', 'value'],
        rows: [
          [
            'subscriptions',
            `${fmtInt(m.subs)} over ${fmtInt(m.connections)} connections, ${fmtInt(m.live)} live after ${fmt(m.connectMs / 1000, 1)} s of connecting`,
          ],
          [
            'first measured job when all subscribers were connected',
            m.firstJobAtRelease === 'queued'
              ? 'queued (no measured step ran before every subscriber was connected)'
              : `${m.firstJobAtRelease}: it started before every subscriber was connected`,
          ],
          [
            'upstream WS connections (simulator count)',
            `${m.upstreamDuring} during, ${m.upstreamAfter} after, ${m.upstreamTotal} ever opened`,
          ],
          ['step arrivals measured', `${fmtInt(f.all.lat.length)} (unmatched: ${f.all.unmatched})`],
          [
            'delivery latency p50 / p90 / p99 / max (all)',
            `${fmt(pct(f.all.lat, 50), 1)} / ${fmt(pct(f.all.lat, 90), 1)} / ${fmt(p99, 1)} / ${fmt(f.all.lat[f.all.lat.length - 1] ?? NaN, 1)} ms`,
          ],
          [
            'delivery latency p50 / p99 (REST SSE)',
            `${fmt(pct(sseLat, 50), 1)} / ${fmt(pct(sseLat, 99), 1)} ms`,
          ],
          [
            'delivery latency p50 / p99 (tRPC WS)',
            `${fmt(pct(wsLat, 50), 1)} / ${fmt(pct(wsLat, 99), 1)} ms`,
          ],
          [
            'gateway heapUsed before -> with subscribers',
            `${mb(before?.mem.heapUsed ?? NaN)} -> ${mb(after?.mem.heapUsed ?? NaN)} (${kb(heapPer)} per subscription)`,
          ],
          [
            'gateway rss before -> with subscribers',
            `${mb(before?.mem.rss ?? NaN)} -> ${mb(after?.mem.rss ?? NaN)} (${kb(rssPer)} per subscription, ${kb(f.rss / m.connections)} per connection)`,
          ],
          [
            'CPU while delivering: gateway / simulator / subscribers',
            `${fmt(f.cpuGw / 1000, 0)} / ${fmt(m.cpuSims / 1000, 0)} / ${fmt(m.cpuSubscribers / 1000, 0)} ms over ${fmt(m.deliverySec, 1)} s wall`,
          ],
          [
            'CPU per delivered event: gateway / subscribers',
            `${fmt(f.cpuGw / Math.max(1, f.events), 1)} / ${fmt(m.cpuSubscribers / Math.max(1, f.events), 1)} µs (${fmtInt(f.events)} events)`,
          ],
          [
            'CPU per sampler step (CPU while delivering / steps sent): gateway / subscribers',
            `${fmt(f.cpuGw / 1000 / Math.max(1, f.stepsSent), 1)} / ${fmt(m.cpuSubscribers / 1000 / Math.max(1, f.stepsSent), 1)} ms (${fmtInt(f.stepsSent)} steps, one every ${STEP_MS} ms)`,
          ],
          ['CPU left on the machine while delivering', cpuLeft(m, f.cpuGw)],
          [
            'subscriptions that ended with done / failed / got every step / saw an id not above the last',
            `${fmtInt(f.done)} / ${fmtInt(f.failed)} / ${fmtInt(f.complete)} / ${fmtInt(f.disordered)}${m.collected.errors.length ? ` (${m.collected.errors.slice(0, 3).join('; ')})` : ''}`,
          ],
        ],
      },
    ],
    targets,
    notes: [
      "The subscriber processes read 10,000 subscriptions on the same 2 cores as the gateway: a step's arrival time includes the time the subscriber's own event loop took to get to it, so the latency is an upper bound of the gateway's. Their CPU is counted up to the moment the last subscription ended (not the trip of the results to the bench process).",
      'CPU left: the CPU time the gateway, the simulator and the subscribers reported from the release of the blockers (their cancels included), against the cores times the wall time from the last cancel to the last `done`; the whole machine over that time from the kernel counters (`os.cpus()`), which include other processes on this shared machine.',
      'Memory per subscription divides the whole growth by the subscriptions; a WebSocket carrying several subscriptions costs one connection, so the per-connection figure is the cost of an SSE stream or a socket.',
    ],
  };
}

/** The subscribers' own words for why subscriptions ended early, counted. */
export function failureWhy(m: FanoutMeasure): string {
  const counts = new Map<string, number>();
  for (const e of m.collected.errors) counts.set(e, (counts.get(e) ?? 0) + 1);
  const seen = [...counts].map(([e, n]) => `${e}${n > 1 ? ` x${n}` : ''}`).join('; ');
  return `${seen || 'timed out'} (first errors seen)`;
}

/**
 * Why delivery fell behind: the gateway CPU one step costs against the time between steps
 * (`cores`: how many cores that work can spread over, for several instances).
 */
export function backlogWhy(subsPerStep: number, cpuPerDeliveryUs: number, stepMs: number, cores = 1): string {
  const perStepMs = (subsPerStep * cpuPerDeliveryUs) / 1000;
  const on = cores > 1 ? ` (${fmt(perStepMs / cores, 0)} ms on ${cores} cores at best)` : '';
  return perStepMs / cores > stepMs
    ? `a step goes to ${fmtInt(subsPerStep)} subscriptions at ${fmt(cpuPerDeliveryUs, 0)} µs of gateway CPU each, ${fmt(perStepMs, 0)} ms of CPU per step${on} while steps come every ${stepMs} ms: the backlog grows for the whole job; next: cut the per-delivery cost (serialise once, batch writes) or spread subscribers over instances on more cores`
    : `the gateway keeps up on average (${fmt(perStepMs, 0)} ms of CPU per ${stepMs} ms step${on}) but bursts queue behind each other on 2 shared cores; next: batch writes that yield to the loop`;
}
