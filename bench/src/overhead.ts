import { LoadGen } from './load.ts';
import type { LoadResult } from './load.ts';
import type { Answerer, Row } from './overhead-cases.ts';
import { overheadCases } from './overhead-cases.ts';
import { FloorProc, captureRoute } from './procs/floor-proc.ts';
import { submitJob, waitForEnd } from './procs/jobs.ts';
import type { ProcStats } from './procs/proc-stats.ts';
import { startSplitStack } from './procs/split-stack.ts';
import type { Section, Target } from './report.ts';
import { fmt, fmtInt, kb } from './report.ts';

const CONCURRENCY = [1, 64];
const DURATION_S = Number(process.env['BENCH_DURATION_S'] ?? 2);
const VIEW_BYTES = 256 * 1024;
const FLOOR_SHARE_GOAL = 0.5;

interface Measured extends LoadResult {
  /** CPU microseconds per request of the answering process, of the simulator, of the load generator. */
  cpuServer: number;
  cpuSim: number;
  cpuLoad: number;
  /** Cores the answering server and autocannon kept busy over the warm-up and the run (CPU / wall). */
  coresServer: number;
  coresLoad: number;
}

export async function runOverhead(): Promise<Omit<Section, 'ranAt' | 'seconds'>> {
  const s = await startSplitStack();
  const load = new LoadGen();
  let floor: FloorProc | null = null;
  try {
    await load.ready();
    const gw = s.gw;
    const id = await submitJob(gw, 2);
    const end = await waitForEnd(gw, id);
    if (end !== 'completed') throw new Error(`setup job ended ${end}`);
    const view = await s.sim.putImage('bench_view.png', VIEW_BYTES);
    const etagRes = await fetch(`${gw.url}/api/comfy/object-info`, { headers: gw.auth });
    const etag = etagRes.headers.get('etag') ?? '';
    const objectInfoBytes = (await etagRes.arrayBuffer()).byteLength;
    // Warm the gateway's on-disk view cache: the load below measures the warm path.
    await (await fetch(`${gw.url}/api/comfy/view?filename=${view}`, { headers: gw.auth })).arrayBuffer();
    const statusRoute = await captureRoute(`${gw.url}/api/comfy/status/${id}`, gw.auth);
    const historyRoute = await captureRoute(`${gw.url}/api/comfy/history/${id}`, gw.auth);
    floor = await FloorProc.start({ '/status': statusRoute, '/history': historyRoute });
    const fl = floor;

    const cases = overheadCases({
      gw: gw.url,
      sim: s.sim.url,
      floor: fl.url,
      auth: gw.auth,
      promptId: id,
      etag,
      view,
      viewLabel: `view (${kb(VIEW_BYTES, 0)}, warm)`,
    });
    const statsOf: Record<Answerer, () => Promise<ProcStats>> = {
      floor: () => fl.stats(),
      sim: () => s.sim.stats(),
      gateway: () => gw.stats(),
    };
    const measure = async (row: Row, conc: number): Promise<Measured> => {
      const { label: _label, by, ...req } = row;
      const sample = () => Promise.all([statsOf[by](), s.sim.stats(), load.stats()]);
      const before = await sample();
      const t0 = performance.now();
      const r = await load.run({ ...req, connections: conc, durationSec: DURATION_S, warmupSec: 0.5 });
      const wallUs = (performance.now() - t0) * 1000;
      const after = await sample();
      const n = Math.max(1, r.requests + r.warmupRequests);
      const per = (i: 0 | 1 | 2) => (after[i].cpuUs - before[i].cpuUs) / n;
      const cores = (i: 0 | 2) => (after[i].cpuUs - before[i].cpuUs) / wallUs;
      return {
        ...r,
        cpuServer: per(0),
        cpuSim: by === 'gateway' ? per(1) : NaN,
        cpuLoad: per(2),
        coresServer: cores(0),
        coresLoad: cores(2),
      };
    };

    const results: Record<string, Measured> = {};
    const rows: (string | number)[][] = [];
    for (const c of cases) {
      for (const conc of CONCURRENCY) {
        let floorRps = NaN;
        let simP50 = NaN;
        for (const row of c.rows) {
          const r = await measure(row, conc);
          results[`${c.call}|${row.by}|${row.label}|${conc}`] = r;
          if (row.by === 'floor') floorRps = r.rps;
          if (row.by === 'sim') simP50 = r.p50;
          rows.push([
            c.call,
            row.label,
            conc,
            fmt(r.p50, 3),
            fmt(r.p99, 3),
            fmtInt(r.rps),
            Number.isFinite(floorRps) ? `${fmt((100 * r.rps) / floorRps, 0)}%` : '-',
            row.by === 'gateway' ? `${r.p50 - simP50 >= 0 ? '+' : ''}${fmt(r.p50 - simP50, 3)} ms` : '-',
            fmtInt(r.cpuServer),
            Number.isFinite(r.cpuSim) ? fmtInt(r.cpuSim) : '-',
            fmtInt(r.cpuLoad),
            `${fmt(r.coresServer, 2)} / ${fmt(r.coresLoad, 2)}`,
            `${r.non2xx}/${r.errors}`,
          ]);
        }
      }
    }
    // Outside the measured rows: where a status request's CPU goes (the profiler slows it down).
    const statusRow = cases[0]?.rows.find((r) => r.by === 'gateway');
    const profile = statusRow
      ? await gw.profile(async () => {
          const { label: _l, by: _b, ...req } = statusRow;
          await load.run({ ...req, connections: 64, durationSec: DURATION_S, warmupSec: 0 });
        })
      : null;
    return {
      name: 'overhead',
      order: 1,
      title: '1. Overhead',
      intro: [
        `Each row is autocannon (its own process, keep-alive connections) for ${DURATION_S} s after a 0.5 s warm-up, at 1 and 64 connections.`,
        'The simulator, the gateway (the real `apps/server/src/main.ts`, NODE_ENV=production, LOG_LEVEL=info) and the floor server each run in their own process.',
        'The floor is a plain Node `http` server answering the bytes the gateway answered for the same call (same body and content type): the most this machine does for that response.',
        'CPU columns are the user+system CPU time each process reported (`process.cpuUsage()`, over IPC) across the warm-up and the run, divided by the requests answered:',
        '"server" is the process that answered the row, "sim" the simulator behind the gateway (history goes upstream on every call), "loadgen" autocannon.',
        '"cores busy" is that CPU time over the wall time of the warm-up and the run: autocannon is one thread, so near 1.00 the load generator, not the server, sets the req/s.',
        "Latency percentiles come from autocannon's per-response timings.",
        '"status" has no ComfyUI equivalent: the simulator row is `GET /history/{id}`, which is what a client polls upstream; the gateway answers status from its job tracker.',
        `The object_info body is ${kb(objectInfoBytes)} (the simulator's default node set), served from the gateway's cache; view is a ${kb(VIEW_BYTES, 0)} PNG from the warm on-disk view cache.`,
      ].join(' '),
      tables: [
        {
          head: [
            'call',
            'path',
            'conc',
            'p50 ms',
            'p99 ms',
            'req/s',
            'req/s vs floor',
            'p50 vs sim',
            'server CPU µs/req',
            'sim CPU µs/req',
            'loadgen CPU µs/req',
            'cores busy: server / loadgen',
            'non-2xx/err',
          ],
          rows,
        },
      ],
      targets: overheadTargets(results),
      ...(profile
        ? { profiles: [{ title: 'GET /api/comfy/status/{id} (REST), 64 connections', summary: profile }] }
        : {}),
      notes: [
        ...loadgenNotes(results),
        'Four processes (floor or simulator, gateway, autocannon, the bench itself idle) share 2 cores with whatever else runs; the floor and the gateway run under the same conditions in the same run, so the ratio is the number to read.',
        'autocannon counts 304s as non-2xx.',
      ],
    };
  } finally {
    await load.close();
    await floor?.close();
    await s.close();
  }
}

