/**
 * Subscribers for the fan-out benches, in their own process: REST SSE streams (one HTTP connection
 * each) and tRPC subscriptions over WebSockets (one socket carries several). Records when each
 * sampler step (a `status` event with progress) arrived, per group of subscribers.
 */
import http from 'node:http';
import WebSocket from 'ws';
import { serveIpc } from './ipc.ts';
import { procStats } from './proc-stats.ts';

export interface SubSpec {
  kind: 'sse' | 'ws';
  base: string;
  /** Label the results are reported under (kind and instance). */
  group: string;
  /** sse: exactly one; ws: one subscription per prompt on the same socket. */
  promptIds: string[];
}

export interface GroupResult {
  /** Subscriptions (an SSE stream or one tRPC subscription). */
  subs: number;
  connections: number;
  done: number;
  failed: number;
  /** Events received (every type). */
  events: number;
  /** Per step key (`prompt|node|value`): arrival epoch ms of each subscription that got it. */
  arrivals: Record<string, number[]>;
  /** Per subscription: how many distinct sampler steps arrived. */
  steps: number[];
}

export interface CollectResult {
  groups: Record<string, GroupResult>;
  errors: string[];
}

const now = () => performance.timeOrigin + performance.now();
const groups: Record<string, GroupResult> = {};
const errors: string[] = [];
let total = 0;
let ended = 0;
let waiters: (() => void)[] = [];

const groupOf = (name: string): GroupResult =>
  (groups[name] ??= { subs: 0, connections: 0, done: 0, failed: 0, events: 0, arrivals: {}, steps: [] });

interface StreamEvent {
  type?: string;
  snapshot?: { prompt_id?: string; progress?: { node: string | null; value: number; max: number } };
}

/** One subscription's bookkeeping: records steps, notes `done`, counts the end once. */
class Subscription {
  readonly seen = new Set<string>();
  finished = false;
  #over = false;
  constructor(readonly g: GroupResult) {
    g.subs++;
  }
  event(e: StreamEvent, t: number): void {
    this.g.events++;
    const p = e.snapshot?.progress;
    if (e.type === 'status' && p && p.max > 1) {
      const key = `${e.snapshot?.prompt_id ?? ''}|${p.node ?? ''}|${p.value}`;
      if (!this.seen.has(key)) {
        this.seen.add(key);
        (this.g.arrivals[key] ??= []).push(t);
      }
    }
    if (e.type === 'done') this.finished = true;
  }
  end(why?: string): void {
    if (this.#over) return;
    this.#over = true;
    this.g.steps.push(this.seen.size);
    if (this.finished) this.g.done++;
    else {
      this.g.failed++;
      if (errors.length < 10) errors.push(why ?? 'ended before done');
    }
    ended++;
    if (ended >= total) for (const w of waiters.splice(0)) w();
  }
}

/** A REST SSE stream; resolves once its first bytes arrived (the subscription is live). */
function openSse(spec: SubSpec, token: string): Promise<void> {
  const g = groupOf(spec.group);
  g.connections++;
  const sub = new Subscription(g);
  const url = new URL(`/api/comfy/stream/${spec.promptIds[0] ?? ''}`, spec.base);
  return new Promise((resolve) => {
    const req = http.get(
      url,
      { agent: false, headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          sub.end(`SSE HTTP ${res.statusCode}`);
          return resolve();
        }
        res.setEncoding('utf8');
        let buf = '';
        res.on('data', (chunk: string) => {
          const t = now();
          resolve();
          buf += chunk;
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const data = block
              .split('\n')
              .filter((l) => l.startsWith('data:'))
              .map((l) => l.slice(5).trimStart())
              .join('\n');
            if (data) sub.event(JSON.parse(data) as StreamEvent, t);
          }
        });
        res.on('end', () => sub.end());
        res.on('error', (e) => sub.end(e.message));
      },
    );
    req.on('error', (e) => {
      sub.end(e.message);
      resolve();
    });
  });
}

interface TrpcMessage {
  id?: number;
  // `tracked(id, event)` arrives as `{ id, data: event }` (superjson: under `json`).
  result?: { type: 'started' | 'data' | 'stopped'; data?: { json?: { id?: string; data?: StreamEvent } } };
  error?: { message?: string };
}

/** One WebSocket to `/trpc` with a `comfy.onStatus` subscription per prompt; resolves when all started. */
function openWs(spec: SubSpec, token: string): Promise<void> {
  const g = groupOf(spec.group);
  g.connections++;
  const subs = new Map(spec.promptIds.map((p, i) => [i + 1, new Subscription(g)]));
  const url = new URL('/trpc', spec.base.replace(/^http/, 'ws'));
  return new Promise((resolve) => {
    let started = 0;
    const ws = new WebSocket(url, {
      headers: { authorization: `Bearer ${token}` },
      perMessageDeflate: false,
    });
    const endAll = (why: string) => {
      for (const s of subs.values()) s.end(why);
      resolve();
    };
    ws.on('open', () => {
      spec.promptIds.forEach((promptId, i) =>
        ws.send(
          JSON.stringify({
            id: i + 1,
            method: 'subscription',
            params: { path: 'comfy.onStatus', input: { json: { prompt_id: promptId } } },
          }),
        ),
      );
    });
    ws.on('message', (raw: Buffer, isBinary: boolean) => {
      const t = now();
      const text = isBinary ? '' : raw.toString();
      if (text === 'PING') return void ws.send('PONG');
      const m = JSON.parse(text) as TrpcMessage;
      const sub = m.id === undefined ? undefined : subs.get(m.id);
      if (!sub) return;
      if (m.error) return sub.end(`tRPC error: ${m.error.message ?? '?'}`);
      if (m.result?.type === 'started' && ++started === subs.size) resolve();
      const ev = m.result?.type === 'data' ? m.result.data?.json?.data : undefined;
      if (ev) sub.event(ev, t);
      if (m.result?.type === 'stopped') sub.end();
      if ([...subs.values()].every((s) => s.finished)) ws.close();
    });
    ws.on('error', (e) => endAll(e.message));
    ws.on('close', (code: number) => endAll(`WebSocket closed before done (code ${code})`));
  });
}

serveIpc({
  connect: async (req: { token: string; specs: SubSpec[] }) => {
    total += req.specs.reduce((n, s) => n + (s.kind === 'sse' ? 1 : s.promptIds.length), 0);
    // Waves, so the gateway's accept queue is not flooded.
    for (let i = 0; i < req.specs.length; i += 100)
      await Promise.all(
        req.specs
          .slice(i, i + 100)
          .map((s) => (s.kind === 'sse' ? openSse(s, req.token) : openWs(s, req.token))),
      );
    return Object.values(groups).reduce((n, g) => n + g.subs - g.failed, 0);
  },
  collect: (req: { timeoutMs: number }) =>
    new Promise<CollectResult>((resolve) => {
      const finish = () => resolve({ groups, errors });
      if (ended >= total) return finish();
      const timer = setTimeout(finish, req.timeoutMs);
      waiters.push(() => {
        clearTimeout(timer);
        finish();
      });
    }),
  stats: (req: { gc?: boolean }) => procStats(req),
});
waiters = [];
process.send?.({ ready: true });
