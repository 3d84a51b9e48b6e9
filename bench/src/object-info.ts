import { LoadGen } from './load.ts';
import type { LoadResult } from './load.ts';
import type { Section, Target } from './report.ts';
import { fmt, fmtInt, mb } from './report.ts';
import { sleep, startStack } from './stack.ts';

const COLD = 100;
const DURATION_S = Math.max(3, Number(process.env['BENCH_DURATION_S'] ?? 3));

/** Fake node classes that bring /object_info to about `bytes`. */
function bigObjectInfo(bytes: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const one = (i: number) => ({
    input: {
      required: {
        text: ['STRING', { multiline: true, default: 'x'.repeat(1800) }],
        n: ['INT', { default: i, min: 0, max: 100 }],
      },
    },
    input_order: { required: ['text', 'n'] },
    output: ['STRING'],
    output_is_list: [false],
    output_name: ['STRING'],
    name: `BenchNode${i}`,
    display_name: `Bench node ${i}`,
    description: 'padding for the object_info benchmark',
    python_module: 'custom_nodes.bench',
    category: 'bench',
    output_node: false,
  });
  const size = JSON.stringify(one(0)).length;
  for (let i = 0; i < Math.ceil(bytes / size); i++) out[`BenchNode${i}`] = one(i);
  return out;
}

/** The gateway's object_info copy lives this long in the cold-burst stack (waited out before the burst). */
const COLD_TTL_S = 3;

interface ColdBurst {
  /** Upstream GET /object_info requests while the burst was answered. */
  fetches: number;
  /** The same, from the gateway's start: its own fetch on connect included. */
  fetchesSinceStart: number;
  ok: number;
  ms: number;
}

/**
 * `COLD` requests at once at a gateway with no valid object_info copy. The gateway fetches
 * object_info itself when it connects (capability checks), so a fresh gateway is warm before any
 * request: this one runs with a short TTL that is waited out first, so the burst finds the cache cold.
 */
async function coldBurst(extra: Record<string, unknown>): Promise<ColdBurst> {
  const s = await startStack({ extraObjectInfo: extra }, { COMFY_OBJECT_INFO_TTL_S: String(COLD_TTL_S) });
  try {
    const key = 'GET /object_info';
    const deadline = Date.now() + 20_000;
    while ((s.sim.stats.requests[key] ?? 0) === 0) {
      if (Date.now() > deadline) throw new Error('the gateway never fetched object_info on connect');
      await sleep(20);
    }
    // The connect-time copy is read and stored within a second of the upstream answer.
    await sleep(COLD_TTL_S * 1000 + 1000);
    const before = s.sim.stats.requests[key] ?? 0;
    const t0 = performance.now();
    const statuses = await Promise.all(
      Array.from({ length: COLD }, async () => {
        const r = await fetch(`${s.gw.url}/api/comfy/object-info`, { headers: s.auth });
        await r.arrayBuffer();
        return r.status;
      }),
    );
    const ms = performance.now() - t0;
    const after = s.sim.stats.requests[key] ?? 0;
    return {
      fetches: after - before,
      fetchesSinceStart: after,
      ok: statuses.filter((c) => c === 200).length,
      ms,
    };
  } finally {
    await s.close();
  }
}