/** Whether autocannon (one thread) was the limit of the floor rows at 64 connections. */
function loadgenNotes(results: Record<string, Measured>): string[] {
  return ['status', 'history'].flatMap((call) => {
    const r = results[`${call}|floor|floor: node:http, same bytes|64`];
    if (!r) return [];
    const limit =
      r.coresLoad >= 0.85
        ? 'near its one-thread limit: the floor is bounded by the load generator as much as by the server, so it understates what the machine does and the gateway shares read high'
        : r.coresServer >= 0.85
          ? 'below its one-thread limit: the floor server (one event loop), not the load generator, set the rate'
          : "below its one-thread limit, and so was the floor server: other processes on the machine took the CPU, the rate is the busy machine's";
    return [
      `Floor ${call} at 64 connections (${fmtInt(r.rps)} req/s): autocannon used ${fmtInt(r.cpuLoad)} CPU µs/req, ${fmt(r.coresLoad, 2)} cores, ${limit}; the floor server ${fmt(r.coresServer, 2)} cores (one event loop), together ${fmt(r.coresLoad + r.coresServer, 2)} of 2.`,
    ];
  });
}

function overheadTargets(results: Record<string, Measured>): Target[] {
  const get = (call: string, by: Answerer, label: string, conc: number) =>
    results[`${call}|${by}|${label}|${conc}`];
  const floor64 = get('status', 'floor', 'floor: node:http, same bytes', 64);
  const rest64 = get('status', 'gateway', 'gw REST /api/comfy/status/{id}', 64);
  const trpc64 = get('status', 'gateway', 'gw tRPC comfy.status', 64);
  const hFloor64 = get('history', 'floor', 'floor: node:http, same bytes', 64);
  const hRest64 = get('history', 'gateway', 'gw REST /api/comfy/history/{id}', 64);
  const sim1 = get('status', 'sim', 'sim GET /history/{id}', 1);
  const rest1 = get('status', 'gateway', 'gw REST /api/comfy/status/{id}', 1);
  const trpc1 = get('status', 'gateway', 'gw tRPC comfy.status', 1);
  const oid1 = get('object-info', 'sim', 'sim GET /object_info', 1);
  const oi200 = get('object-info', 'gateway', 'gw REST /api/comfy/object-info (200)', 1);
  const oi304 = get('object-info', 'gateway', 'gw REST /api/comfy/object-info (304)', 1);
  const share = (r?: Measured, f?: Measured) => (r && f ? r.rps / f.rps : NaN);
  const restShare = share(rest64, floor64);
  const added = (rest1?.p50 ?? NaN) - (sim1?.p50 ?? NaN);
  const addedTrpc = (trpc1?.p50 ?? NaN) - (sim1?.p50 ?? NaN);
  return [
    {
      what: 'status REST at 64 connections: share of the plain-http floor',
      target: `>= ${FLOOR_SHARE_GOAL * 100}%`,
      measured: `${fmt(restShare * 100, 0)}% (${fmtInt(rest64?.rps ?? NaN)} vs ${fmtInt(floor64?.rps ?? NaN)} req/s; gateway ${fmtInt(rest64?.cpuServer ?? NaN)} vs floor ${fmtInt(floor64?.cpuServer ?? NaN)} CPU µs/req)`,
      met: restShare >= FLOOR_SHARE_GOAL,
      ...(restShare >= FLOOR_SHARE_GOAL
        ? {}
        : {
            why: "the gateway spends several times the floor CPU per request even on its fast lane (the socket write, about 17 headers, the ledger read with its JSON, `res.json`'s ETag hash, AsyncLocalStorage hooks; see Profile summary); next: a status read without the workflow, a precomputed header block",
          }),
    },
    {
      what: 'status tRPC at 64 connections: share of the plain-http floor',
      target: 'report',
      measured: `${fmt(share(trpc64, floor64) * 100, 0)}% (${fmtInt(trpc64?.rps ?? NaN)} req/s, ${fmtInt(trpc64?.cpuServer ?? NaN)} CPU µs/req)`,
      met: null,
    },
    {
      what: 'history REST at 64 connections: share of the plain-http floor',
      target: 'report',
      measured: `${fmt(share(hRest64, hFloor64) * 100, 0)}% (${fmtInt(hRest64?.rps ?? NaN)} vs ${fmtInt(hFloor64?.rps ?? NaN)} req/s; goes upstream every call)`,
      met: null,
    },
    {
      what: 'status: gateway adds < 1 ms at p50 (REST, c=1)',
      target: '< 1 ms',
      measured: `${fmt(added, 3)} ms (${fmt(rest1?.p50 ?? NaN, 3)} vs ${fmt(sim1?.p50 ?? NaN, 3)} ms)`,
      met: added < 1,
    },
    {
      what: 'status: gateway adds < 1 ms at p50 (tRPC, c=1)',
      target: '< 1 ms',
      measured: `${fmt(addedTrpc, 3)} ms (${fmt(trpc1?.p50 ?? NaN, 3)} vs ${fmt(sim1?.p50 ?? NaN, 3)} ms)`,
      met: addedTrpc < 1,
    },
    {
      what: 'cached object-info faster than upstream (REST 200, c=1, p50)',
      target: '< direct p50',
      measured: `${fmt(oi200?.p50 ?? NaN, 3)} vs ${fmt(oid1?.p50 ?? NaN, 3)} ms`,
      met: (oi200?.p50 ?? Infinity) < (oid1?.p50 ?? 0),
    },
    {
      what: 'object-info 304 (If-None-Match) vs upstream 200 (c=1, p50)',
      target: '< direct p50',
      measured: `${fmt(oi304?.p50 ?? NaN, 3)} vs ${fmt(oid1?.p50 ?? NaN, 3)} ms`,
      met: (oi304?.p50 ?? Infinity) < (oid1?.p50 ?? 0),
    },
  ];
}
