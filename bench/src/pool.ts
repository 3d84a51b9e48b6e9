import { startDemoStack } from '@comfy-gateway/server/demo-stack';
import type { DemoStack } from '@comfy-gateway/server/demo-stack';
import type { Section, Target } from './report.ts';
import { fmt } from './report.ts';
import { postJson, sleep, tinyJob } from './stack.ts';

const JOBS = Number(process.env['BENCH_POOL_JOBS'] ?? 100);
// Long enough steps that the simulators' sleep, not this shared machine's CPU, sets the pace.
const STEP_MS = Number(process.env['BENCH_POOL_STEP_MS'] ?? 250);
const STEPS = Number(process.env['BENCH_POOL_STEPS'] ?? 4);
const pct = (v: number[], p: number) => {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
};

type ComfyPool = NonNullable<DemoStack['gateway']['services']['comfy']['pool']>;

interface Running {
  stack: DemoStack;
  auth: Record<string, string>;
  pool: ComfyPool | null;
}

async function start(sims: number, stepMs: number): Promise<Running> {
  const stack = await startDemoStack({
    sims,
    sim: { stepMs, nodeMs: 0, previews: false },
    env: {
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      LOGIN_RATE_LIMIT_PER_MIN: '1000',
      USER_MAX_ACTIVE_JOBS: '100000',
      COMFY_RECONNECT_BASE_DELAY_S: '0.05',
      COMFY_RECONNECT_MAX_DELAY_S: '0.2',
      COMFY_HEALTH_INTERVAL_S: '0.5',
    },
  });
  const comfy = stack.gateway.services.comfy;
  const deadline = Date.now() + 15_000;
  const ready = () =>
    comfy.pool
      ? comfy.pool.members.every((m) => m.connection.watchdog.state === 'connected' && m.objectInfo !== null)
      : comfy.connection?.watchdog.state === 'connected';
  while (!ready()) {
    if (Date.now() > deadline) throw new Error('the gateway never connected');
    await sleep(10);
  }
  const token = await stack.login();
  return { stack, auth: { authorization: `Bearer ${token}` }, pool: comfy.pool };
}

/** Waits for a job's end through the pool's or the single tracker's stream. */
async function untilEnd(r: Running, id: string): Promise<string> {
  const comfy = r.stack.gateway.services.comfy;
  const iterable = r.pool ? r.pool.stream(id) : comfy.conn().tracker.stream(id);
  for await (const e of iterable) if (e.event.type === 'done') return e.event.snapshot.status;
  return 'unknown';
}

/** Submits `n` text2img jobs at once and waits for all: the wall time in ms. */
async function batch(r: Running, n: number, seed0: number): Promise<{ ms: number; ok: number }> {
  const t0 = performance.now();
  const ids = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      postJson<{ prompt_id: string }>(
        `${r.stack.url}/api/comfy/text2img`,
        tinyJob(STEPS, { seed: seed0 + i }),
        r.auth,
      ).then((x) => x.prompt_id),
    ),
  );
  const statuses = await Promise.all(ids.map((id) => untilEnd(r, id)));
  return { ms: performance.now() - t0, ok: statuses.filter((s) => s === 'completed').length };
}

/** Sequential jobs with no step delay: the per-job round trip (submit -> done). */
async function roundTrips(r: Running, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const { prompt_id } = await postJson<{ prompt_id: string }>(
      `${r.stack.url}/api/comfy/text2img`,
      tinyJob(2, { seed: 90_000 + i }),
      r.auth,
    );
    await untilEnd(r, prompt_id);
    out.push(performance.now() - t0);
  }
  return out;
}

/**
 * A server restarted under load (its prompts vanish): from the kill to the moment every job that
 * was sent to it has started on another server.
 */
async function failover(r: Running): Promise<{ ms: number; moved: number; completed: number; of: number }> {
  const pool = r.pool;
  if (!pool) throw new Error('failover needs a pool');
  const n = 40;
  const ids = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      postJson<{ prompt_id: string }>(
        `${r.stack.url}/api/comfy/text2img`,
        tinyJob(STEPS, { seed: 50_000 + i }),
        r.auth,
      ).then((x) => x.prompt_id),
    ),
  );
  const victim = r.stack.sims[0];
  if (!victim) throw new Error('no simulator');
  const m1 = pool.member('s1');
  while (pool.dispatcher.inFlight(m1) < 2) await sleep(2);
  const onVictim = ids.filter((id) => pool.dispatcher.flightOf(id) === m1);
  const runs = (id: string) =>
    r.stack.sims.reduce((n, s) => n + s.stats.started.filter((x) => x === id).length, 0);
  const runsAtKill = new Map(onVictim.map((id) => [id, runs(id)]));
  const t0 = performance.now();
  await victim.stop();
  await victim.restart();
  // Moved = started again somewhere (on another server, or on s1 once it is back).
  while (!onVictim.every((id) => runs(id) > (runsAtKill.get(id) ?? 0))) {
    if (performance.now() - t0 > 120_000) break;
    await sleep(2);
  }
  const ms = performance.now() - t0;
  const statuses = await Promise.all(ids.map((id) => untilEnd(r, id)));
  return { ms, moved: onVictim.length, completed: statuses.filter((s) => s === 'completed').length, of: n };
}

