import type { EventFacts } from './event-scan.ts';
import { find, intAt, resetFacts, scanEventJson, stringAt, wholeInt } from './event-scan.ts';

/** A tRPC WebSocket message, as far as a subscriber needs it. */
export interface TrpcFacts {
  /** The subscription (the request id the client chose); NaN for a message without one. */
  sub: number;
  kind: 'started' | 'data' | 'stopped' | 'error' | 'other';
  /** For `error`: the server's message. */
  error: string;
}

const HEAD = Buffer.from('{"id":');
const RESULT_TYPE = Buffer.from(',"result":{"type":"');
const TRACKED = Buffer.from('"json":{"id":"');
const EVENT_TYPE = Buffer.from('"data":{"type":');

/**
 * Reads `{"id":N,"result":{"type":"data","data":{"json":{"id":"<event id>","data":{"type":...}}}}}`
 * (a `tracked()` event, superjson) and the `started`/`stopped` results in place: the subscription,
 * the kind and, for data, the event's facts (`prompt` is the prompt subscribed to). False when the
 * message has another shape: read it with `readTrpcJson`.
 */
export function scanTrpcMessage(
  buf: Buffer,
  from: number,
  to: number,
  prompt: (sub: number) => Buffer | undefined,
  out: TrpcFacts,
  facts: EventFacts,
): boolean {
  if (!startsWith(buf, from, to, HEAD)) return false;
  const sub = intAt(buf, from + HEAD.length, to);
  const r = find(buf, RESULT_TYPE, from + HEAD.length, Math.min(to, from + HEAD.length + 24));
  if (Number.isNaN(sub) || r < 0) return false;
  const kind = stringAt(buf, r + RESULT_TYPE.length - 1, to);
  out.sub = sub;
  out.error = '';
  if (kind === 'started' || kind === 'stopped') {
    out.kind = kind;
    return true;
  }
  if (kind !== 'data') return false;
  const t = find(buf, TRACKED, r, to);
  const e = t < 0 ? -1 : find(buf, EVENT_TYPE, t, to);
  if (e < 0) return false;
  const idEnd = buf.indexOf(0x22, t + TRACKED.length);
  const type = stringAt(buf, e + EVENT_TYPE.length, to);
  if (idEnd < 0 || idEnd >= e || type === null) return false;
  out.kind = 'data';
  resetFacts(facts);
  facts.id = wholeInt(buf, t + TRACKED.length, idEnd);
  facts.type = type;
  const p = prompt(sub);
  if (p) scanEventJson(buf, e, to, p, facts);
  return true;
}

interface TrpcMessage {
  id?: number | string | null;
  result?: { type?: string; data?: { json?: { id?: string; data?: EventJson } } };
  error?: { message?: string; json?: { message?: string } };
}

interface EventJson {
  type?: string;
  snapshot?: { prompt_id?: string; progress?: { node?: string | null; value?: number; max?: number } };
}

/** Any tRPC message, by `JSON.parse`: the slow path for shapes `scanTrpcMessage` does not read. */
export function readTrpcJson(
  text: string,
  prompt: (sub: number) => Buffer | undefined,
  out: TrpcFacts,
  facts: EventFacts,
): void {
  const m = JSON.parse(text) as TrpcMessage;
  out.sub = typeof m.id === 'number' ? m.id : NaN;
  out.error = '';
  if (m.error) {
    out.kind = 'error';
    out.error = m.error.message ?? m.error.json?.message ?? '?';
    return;
  }
  const kind = m.result?.type;
  out.kind = kind === 'started' || kind === 'stopped' || kind === 'data' ? kind : 'other';
  if (out.kind !== 'data') return;
  const tracked = m.result?.data?.json;
  const ev = tracked?.data;
  resetFacts(facts);
  facts.id = /^\d+$/.test(tracked?.id ?? '') ? Number(tracked?.id) : NaN;
  facts.type = ev?.type ?? 'message';
  const pr = ev?.snapshot?.progress;
  if (pr && typeof pr.value === 'number' && typeof pr.max === 'number') {
    facts.progress = true;
    facts.value = pr.value;
    facts.max = pr.max;
    facts.node = pr.node ?? '';
  }
  const expected = prompt(out.sub);
  const got = ev?.snapshot?.prompt_id;
  if (expected && got !== undefined && got !== expected.toString()) facts.otherPrompt = true;
}

function startsWith(buf: Buffer, from: number, to: number, head: Buffer): boolean {
  if (to - from < head.length) return false;
  for (let k = 0; k < head.length; k++) if (buf[from + k] !== head[k]) return false;
  return true;
}
