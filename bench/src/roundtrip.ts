import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import type { Section, Target } from './report.ts';
import { fmt } from './report.ts';
import { postJson, startStack, tinyJob } from './stack.ts';

const N = Number(process.env['BENCH_ROUNDTRIPS'] ?? 40);
const STEPS = 4;
const pct = (v: number[], p: number) => {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
};

/** Reads an SSE response until a `done` event. */
async function untilDone(res: Response): Promise<boolean> {
  const reader = (res.body as ReadableStream<Uint8Array> | null)?.getReader();
  if (!reader) return false;
  const dec = new TextDecoder();
  let buf = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return false;
    buf += dec.decode(value, { stream: true });
    if (buf.includes('event: done')) {
      await reader.cancel();
      return true;
    }
  }
}

export async function runRoundtrip(): Promise<Omit<Section, 'ranAt' | 'seconds'>> {
  const s = await startStack({ stepMs: 0, nodeMs: 0 });
  try {
    // The workflow the gateway builds, reused verbatim for the direct runs.
    const first = await postJson<{ prompt_id: string }>(
      `${s.gw.url}/api/comfy/text2img`,
      tinyJob(STEPS, { seed: 1 }),
      s.auth,
    );
    await s.gw.services.comfy.waitForEnd(first.prompt_id);
    const hist = (await (
      await fetch(`${s.gw.url}/api/comfy/history/${first.prompt_id}`, { headers: s.auth })
    ).json()) as {
      workflow: Record<string, { class_type: string; inputs: Record<string, unknown> }>;
    };
    const workflow = hist.workflow;
    const sampler = Object.values(workflow).find((n) => 'seed' in n.inputs || 'noise_seed' in n.inputs);

    const gw: number[] = [];
    let gwFailed = 0;
    for (let i = 0; i < N; i++) {
      const t0 = performance.now();
      const { prompt_id } = await postJson<{ prompt_id: string }>(
        `${s.gw.url}/api/comfy/text2img`,
        tinyJob(STEPS, { seed: 1000 + i }),
        s.auth,
      );
      const ok = await untilDone(
        await fetch(`${s.gw.url}/api/comfy/stream/${prompt_id}`, { headers: s.auth }),
      );
      if (ok) gw.push(performance.now() - t0);
      else gwFailed++;
    }

    // Direct: one socket (as a client would keep), POST /prompt, wait for executing{node:null}.
    const clientId = randomUUID();
    const ws = new WebSocket(`${s.sim.url.replace('http', 'ws')}/ws?clientId=${clientId}`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const waiters = new Map<string, () => void>();
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const m = JSON.parse(new TextDecoder().decode(Array.isArray(data) ? Buffer.concat(data) : data)) as {
        type: string;
        data: { node?: string | null; prompt_id?: string };
      };
      if (m.type === 'executing' && m.data.node === null && m.data.prompt_id)
        waiters.get(m.data.prompt_id)?.();
    });
    const direct: number[] = [];
    for (let i = 0; i < N; i++) {
      if (sampler) sampler.inputs['seed' in sampler.inputs ? 'seed' : 'noise_seed'] = 5000 + i;
      const t0 = performance.now();
      let finished!: () => void;
      const done = new Promise<void>((r) => (finished = r));
      const res = await postJson<{ prompt_id: string }>(`${s.sim.url}/prompt`, {
        prompt: workflow,
        client_id: clientId,
      });
      waiters.set(res.prompt_id, finished);
      await done;
      direct.push(performance.now() - t0);
    }
    ws.close();

    const overhead = pct(gw, 50) - pct(direct, 50);
    const targets: Target[] = [
      {
        what: 'text2img -> final event, gateway vs direct (p50)',
        target: 'report',
        measured: `${fmt(pct(gw, 50), 2)} vs ${fmt(pct(direct, 50), 2)} ms (+${fmt(overhead, 2)} ms)`,
        met: null,
      },
    ];
    return {
      name: 'roundtrip',
      order: 5,
      title: '5. Job round trip',
      intro: [
        `${N} sequential text2img jobs (64x64, ${STEPS} steps, a new seed each so the simulator's execution cache never short-cuts), simulator step delay 0.`,
        'Gateway: `POST /api/comfy/text2img` then `GET /api/comfy/stream/:id` until the `done` event.',
        'Direct: the same workflow (as the gateway built it) `POST /prompt` to the simulator with a WebSocket already open, until `executing` with `node: null` for that prompt.',
        'The client runs in the bench process (with the simulator and the gateway), fetch + SSE for the gateway and `ws` for the simulator.',
      ].join(' '),
      tables: [
        {
          head: ['path', 'n', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'failed'],
          rows: [
            [
              'direct: POST /prompt + WS until executing(null)',
              direct.length,
              fmt(pct(direct, 50), 2),
              fmt(pct(direct, 90), 2),
              fmt(pct(direct, 99), 2),
              fmt(Math.max(...direct), 2),
              0,
            ],
            [
              'gateway: POST text2img + SSE until done',
              gw.length,
              fmt(pct(gw, 50), 2),
              fmt(pct(gw, 90), 2),
              fmt(pct(gw, 99), 2),
              fmt(Math.max(...gw), 2),
              gwFailed,
            ],
          ],
        },
      ],
      targets,
      notes: [
        'The gateway path does more than the direct one by design: it validates the parameters, builds the workflow, checks it against object_info, queues it, and opens a new HTTP stream per job (the direct client keeps one socket).',
      ],
    };
  } finally {
    await s.close();
  }
}