export async function runPool(): Promise<Omit<Section, 'ranAt' | 'seconds'>> {
  const one = await start(1, STEP_MS);
  let single: { ms: number; ok: number };
  let singleTrips: number[];
  try {
    await batch(one, 4, 1); // warm-up
    single = await batch(one, JOBS, 1000);
  } finally {
    await one.stack.close();
  }
  const four = await start(4, STEP_MS);
  let pooled: { ms: number; ok: number };
  let fail: Awaited<ReturnType<typeof failover>>;
  try {
    await batch(four, 8, 1);
    pooled = await batch(four, JOBS, 2000);
    fail = await failover(four);
  } finally {
    await four.stack.close();
  }
  // Overhead per dispatch: sequential round trips, one server direct vs a pool of two (step delay 0).
  const direct = await start(1, 0);
  try {
    await roundTrips(direct, 5);
    singleTrips = await roundTrips(direct, 40);
  } finally {
    await direct.stack.close();
  }
  const two = await start(2, 0);
  let poolTrips: number[];
  try {
    await roundTrips(two, 5);
    poolTrips = await roundTrips(two, 40);
  } finally {
    await two.stack.close();
  }

  const ratio = single.ms / pooled.ms;
  const overhead = pct(poolTrips, 50) - pct(singleTrips, 50);
  const targets: Target[] = [
    {
      what: `throughput, ${JOBS} text2img jobs: 4 servers vs 1`,
      target: '>= 3.5x',
      measured: `${fmt(ratio, 2)}x (${fmt(single.ms / 1000, 2)} s vs ${fmt(pooled.ms / 1000, 2)} s)`,
      met: ratio >= 3.5,
    },
    {
      what: 'gateway overhead per dispatch (pool of 2 vs one server, p50 round trip)',
      target: 'report',
      measured: `${fmt(overhead, 2)} ms (${fmt(pct(poolTrips, 50), 2)} vs ${fmt(pct(singleTrips, 50), 2)} ms)`,
      met: null,
    },
    {
      what: 'server restarted under load: its jobs running elsewhere',
      target: 'report',
      measured: `${fmt(fail.ms, 0)} ms for ${fail.moved} jobs (${fail.completed}/${fail.of} completed)`,
      met: null,
    },
  ];
  return {
    name: 'pool',
    order: 6,
    title: '6. Pool of ComfyUI servers',
    intro: [
      `${JOBS} text2img jobs (64x64, ${STEPS} steps, simulator step delay ${STEP_MS} ms) submitted at once, first to a gateway with one simulator, then to one with four (\`COMFY_BACKENDS\`, max_in_flight 2 each), in one run.`,
      'Overhead per dispatch: 40 sequential jobs (step delay 0), submit -> `done`, a pool of two against one server without a pool (the gateway queue, the capability check and the dispatch are the difference).',
      'Failover: 40 jobs on the pool of four; simulator s1 is stopped and started again (ComfyUI restarted: its queue is lost) while it holds two jobs; measured until both have started again (on another server, or on s1 once it is back).',
      'A server that stays dead is given up after the give-up time (30 s by default), then the same re-dispatch happens.',
    ].join(' '),
    tables: [
      {
        head: ['run', 'jobs', 'wall s', 'jobs/s', 'completed'],
        rows: [
          ['1 server', JOBS, fmt(single.ms / 1000, 2), fmt((JOBS * 1000) / single.ms, 2), single.ok],
          ['4 servers', JOBS, fmt(pooled.ms / 1000, 2), fmt((JOBS * 1000) / pooled.ms, 2), pooled.ok],
        ],
      },
      {
        head: ['path', 'n', 'p50 ms', 'p90 ms', 'max ms'],
        rows: [
          [
            'one server',
            singleTrips.length,
            fmt(pct(singleTrips, 50)),
            fmt(pct(singleTrips, 90)),
            fmt(Math.max(...singleTrips)),
          ],
          [
            'pool of 2',
            poolTrips.length,
            fmt(pct(poolTrips, 50)),
            fmt(pct(poolTrips, 90)),
            fmt(Math.max(...poolTrips)),
          ],
        ],
      },
    ],
    targets,
    notes: [],
  };
}
