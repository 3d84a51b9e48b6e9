import { request } from 'node:http';
import type { RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { createHttpServer } from '../src/server.ts';

/** A server on port 0 over one listener; `settled()` waits until every response so far has closed. */
export interface Served extends AsyncDisposable {
  url: string;
  settled(): Promise<void>;
}

export async function serve(listener: RequestListener): Promise<Served> {
  const server = createHttpServer(listener);
  const closes: Promise<void>[] = [];
  // Request metrics are recorded on the response's `close`, which may follow the client's read.
  server.on('request', (_req, res) => closes.push(new Promise((r) => res.once('close', () => r()))));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    settled: async () => void (await Promise.all(closes)),
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** What a response is, minus what differs per request (Date, the generated request id). */
export interface Answer {
  status: number;
  body: string;
  headers: Record<string, string>;
  requestId: string | null;
}

/** One request over `node:http` (a GET may carry a body, and no header is added but Host). */
export function requestAnswer(
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // Node sends no length for a GET body by itself.
    const length = init.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(init.body)) };
    const req = request(url, { method: init.method, headers: { ...init.headers, ...length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers))
          if (k !== 'date' && k !== 'x-request-id' && v !== undefined) headers[k] = String(v);
        const id = res.headers['x-request-id'];
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          headers,
          requestId: typeof id === 'string' ? id : null,
        });
      });
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** A debug logger whose lines land in `lines` (parsed), for comparing what both paths log. */
export function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: 'debug', base: { service: 'comfy-gateway' } }, sink), lines };
}

/** The `_count` of each label set of the request histogram. */
export async function requestCounts(metrics: {
  httpDuration: { get(): Promise<{ values: { metricName?: string; labels: object; value: number }[] }> };
}): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const v of (await metrics.httpDuration.get()).values)
    if (v.metricName?.endsWith('_count')) out.set(JSON.stringify(v.labels), v.value);
  return out;
}

/** Label sets whose count grew from `before` to `after`, with the growth. */
export function countsAdded(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of after) if (v !== (before.get(k) ?? 0)) out[k] = v - (before.get(k) ?? 0);
  return out;
}
