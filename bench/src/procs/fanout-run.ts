import type { GatewayProc } from './gateway-proc.ts';
import { submitJob } from './jobs.ts';
import type { SimProc } from './sim-proc.ts';
import type { SubSpec } from './subscribers.ts';

/** Who subscribes where: REST SSE streams and tRPC WebSockets (each following every job). */
export interface Audience {
  sse: number;
  wsSockets: number;
  /** Gateways the sockets are dealt to, round robin (one for a single process). */
  gateways: GatewayProc[];
  /** Group label per gateway index (for per-instance results). */
  label: (kind: 'sse' | 'ws', gatewayIndex: number) => string;
}

/** SSE subscribers spread over the jobs; every WebSocket subscribes to every job (a dashboard). */
export function audienceSpecs(a: Audience, jobs: string[]): SubSpec[] {
  const n = a.gateways.length;
  const spec = (kind: 'sse' | 'ws', i: number, promptIds: string[]): SubSpec => ({
    kind,
    base: a.gateways[i % n]?.url ?? '',
    group: a.label(kind, i % n),
    promptIds,
  });
  const sse = Array.from({ length: a.sse }, (_, i) => spec('sse', i, [jobs[i % jobs.length] ?? '']));
  const ws = Array.from({ length: a.wsSockets }, (_, i) => spec('ws', i, jobs));
  // Interleaved, so each subscriber process and each connect wave gets both kinds.
  const out: SubSpec[] = [];
  const every = Math.max(1, Math.round(sse.length / Math.max(1, ws.length)));
  let w = 0;
  sse.forEach((s, i) => {
    out.push(s);
    const next = ws[w];
    if (i % every === every - 1 && next) {
      out.push(next);
      w++;
    }
  });
  return out.concat(ws.slice(w));
}

/**
 * Jobs that wait behind blockers: the blockers hold the simulator's serial queue while the
 * subscribers connect, then `release` cancels them and the measured jobs run.
 */
export async function queueBehindBlockers(
  gw: GatewayProc,
  opts: { blockers: number; jobs: number; steps: number },
): Promise<{ jobs: string[]; release: () => Promise<void> }> {
  const blockers: string[] = [];
  for (let i = 0; i < opts.blockers; i++) blockers.push(await submitJob(gw, 150, { seed: 9000 + i }));
  const jobs: string[] = [];
  for (let i = 0; i < opts.jobs; i++) jobs.push(await submitJob(gw, opts.steps, { seed: 1 + i }));
  return {
    jobs,
    async release() {
      for (const b of [...blockers].reverse()) await cancelJob(gw, b);
    },
  };
}

/** Simulator CPU and socket counts around a run. */
export async function simSockets(sims: SimProc[]): Promise<{ open: number; total: number }> {
  const s = await Promise.all(sims.map((x) => x.stats()));
  return { open: s.reduce((a, x) => a + x.ws, 0), total: s.reduce((a, x) => a + x.wsTotal, 0) };
}

/**
 * Cancels a job as a client would: a 503 (a shared service briefly unavailable) or a connection
 * that failed (a gateway too busy to accept in time) is retried for up to a minute.
 */
async function cancelJob(gw: GatewayProc, promptId: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    let retryS = 1;
    let why: string;
    try {
      const res = await fetch(`${gw.url}/api/comfy/cancel/${promptId}`, { method: 'POST', headers: gw.auth });
      const text = await res.text();
      if (res.ok) return;
      why = `${res.status} ${text.slice(0, 200)}`;
      if (res.status !== 503) throw new Error(`cancel ${promptId}: ${why}`);
      retryS = Number(res.headers.get('retry-after') ?? 2);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('cancel ')) throw err;
      const cause = err instanceof Error ? (err.cause as Error | undefined) : undefined;
      why = `${err instanceof Error ? err.message : String(err)}${cause ? ` (${cause.message})` : ''}`;
    }
    if (Date.now() > deadline) throw new Error(`cancel ${promptId}: ${why}`);
    process.stdout.write(`  cancel ${promptId}: ${why}; retrying\n`);
    await new Promise((r) => setTimeout(r, 1000 * retryS));
  }
}
