/**
 * Subscribers for the fan-out benchmark, in their own process so the gateway's memory is its own.
 * Each subscriber is one HTTP connection (no pooling) reading an SSE stream: the REST
 * `/api/comfy/stream/:id` or the tRPC `comfy.onStatus` subscription over SSE.
 */
import http from 'node:http';

export interface Sub {
  promptId: string;
  kind: 'rest' | 'trpc';
}
export interface ConnectReq {
  base: string;
  token: string;
  subs: Sub[];
}
export interface CollectResult {
  /** Per arrival: subscriber index, prompt index, event id, arrival epoch ms (high resolution). */
  arrivals: [number, string, string, number][];
  ended: number;
  failed: number;
  errors: string[];
}

const now = () => performance.timeOrigin + performance.now();
const arrivals: CollectResult['arrivals'] = [];
const errors: string[] = [];
let ended = 0;
let failed = 0;
let total = 0;
let endWaiters: (() => void)[] = [];

function open(base: string, token: string, sub: Sub, index: number): Promise<void> {
  const input = encodeURIComponent(JSON.stringify({ json: { prompt_id: sub.promptId } }));
  const path =
    sub.kind === 'rest' ? `/api/comfy/stream/${sub.promptId}` : `/trpc/comfy.onStatus?input=${input}`;
  const url = new URL(path, base);
  return new Promise((resolve) => {
    let settled = false;
    const settle = () => {
      if (!settled) {
        settled = true;
        resolve();
      }
    };
    const done = (ok: boolean, why?: string) => {
      if (!ok) {
        failed++;
        if (why && errors.length < 10) errors.push(why);
      }
      ended++;
      settle();
      if (ended >= total) for (const w of endWaiters.splice(0)) w();
    };
    const req = http.get(
      url,
      { agent: false, headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          done(false, `HTTP ${res.statusCode}`);
          return;
        }
        res.setEncoding('utf8');
        let buf = '';
        let finished = false;
        res.on('data', (chunk: string) => {
          const t = now();
          settle(); // the first bytes (": connected" / tRPC "connected") mean the subscription is live
          buf += chunk;
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const idLine = block.split('\n').find((l) => l.startsWith('id:'));
            if (idLine) arrivals.push([index, sub.promptId, idLine.slice(3).trim(), t]);
            if (block.includes('"type":"done"')) finished = true;
          }
        });
        res.on('end', () => done(finished, finished ? undefined : 'ended before done'));
        res.on('error', (e) => done(false, e.message));
      },
    );
    req.on('error', (e) => done(false, e.message));
  });
}

process.on('message', (m: { id: number; kind: string; req: ConnectReq | { timeoutMs: number } }) => {
  if (m.kind === 'connect') {
    const r = m.req as ConnectReq;
    total = r.subs.length;
    // Open in waves so the accept queue is not flooded.
    void (async () => {
      for (let i = 0; i < r.subs.length; i += 100) {
        await Promise.all(r.subs.slice(i, i + 100).map((s, j) => open(r.base, r.token, s, i + j)));
      }
      process.send?.({ id: m.id, result: { connected: total - failed } });
    })();
  } else if (m.kind === 'collect') {
    const { timeoutMs } = m.req as { timeoutMs: number };
    const finish = () => {
      const result: CollectResult = { arrivals, ended, failed, errors };
      process.send?.({ id: m.id, result });
    };
    if (ended >= total) return finish();
    const timer = setTimeout(finish, timeoutMs);
    endWaiters.push(() => {
      clearTimeout(timer);
      finish();
    });
  } else if (m.kind === 'memory') {
    process.send?.({ id: m.id, result: process.memoryUsage() });
  }
});
endWaiters = [];
process.send?.({ ready: true });
