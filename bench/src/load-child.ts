/**
 * The load generator process: runs autocannon (and plain streaming transfers) on request from
 * the parent over IPC, so the client's CPU is not the gateway's event loop.
 */
import { createHash } from 'node:crypto';
import autocannon from 'autocannon';
import { serveIpc } from './procs/ipc.ts';
import { procStats } from './procs/proc-stats.ts';

export interface LoadRequest {
  url: string;
  connections: number;
  durationSec: number;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Requests before measuring (connections are warmed up, JIT settled). */
  warmupSec?: number;
}

export interface LoadResult {
  requests: number;
  errors: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  durationSec: number;
  rps: number;
  p50: number;
  p99: number;
  mean: number;
  bytesPerSec: number;
  /** Requests answered during the warm-up (CPU samples taken around the call include them). */
  warmupRequests: number;
}

export interface TransferRequest {
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** For POST: a multipart form with this file (bytes are read from `filePath`). */
  filePath?: string;
  fileField?: string;
  fields?: Record<string, string>;
}

export interface TransferResult {
  status: number;
  bytes: number;
  ms: number;
  body?: string;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? NaN;
}

function cannon(req: LoadRequest, durationSec: number, record: number[] | null): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const inst = autocannon(
      {
        url: req.url,
        connections: req.connections,
        duration: durationSec,
        method: req.method ?? 'GET',
        headers: req.headers ?? {},
        ...(req.body !== undefined ? { body: req.body } : {}),
      },
      (err: unknown, result: autocannon.Result) =>
        err ? reject(err instanceof Error ? err : new Error(JSON.stringify(err))) : resolve(result),
    );
    // autocannon's own histogram is integer milliseconds; its per-response event carries the
    // float duration (hrtime), which the sub-millisecond comparison needs.
    if (record)
      inst.on(
        'response',
        (_client: unknown, _status: number, _bytes: number, ms: number) => void record.push(ms),
      );
  });
}

async function load(req: LoadRequest): Promise<LoadResult> {
  const warm = (req.warmupSec ?? 1) > 0 ? await cannon(req, req.warmupSec ?? 1, null) : null;
  const times: number[] = [];
  const r = await cannon(req, req.durationSec, times);
  times.sort((a, b) => a - b);
  const statusCodes: Record<string, number> = {};
  const codes = r.statusCodeStats as Record<string, { count: number }> | undefined;
  for (const [code, v] of Object.entries(codes ?? {})) statusCodes[code] = v.count;
  const total = r.requests.total;
  return {
    requests: total,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    statusCodes,
    durationSec: r.duration,
    rps: total / r.duration,
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    mean: times.reduce((a, b) => a + b, 0) / Math.max(1, times.length),
    bytesPerSec: r.throughput.total / r.duration,
    warmupRequests: warm?.requests.total ?? 0,
  };
}

/** Several targets at once (one autocannon each, connections split): round robin over instances. */
async function loadMany(reqs: LoadRequest[]): Promise<LoadResult> {
  const parts = await Promise.all(reqs.map(load));
  const sum = (f: (r: LoadResult) => number) => parts.reduce((a, r) => a + f(r), 0);
  const total = sum((r) => r.requests);
  const weighted = (f: (r: LoadResult) => number) => sum((r) => f(r) * r.requests) / Math.max(1, total);
  const statusCodes: Record<string, number> = {};
  for (const p of parts)
    for (const [k, v] of Object.entries(p.statusCodes)) statusCodes[k] = (statusCodes[k] ?? 0) + v;
  return {
    requests: total,
    errors: sum((r) => r.errors),
    non2xx: sum((r) => r.non2xx),
    statusCodes,
    durationSec: Math.max(...parts.map((r) => r.durationSec)),
    rps: sum((r) => r.rps),
    // Percentiles of the parts weighted by their request counts (an approximation of the merged one).
    p50: weighted((r) => r.p50),
    p99: Math.max(...parts.map((r) => r.p99)),
    mean: weighted((r) => r.mean),
    bytesPerSec: sum((r) => r.bytesPerSec),
    warmupRequests: sum((r) => r.warmupRequests),
  };
}

async function transfer(req: TransferRequest): Promise<TransferResult> {
  const { openAsBlob } = await import('node:fs');
  let body: FormData | undefined;
  if (req.method === 'POST' && req.filePath) {
    body = new FormData();
    for (const [k, v] of Object.entries(req.fields ?? {})) body.append(k, v);
    body.append(req.fileField ?? 'file', await openAsBlob(req.filePath, { type: 'image/png' }), 'bench.png');
  }
  const t0 = performance.now();
  const res = await fetch(req.url, {
    method: req.method,
    headers: req.headers ?? {},
    ...(body ? { body } : {}),
  });
  let bytes = 0;
  const hash = createHash('md5');
  let text = '';
  const reader = (res.body as ReadableStream<Uint8Array> | null)?.getReader();
  if (reader) {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      if (req.method === 'POST') text += Buffer.from(value).toString();
      else hash.update(value);
    }
  }
  const ms = performance.now() - t0;
  return {
    status: res.status,
    bytes,
    ms,
    ...(req.method === 'POST' ? { body: text.slice(0, 500) } : { body: hash.digest('hex') }),
  };
}

serveIpc({
  load: (req: LoadRequest) => load(req),
  loadMany: (req: LoadRequest[]) => loadMany(req),
  transfer: (req: TransferRequest) => transfer(req),
  stats: (req: { gc?: boolean }) => procStats(req),
});
process.send?.({ ready: true });