export async function runObjectInfo(): Promise<Omit<Section, 'ranAt' | 'seconds'>> {
  const extra = bigObjectInfo(5 * 1024 * 1024);
  const cold = await coldBurst(extra);
  const s = await startStack({ extraObjectInfo: extra });
  const load = new LoadGen();
  try {
    await load.ready();
    const key = 'GET /object_info';
    const beforeRows = s.sim.stats.requests[key] ?? 0;
    const first = await fetch(`${s.gw.url}/api/comfy/object-info`, { headers: s.auth });
    const size = (await first.arrayBuffer()).byteLength;
    const etag = first.headers.get('etag') ?? '';

    const rows: (string | number)[][] = [];
    const res: Record<string, LoadResult> = {};
    for (const conn of [1, 16]) {
      const cases: [string, string, Record<string, string>][] = [
        ['direct: sim GET /object_info', `${s.sim.url}/object_info`, {}],
        ['gateway REST (cache, 200)', `${s.gw.url}/api/comfy/object-info`, s.auth],
        [
          'gateway REST (cache, 304 If-None-Match)',
          `${s.gw.url}/api/comfy/object-info`,
          { ...s.auth, 'if-none-match': etag },
        ],
        ['gateway tRPC comfy.objectInfo (cache)', `${s.gw.url}/trpc/comfy.objectInfo`, s.auth],
      ];
      for (const [label, url, headers] of cases) {
        const r = await load.run({
          url,
          headers,
          connections: conn,
          durationSec: DURATION_S,
          warmupSec: 0.5,
        });
        res[`${label}|${conn}`] = r;
        rows.push([
          label,
          conn,
          fmt(r.p50, 2),
          fmt(r.p99, 2),
          fmt(r.rps, 1),
          `${fmt(r.bytesPerSec / 1024 / 1024, 0)} MB/s`,
          `${r.non2xx}/${r.errors}`,
        ]);
      }
    }
    const upstreamAfter = (s.sim.stats.requests[key] ?? 0) - beforeRows;
    const d1 = res['direct: sim GET /object_info|1'];
    const g1 = res['gateway REST (cache, 200)|1'];
    const d16 = res['direct: sim GET /object_info|16'];
    const g16 = res['gateway REST (cache, 200)|16'];
    const n1 = res['gateway REST (cache, 304 If-None-Match)|1'];
    const targets: Target[] = [
      {
        what: `${COLD} concurrent cold requests (no valid object_info copy) -> upstream fetches`,
        target: 'exactly 1',
        measured: `${cold.fetches} (${cold.ok}/${COLD} answered 200 in ${fmt(cold.ms, 0)} ms; ${cold.fetchesSinceStart} since the gateway started, its fetch on connect included)`,
        met: cold.fetches === 1 && cold.ok === COLD,
      },
      {
        what: `${mb(size)} object_info from cache faster than upstream (c=1 p50)`,
        target: '< direct',
        measured: `${fmt(g1?.p50 ?? NaN, 2)} vs ${fmt(d1?.p50 ?? NaN, 2)} ms`,
        met: (g1?.p50 ?? Infinity) < (d1?.p50 ?? 0),
      },
      {
        what: `${mb(size)} object_info from cache vs upstream (c=16 req/s)`,
        target: '> direct',
        measured: `${fmt(g16?.rps ?? NaN, 1)} vs ${fmt(d16?.rps ?? NaN, 1)} req/s`,
        met: (g16?.rps ?? 0) > (d16?.rps ?? Infinity),
      },
      {
        what: 'revalidation (304) of the 5 MB object_info (c=1 p50)',
        target: '< direct',
        measured: `${fmt(n1?.p50 ?? NaN, 2)} vs ${fmt(d1?.p50 ?? NaN, 2)} ms`,
        met: (n1?.p50 ?? Infinity) < (d1?.p50 ?? 0),
      },
    ];
    return {
      name: 'object-info',
      order: 4,
      title: '4. Object info',
      intro: [
        `The simulator's /object_info is inflated to ${mb(size)} with extra node classes (\`extraObjectInfo\`).`,
        `Cold burst: the gateway fetches object_info itself when it connects (for capability checks), so a fresh gateway is already warm; the burst runs on its own gateway with \`COMFY_OBJECT_INFO_TTL_S=${COLD_TTL_S}\`, waits that connect-time copy out, then fires ${COLD} requests at once (fetch from this process) and counts the simulator's GET /object_info requests while they are answered.`,
        `Then autocannon (separate process) for ${DURATION_S} s at 1 and 16 connections against the simulator and the gateway's cache.`,
        `Then, on a gateway with the default TTL, upstream fetches during the throughput rows: ${upstreamAfter}.`,
      ].join(' '),
      tables: [{ head: ['path', 'conc', 'p50 ms', 'p99 ms', 'req/s', 'bytes/s', 'non-2xx/err'], rows }],
      targets,
      notes: [
        `Cold burst: ${fmtInt(COLD)} responses of ${mb(size)} each in ${fmt(cold.ms, 0)} ms (the upstream fetch included).`,
        'The gateway answers 304 when If-None-Match matches its ETag (a hash of the cached value); the simulator, like ComfyUI, has no ETag. autocannon counts 304s as non-2xx.',
      ],
    };
  } finally {
    await load.close();
    await s.close();
  }
}
