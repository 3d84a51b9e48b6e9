import type { Stack } from './stack.ts';
import { postJson, startStack, tinyJob, trpcInput } from './stack.ts';
import { LoadGen } from './load.ts';
import type { LoadRequest, LoadResult } from './load.ts';
import type { Section, Table, Target } from './report.ts';
import { fmt, fmtInt, kb } from './report.ts';
import { putOutputImage } from './images.ts';

const CONCURRENCY = [1, 64];
const DURATION_S = Number(process.env['BENCH_DURATION_S'] ?? 2);
const VIEW_BYTES = 256 * 1024;

interface Case {
  call: string;
  direct: LoadRequest & { label: string };
  via: (LoadRequest & { label: string })[];
}

async function firstCompletedJob(s: Stack): Promise<string> {
  const { prompt_id } = await postJson<{ prompt_id: string }>(
    `${s.gw.url}/api/comfy/text2img`,
    tinyJob(2),
    s.auth,
  );
  const end = await s.gw.services.comfy.waitForEnd(prompt_id);
  if (end.status !== 'completed') throw new Error(`setup job ended ${end.status}`);
  return prompt_id;
}

export async function runOverhead(): Promise<Omit<Section, 'ranAt' | 'seconds'>> {
  const s = await startStack();
  const load = new LoadGen();
  try {
    await load.ready();
    const id = await firstCompletedJob(s);
    const view = putOutputImage(s.sim.rootDir, 'bench_view.png', VIEW_BYTES);
    const etagRes = await fetch(`${s.gw.url}/api/comfy/object-info`, { headers: s.auth });
    const etag = etagRes.headers.get('etag') ?? '';
    const objectInfoBytes = (await etagRes.arrayBuffer()).byteLength;
    // Warm the gateway's on-disk view cache: the load below measures the warm path.
    await (await fetch(`${s.gw.url}/api/comfy/view?filename=${view}`, { headers: s.auth })).arrayBuffer();

    const g = s.gw.url;
    const d = s.sim.url;
    const A = s.auth;
    const cases: Case[] = [
      {
        call: 'status',
        direct: { label: 'sim GET /history/{id}', url: `${d}/history/${id}`, connections: 1, durationSec: 0 },
        via: [
          {
            label: 'gw REST /api/comfy/status/{id}',
            url: `${g}/api/comfy/status/${id}`,
            headers: A,
            connections: 1,
            durationSec: 0,
          },
          {
            label: 'gw tRPC comfy.status',
            url: `${g}/trpc/comfy.status?input=${trpcInput({ prompt_id: id })}`,
            headers: A,
            connections: 1,
            durationSec: 0,
          },
        ],
      },
      {
        call: 'history',
        direct: { label: 'sim GET /history/{id}', url: `${d}/history/${id}`, connections: 1, durationSec: 0 },
        via: [
          {
            label: 'gw REST /api/comfy/history/{id}',
            url: `${g}/api/comfy/history/${id}`,
            headers: A,
            connections: 1,
            durationSec: 0,
          },
          {
            label: 'gw tRPC comfy.history',
            url: `${g}/trpc/comfy.history?input=${trpcInput({ prompt_id: id })}`,
            headers: A,
            connections: 1,
            durationSec: 0,
          },
        ],
      },
      {
        call: 'object-info',
        direct: { label: 'sim GET /object_info', url: `${d}/object_info`, connections: 1, durationSec: 0 },
        via: [
          {
            label: 'gw REST /api/comfy/object-info (200)',
            url: `${g}/api/comfy/object-info`,
            headers: A,
            connections: 1,
            durationSec: 0,
          },
          {
            label: 'gw REST /api/comfy/object-info (304)',
            url: `${g}/api/comfy/object-info`,
            headers: { ...A, 'if-none-match': etag },
            connections: 1,
            durationSec: 0,
          },
          {
            label: 'gw tRPC comfy.objectInfo',
            url: `${g}/trpc/comfy.objectInfo`,
            headers: A,
            connections: 1,
            durationSec: 0,
          },
        ],
      },
      {
        call: `view (${kb(VIEW_BYTES, 0)}, warm)`,
        direct: {
          label: 'sim GET /view',
          url: `${d}/view?filename=${view}&type=output`,
          connections: 1,
          durationSec: 0,
        },
        via: [
          {
            label: 'gw REST /api/comfy/view (disk cache)',
            url: `${g}/api/comfy/view?filename=${view}`,
            headers: A,
            connections: 1,
            durationSec: 0,
          },
        ],
      },
    ];

    const head = [
      'call',
      'path',
      'conc',
      'p50 ms',
      'p99 ms',
      'req/s',
      'p50 vs direct',
      'req/s vs direct',
      'non-2xx/err',
    ];
    const rows: (string | number)[][] = [];
    const results: Record<string, LoadResult> = {};
    for (const c of cases) {
      for (const conn of CONCURRENCY) {
        const run = async (r: LoadRequest & { label: string }) => {
          const { label, ...req } = r;
          const res = await load.run({ ...req, connections: conn, durationSec: DURATION_S, warmupSec: 0.5 });
          results[`${c.call}|${label}|${conn}`] = res;
          return res;
        };
        const direct = await run(c.direct);
        rows.push([
          c.call,
          c.direct.label,
          conn,
          fmt(direct.p50, 3),
          fmt(direct.p99, 3),
          fmtInt(direct.rps),
          '-',
          '-',
          bad(direct),
        ]);
        for (const v of c.via) {
          const r = await run(v);
          rows.push([
            c.call,
            v.label,
            conn,
            fmt(r.p50, 3),
            fmt(r.p99, 3),
            fmtInt(r.rps),
            `${r.p50 - direct.p50 >= 0 ? '+' : ''}${fmt(r.p50 - direct.p50, 3)} ms (x${fmt(r.p50 / direct.p50)})`,
            `x${fmt(r.rps / direct.rps)}`,
            bad(r),
          ]);
        }
      }
    }
    const table: Table = { head, rows };

    const get = (k: string) => results[k];
    const st = get('status|gw REST /api/comfy/status/{id}|1');
    const sd = get('status|sim GET /history/{id}|1');
    const tr = get('status|gw tRPC comfy.status|1');
    const added = st && sd ? st.p50 - sd.p50 : NaN;
    const addedTrpc = tr && sd ? tr.p50 - sd.p50 : NaN;
    const oi200 = get('object-info|gw REST /api/comfy/object-info (200)|1');
    const oi304 = get('object-info|gw REST /api/comfy/object-info (304)|1');
    const oid = get('object-info|sim GET /object_info|1');
    const oi200c = get('object-info|gw REST /api/comfy/object-info (200)|64');
    const oid64 = get('object-info|sim GET /object_info|64');
    const targets: Target[] = [
      {
        what: 'status: gateway adds < 1 ms at p50 (REST, c=1)',
        target: '< 1 ms',
        measured: `${fmt(added, 3)} ms (${fmt(st?.p50 ?? NaN, 3)} vs ${fmt(sd?.p50 ?? NaN, 3)} ms)`,
        met: added < 1,
      },
      {
        what: 'status: gateway adds < 1 ms at p50 (tRPC, c=1)',
        target: '< 1 ms',
        measured: `${fmt(addedTrpc, 3)} ms (${fmt(tr?.p50 ?? NaN, 3)} vs ${fmt(sd?.p50 ?? NaN, 3)} ms)`,
        met: addedTrpc < 1,
      },
      {
        what: 'cached object-info faster than upstream (REST 200, c=1, p50)',
        target: '< direct p50',
        measured: `${fmt(oi200?.p50 ?? NaN, 3)} vs ${fmt(oid?.p50 ?? NaN, 3)} ms`,
        met: (oi200?.p50 ?? Infinity) < (oid?.p50 ?? 0),
      },
      {
        what: 'cached object-info faster than upstream (REST 200, c=64, req/s)',
        target: '> direct req/s',
        measured: `${fmtInt(oi200c?.rps ?? NaN)} vs ${fmtInt(oid64?.rps ?? NaN)} req/s`,
        met: (oi200c?.rps ?? 0) > (oid64?.rps ?? Infinity),
      },
      {
        what: 'object-info 304 (If-None-Match) vs upstream 200 (c=1, p50)',
        target: '< direct p50',
        measured: `${fmt(oi304?.p50 ?? NaN, 3)} vs ${fmt(oid?.p50 ?? NaN, 3)} ms`,
        met: (oi304?.p50 ?? Infinity) < (oid?.p50 ?? 0),
      },
    ];
    return {
      name: 'overhead',
      order: 1,
      title: '1. Overhead',
      intro: [
        `Each row is autocannon (separate process, keep-alive connections) for ${DURATION_S} s after a 0.5 s warm-up, at 1 and 64 connections.`,
        "Latency percentiles are computed from autocannon's per-response timings (its own histogram rounds to whole milliseconds).",
        '"status" has no ComfyUI equivalent: the direct row is the simulator\'s `GET /history/{id}`, which is what a client polls upstream;',
        'the gateway answers status from its job tracker (no upstream call). "history" goes upstream on every call.',
        `The object_info body is ${kb(objectInfoBytes)} (the simulator's default node set); the gateway serves it from its TTL cache.`,
        `view uses a ${kb(VIEW_BYTES, 0)} PNG from the simulator's output folder; the gateway's on-disk view cache is warm (cold first views are in the streaming section).`,
      ].join(' '),
      tables: [table],
      targets,
      notes: [
        'The simulator and the gateway share one Node process (one event loop) and autocannon takes a second process: on 2 cores the three compete, so absolute req/s are lower than on a bigger box; the ratio is what matters.',
        "A gateway request that goes upstream (history, cold view) pays for the simulator's work on the same event loop too, so its overhead includes the upstream call.",
      ],
    };
  } finally {
    await load.close();
    await s.close();
  }
}

function bad(r: LoadResult): string {
  return `${r.non2xx}/${r.errors}`;
}
