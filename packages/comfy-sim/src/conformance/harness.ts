import WebSocket from 'ws';
import type { ComfySim } from '../types.ts';

export type Frame =
  { kind: 'text'; type: string; data: Record<string, unknown> } | { kind: 'binary'; buf: Buffer };

/** A real `ws` client that records every frame in arrival order. */
export interface TestClient {
  ws: WebSocket;
  frames: Frame[];
  /** Resolves with the first frame (at or after `from`) matching `pred`. */
  waitFor(pred: (f: Frame) => boolean, from?: number, timeoutMs?: number): Promise<Frame>;
  /** Frames from `from` up to and including `executing {node: null, prompt_id}`. */
  runFrames(promptId: string, from: number): Promise<Frame[]>;
  close(): Promise<void>;
}

export async function connect(
  sim: ComfySim,
  clientId?: string,
  opts: { featureFlags?: boolean; path?: string } = {},
): Promise<TestClient> {
  const qs = clientId === undefined ? '' : `?clientId=${encodeURIComponent(clientId)}`;
  const ws = new WebSocket(`${sim.url.replace('http', 'ws')}${opts.path ?? '/ws'}${qs}`);
  const frames: Frame[] = [];
  const listeners = new Set<() => void>();
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) frames.push({ kind: 'binary', buf: Buffer.from(data) });
    else {
      const m = JSON.parse(data.toString()) as { type: string; data: Record<string, unknown> };
      frames.push({ kind: 'text', type: m.type, data: m.data });
    }
    for (const l of listeners) l();
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  if (opts.featureFlags)
    ws.send(JSON.stringify({ type: 'feature_flags', data: { supports_preview_metadata: true } }));
  const waitFor = (pred: (f: Frame) => boolean, from = 0, timeoutMs = 10000) =>
    new Promise<Frame>((resolve, reject) => {
      const check = () => {
        const hit = frames.slice(from).find(pred);
        if (!hit) return false;
        listeners.delete(check);
        clearTimeout(timer);
        resolve(hit);
        return true;
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(
          new Error(`timed out waiting for a frame; got ${frames.slice(from).map(summarize).join(' | ')}`),
        );
      }, timeoutMs);
      if (!check()) listeners.add(check);
    });
  return {
    ws,
    frames,
    waitFor,
    runFrames: async (promptId, from) => {
      const end = await waitFor(
        (f) => isText(f, 'executing') && f.data['node'] === null && f.data['prompt_id'] === promptId,
        from,
      );
      return frames.slice(from, frames.indexOf(end) + 1);
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (ws.readyState === ws.CLOSED) return resolve();
        ws.once('close', () => resolve());
        ws.close();
      }),
  };
}

export const isText = (f: Frame, type: string): f is Extract<Frame, { kind: 'text' }> =>
  f.kind === 'text' && f.type === type;

const text = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** One short line per frame, the notation used by fixtures.ts. */
export function summarize(f: Frame): string {
  if (f.kind === 'binary') return `bin${f.buf.readUInt32BE(0)}`;
  const d = f.data;
  switch (f.type) {
    case 'status': {
      const q = (d['status'] as { exec_info: { queue_remaining: number } }).exec_info.queue_remaining;
      return d['sid'] === undefined ? `status q=${q}` : `status q=${q} sid=${text(d['sid'])}`;
    }
    case 'execution_cached':
      return `execution_cached [${(d['nodes'] as string[]).join(',')}]`;
    case 'progress_state': {
      const nodes = d['nodes'] as Record<string, { value: number; max: number; state: string }>;
      const parts = Object.entries(nodes).map(
        ([id, s]) => `${id}:${s.state}${s.max !== 1 ? `(${s.value}/${s.max})` : ''}`,
      );
      return `ps ${parts.join(' ')}`;
    }
    case 'executing':
      return `executing ${text(d['node'])}`;
    case 'executed': {
      const images = ((d['output'] as { images?: { filename: string }[] } | null)?.images ?? []).map(
        (i) => i.filename,
      );
      return `executed ${String(d['node'])} ${images.join(',')}`;
    }
    case 'progress':
      return `progress ${String(d['value'])}/${String(d['max'])} ${String(d['node'])}`;
    case 'execution_error':
      return `execution_error ${String(d['node_id'])} ${String(d['node_type'])}`;
    case 'execution_interrupted':
      return `execution_interrupted ${String(d['node_id'])} ${String(d['node_type'])}`;
    default:
      return f.type;
  }
}

export async function postJson(
  sim: ComfySim,
  path: string,
  body: unknown,
): Promise<{ status: number; json: unknown; text: string }> {
  const res = await fetch(`${sim.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, json, text };
}

export async function getJson<T = unknown>(sim: ComfySim, path: string): Promise<T> {
  const res = await fetch(`${sim.url}${path}`);
  return (await res.json()) as T;
}

/** POSTs a prompt that must be accepted; returns its id. */
export async function queue(
  sim: ComfySim,
  prompt: unknown,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const r = await postJson(sim, '/prompt', { prompt, ...extra });
  if (r.status !== 200) throw new Error(`prompt rejected: ${r.text}`);
  return (r.json as { prompt_id: string }).prompt_id;
}

/** Waits until /history/{id} has the entry (for runs without a listening client). */
export async function waitForHistory(
  sim: ComfySim,
  id: string,
  timeoutMs = 10000,
): Promise<Record<string, unknown>> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const h = await getJson<Record<string, Record<string, unknown>>>(sim, `/history/${id}`);
    const entry = h[id];
    if (entry) return entry;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no history for ${id}`);
}
