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
/** From after `"type":"` of the result to the tracked event: `data","data":{`. */
const DATA_TO_JSON = 'data","data":{'.length;

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
  if (Number.isNaN(sub)) return false;
  const r = digitsEnd(buf, from + HEAD.length, to);
  if (!startsWith(buf, r, to, RESULT_TYPE)) return false;
  const kind = stringAt(buf, r + RESULT_TYPE.length - 1, to);
  out.sub = sub;
  out.error = '';
  if (kind === 'started' || kind === 'stopped') {
    out.kind = kind;
    return true;
  }
  if (kind !== 'data') return false;
  // Where the encoder puts them, checked in place; searched for otherwise.
  const expectT = r + RESULT_TYPE.length + DATA_TO_JSON;
  const t = startsWith(buf, expectT, to, TRACKED) ? expectT : find(buf, TRACKED, r, to);
  if (t < 0) return false;
  const idEnd = digitsEnd(buf, t + TRACKED.length, to);
  const e = startsWith(buf, idEnd + 2, to, EVENT_TYPE) ? idEnd + 2 : find(buf, EVENT_TYPE, idEnd, to);
  if (e < 0 || buf[idEnd] !== 0x22) return false;
  const type = stringAt(buf, e + EVENT_TYPE.length, to);
  if (type === null) return false;
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

/** Index of the first non-digit at or after `i`. */
function digitsEnd(buf: Buffer, i: number, to: number): number {
  while (i < to && (buf[i] ?? 0) >= 0x30 && (buf[i] ?? 0) <= 0x39) i++;
  return i;
}

function startsWith(buf: Buffer, from: number, to: number, head: Buffer): boolean {
  if (from < 0 || to - from < head.length) return false;
  for (let k = 0; k < head.length; k++) if (buf[from + k] !== head[k]) return false;
  return true;
}
