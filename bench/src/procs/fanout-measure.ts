import os from 'node:os';
import type { Audience } from './fanout-run.ts';
import { audienceSpecs, queueBehindBlockers, simSockets } from './fanout-run.ts';
import type { GatewayProc } from './gateway-proc.ts';
import type { ProcStats } from './proc-stats.ts';
import type { ProgressFrame, SimProc } from './sim-proc.ts';
import type { CollectResult } from './subscriber-child.ts';
import { SubscriberPool } from './subscribers.ts';

export interface FanoutOptions {
  sims: SimProc[];
  /** Where the jobs are submitted (and cancelled). */
  submitTo: GatewayProc;
  audience: Audience;
  jobs: number;
  steps: number;
  /** Subscriber processes. */
  processes: number;
  /** Blocker jobs (150 steps each) that hold the queue while subscribers connect (cancelled after). */
  blockers: number;
  timeoutMs?: number;
}

export interface FanoutMeasure {
  subs: number;
  connections: number;
  live: number;
  connectMs: number;
  /** Per gateway of the audience: stats after GC before and after the subscribers connected. */
  before: ProcStats[];
  after: ProcStats[];
  /** CPU µs while the jobs ran and were delivered: per gateway, simulators, subscriber processes. */
  cpuGateways: number[];
  cpuSims: number;
  cpuSubscribers: number;
  /** The whole machine while delivering (every process, ours or not), from the kernel's counters. */
  machine: MachineCpu;
  /** From the release of the blockers (cancelled one by one) to the last subscription's end. */
  deliverySec: number;
  /** From the moment the blockers were all cancelled (the measured jobs run) to the end. */
  runSec: number;
  collected: CollectResult;
  frames: ProgressFrame[];
  upstreamDuring: number;
  upstreamAfter: number;
  upstreamTotal: number;
  /** Status of the first measured job when the subscribers were all connected (should be `queued`). */
  firstJobAtRelease: string;
}

export interface MachineCpu {
  cores: number;
  /** Busy and total (busy + idle) ms summed over the cores. */
  busyMs: number;
  totalMs: number;
}

function cpuTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const c of os.cpus()) {
    const t = c.times.user + c.times.nice + c.times.sys + c.times.irq;
    busy += t;
    total += t + c.times.idle;
  }
  return { busy, total };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Connects the audience to jobs waiting behind blockers, releases them and collects every delivery. */
export async function measureFanout(o: FanoutOptions): Promise<FanoutMeasure> {
  const pool = new SubscriberPool(o.processes);
  try {
    await pool.ready();
    const gws = o.audience.gateways;
    const { jobs, release } = await queueBehindBlockers(o.submitTo, {
      blockers: o.blockers,
      jobs: o.jobs,
      steps: o.steps,
    });
    const specs = audienceSpecs(o.audience, jobs);
    const subsTotal = specs.reduce((n, x) => n + x.promptIds.length, 0);
    process.stdout.write(`  connecting ${subsTotal} subscriptions over ${specs.length} connections ...\n`);
    await sleep(300);
    const before = await Promise.all(gws.map((g) => g.stats(true)));
    const t0 = performance.now();
    const live = await pool.connect(o.submitTo.token, specs);
    const connectMs = performance.now() - t0;
    await sleep(300);
    const after = await Promise.all(gws.map((g) => g.stats(true)));
    const during = await simSockets(o.sims);
    await Promise.all(o.sims.map((s) => s.frames())); // only the measured jobs' steps count
    const simBefore = await Promise.all(o.sims.map((s) => s.stats()));
    const subsBefore = await pool.cpuUs();
    const gwBefore = await Promise.all(gws.map((g) => g.stats()));
    const first = await fetch(`${o.submitTo.url}/api/comfy/status/${jobs[0] ?? ''}`, {
      headers: o.submitTo.auth,
    });
    const firstJobAtRelease = ((await first.json()) as { status?: string }).status ?? 'unknown';
    process.stdout.write(`  connected in ${(connectMs / 1000).toFixed(1)} s; running ${o.jobs} jobs ...\n`);
    const t1 = performance.now();
    await release();
    // The blockers are gone: the measured jobs run from here (the machine is sampled from here).
    const tRun = performance.now();
    const machine0 = cpuTimes();
    const collected = await pool.collect(o.timeoutMs ?? 180_000);
    const deliverySec = (performance.now() - t1) / 1000;
    const runSec = (performance.now() - tRun) / 1000;
    const machine1 = cpuTimes();
    const gwAfter = await Promise.all(gws.map((g) => g.stats()));
    const simAfter = await Promise.all(o.sims.map((s) => s.stats()));
    // When every subscription ended (not the results' trip over IPC); else now.
    const subsAfter = collected.cpuUsAtEnd ?? (await pool.cpuUs());
    const frames = (await Promise.all(o.sims.map((s) => s.frames()))).flat();
    const afterSockets = await simSockets(o.sims);
    const subs = specs.reduce((n, s) => n + s.promptIds.length, 0);
    return {
      subs,
      connections: specs.length,
      live,
      connectMs,
      before,
      after,
      cpuGateways: gwAfter.map((a, i) => a.cpuUs - (gwBefore[i]?.cpuUs ?? 0)),
      cpuSims: simAfter.reduce((n, a, i) => n + a.cpuUs - (simBefore[i]?.cpuUs ?? 0), 0),
      cpuSubscribers: subsAfter - subsBefore,
      machine: {
        cores: os.cpus().length,
        busyMs: machine1.busy - machine0.busy,
        totalMs: machine1.total - machine0.total,
      },
      deliverySec,
      runSec,
      collected,
      frames,
      upstreamDuring: during.open,
      upstreamAfter: afterSockets.open,
      upstreamTotal: afterSockets.total,
      firstJobAtRelease,
    };
  } finally {
    await pool.close();
  }
}
