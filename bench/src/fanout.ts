import { Child } from './child.ts';
import type { CollectResult, ConnectReq, Sub } from './fanout-child.ts';
import type { Section, Target } from './report.ts';
import { fmt, fmtInt, kb, mb } from './report.ts';
import { gc, postJson, sleep, startStack, tinyJob } from './stack.ts';

const SSE_SUBS = Number(process.env['BENCH_FANOUT_SSE'] ?? 1000);
const TRPC_SUBS = Number(process.env['BENCH_FANOUT_TRPC'] ?? 1000);
const JOBS = 5;
const STEP_MS = 30;
const STEPS = 20;

const now = () => performance.timeOrigin + performance.now();
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;

export async function runFanout(): Promise<Omit<Section, 'ranAt' | 'seconds'>> {
  const s = await startStack({ stepMs: STEP_MS });
  const subs = new Child('./fanout-child.ts');
  try {
    await subs.ready;
    const tracker = s.gw.services.comfy.conn().tracker;
    // A long job first holds the (serial) queue while the subscribers connect.
    const blocker = await postJson<{ prompt_id: string }>(
      `${s.gw.url}/api/comfy/text2img`,
      tinyJob(150, { seed: 99 }),
      s.auth,
    );
    const jobs: string[] = [];
    for (let i = 0; i < JOBS; i++) {
      jobs.push(
        (
          await postJson<{ prompt_id: string }>(
            `${s.gw.url}/api/comfy/text2img`,
            tinyJob(STEPS, { seed: i + 1 }),
            s.auth,
          )
        ).prompt_id,
      );
    }
    // The tracker's emit time of every numbered event (the gateway's own clock, same machine).
    const emitted = new Map<string, number>();
    for (const id of jobs)
      tracker.subscribe(id, (e) => void (e.id !== '' && emitted.set(`${id}|${e.id}`, now())));

    await sleep(200);
    gc();
    const before = process.memoryUsage();
    const list: Sub[] = [];
    for (let i = 0; i < SSE_SUBS; i++) list.push({ promptId: jobs[i % JOBS] ?? '', kind: 'rest' });
    for (let i = 0; i < TRPC_SUBS; i++) list.push({ promptId: jobs[i % JOBS] ?? '', kind: 'trpc' });
    const t0 = performance.now();
    const req: ConnectReq = { base: s.gw.url, token: s.token, subs: list };
    const { connected } = await subs.call<{ connected: number }>('connect', req);
    const connectMs = performance.now() - t0;
    const liveFrom = now();
    const blockerState = tracker.get(blocker.prompt_id)?.status ?? 'unknown';
    await sleep(100);
    gc();
    const after = process.memoryUsage();
    const upstreamDuring = s.sim.stats.wsConnections();
    const n = list.length;
    const heapPer = (after.heapUsed - before.heapUsed) / n;
    const rssPer = (after.rss - before.rss) / n;
    const extPer = (after.external + after.arrayBuffers - before.external - before.arrayBuffers) / n;

    const collected = await subs.call<CollectResult>('collect', { timeoutMs: 60_000 });
    const upstreamAfter = s.sim.stats.wsConnections();
    const upstreamTotal = s.sim.stats.wsConnectionsTotal;

    const lat: number[] = [];
    let missingEmit = 0;
    let backlog = 0;
    const byKind = { rest: [] as number[], trpc: [] as number[] };
    for (const [idx, pid, id, t] of collected.arrivals) {
      const e = emitted.get(`${pid}|${id}`);
      if (e === undefined) {
        missingEmit++;
        continue;
      }
      if (e < liveFrom) {
        backlog++;
        continue;
      }
      lat.push(t - e);
      byKind[list[idx]?.kind ?? 'rest'].push(t - e);
    }
    lat.sort((a, b) => a - b);
    byKind.rest.sort((a, b) => a - b);
    byKind.trpc.sort((a, b) => a - b);
    const p99 = pct(lat, 99);

    const targets: Target[] = [
      {
        what: 'upstream WebSocket connections',
        target: 'exactly 1',
        measured: `${upstreamDuring} during, ${upstreamAfter} after (${upstreamTotal} opened in total)`,
        met: upstreamDuring === 1 && upstreamAfter === 1,
      },
      {
        what: 'event delivery latency p99 (tracker -> subscriber)',
        target: '< 50 ms',
        measured: `${fmt(p99, 1)} ms`,
        met: p99 < 50,
        ...(p99 < 50 ? {} : { why: 'one event loop writes every event to 2,000 sockets, serially' }),
      },
      {
        what: 'memory per subscriber (heapUsed, after GC)',
        target: '< 50 KB',
        measured: `${kb(heapPer)} (rss ${kb(rssPer)}, external ${kb(extPer)})`,
        met: heapPer < 50 * 1024,
      },
      {
        what: 'every subscriber got its final event',
        target: `${n}`,
        measured: `${collected.ended - collected.failed} of ${n}`,
        met: collected.failed === 0 && collected.ended === n,
      },
    ];
    return {
      name: 'fanout',
      order: 2,
      title: '2. Fan-out',
      intro: [
        `${SSE_SUBS} REST SSE subscribers (\`GET /api/comfy/stream/:id\`) and ${TRPC_SUBS} tRPC subscribers (\`comfy.onStatus\` over SSE)`,
        `follow ${JOBS} text2img jobs (${STEPS} steps, ${STEP_MS} ms per step in the simulator), ${Math.round(n / JOBS)} subscribers per job, one HTTP connection each,`,
        "all in a child process. A long job holds the simulator's serial queue while they connect.",
        "Latency is from the moment the gateway's job tracker emitted the event (a listener in the gateway process) to its arrival at the subscriber",
        '(both clocks are `performance.timeOrigin + performance.now()` on the same machine); only events emitted after every subscriber was connected count (backlog replays are excluded).',
        'Memory is the gateway process (gateway + simulator, not the subscribers) after a forced GC, before and after the subscribers connected, divided by their number.',
      ].join(' '),
      tables: [
        {
          head: ['metric', 'value'],
          rows: [
            [
              'subscribers',
              `${n} (${SSE_SUBS} REST SSE + ${TRPC_SUBS} tRPC SSE), ${connected} connected in ${fmt(connectMs / 1000, 2)} s`,
            ],
            ['queue head while connecting', `blocker job ${blockerState}`],
            [
              'upstream WS connections (sim count)',
              `${upstreamDuring} during, ${upstreamAfter} after, ${upstreamTotal} ever opened`,
            ],
            [
              'events measured (live)',
              `${fmtInt(lat.length)} (backlog replays skipped: ${fmtInt(backlog)}, unmatched: ${missingEmit})`,
            ],
            [
              'delivery latency p50 / p90 / p99 / max (all)',
              `${fmt(pct(lat, 50), 1)} / ${fmt(pct(lat, 90), 1)} / ${fmt(p99, 1)} / ${fmt(lat[lat.length - 1] ?? NaN, 1)} ms`,
            ],
            [
              'delivery latency p50 / p99 (REST SSE)',
              `${fmt(pct(byKind.rest, 50), 1)} / ${fmt(pct(byKind.rest, 99), 1)} ms`,
            ],
            [
              'delivery latency p50 / p99 (tRPC SSE)',
              `${fmt(pct(byKind.trpc, 50), 1)} / ${fmt(pct(byKind.trpc, 99), 1)} ms`,
            ],
            [
              'gateway heapUsed before -> with subscribers',
              `${mb(before.heapUsed)} -> ${mb(after.heapUsed)} (${kb(heapPer)} each)`,
            ],
            [
              'gateway rss before -> with subscribers',
              `${mb(before.rss)} -> ${mb(after.rss)} (${kb(rssPer)} each)`,
            ],
            [
              'subscribers finished with done / failed',
              `${collected.ended - collected.failed} / ${collected.failed}${collected.errors.length ? ` (${collected.errors.slice(0, 3).join('; ')})` : ''}`,
            ],
          ],
        },
      ],
      targets,
      notes: [
        "The simulator shares the gateway's process and event loop, so the latency includes the simulator's own work producing the next step; the memory delta does not (the simulator holds one socket either way).",
        'RSS counts the heap growth plus socket and stream buffers; heapUsed is the per-subscriber state the gateway keeps (listeners, SSE/tRPC stream objects, Express req/res).',
      ],
    };
  } finally {
    await subs.close();
    await s.close();
  }
}
