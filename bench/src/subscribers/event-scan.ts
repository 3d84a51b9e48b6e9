/**
 * Reads the few facts the fan-out bench checks straight from an event's JSON bytes, without
 * decoding or parsing the whole event: which prompt it is for and the sampler step it carries.
 */
import { cachedString } from './string-cache.ts';

/** What one event says, filled in place (one object per connection, no allocation per event). */
export interface EventFacts {
  /** Event type (`status`, `done`, ...); `message` when none was given. */
  type: string;
  /** The event id as a number; NaN when the event had none or it was not an integer. */
  id: number;
  /** `snapshot.progress` was present. */
  progress: boolean;
  node: string;
  value: number;
  max: number;
  /** `snapshot.prompt_id` was present and differed from the prompt subscribed to. */
  otherPrompt: boolean;
}

export const newFacts = (): EventFacts => ({
  type: 'message',
  id: NaN,
  progress: false,
  node: '',
  value: 0,
  max: 0,
  otherPrompt: false,
});

/** Back to "nothing seen" before the next event. */
export function resetFacts(f: EventFacts): void {
  f.type = 'message';
  f.id = NaN;
  f.progress = false;
  f.node = '';
  f.value = 0;
  f.max = 0;
  f.otherPrompt = false;
}

const PROMPT = Buffer.from('"prompt_id":"');
const PROGRESS = Buffer.from('"progress":{');
const VALUE = Buffer.from('value');
const MAX = Buffer.from('max');
const NODE = Buffer.from('node');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const CLOSE = 0x7d;
const NULL_N = 0x6e;

/** Index of `pattern` in `buf[from, to)`, or -1. */
export function find(buf: Buffer, pattern: Buffer, from: number, to: number): number {
  const i = buf.indexOf(pattern, from);
  return i >= 0 && i + pattern.length <= to ? i : -1;
}

/** The (optionally negative) integer at `buf[i]`; NaN when there is no digit. */
export function intAt(buf: Buffer, i: number, to: number): number {
  let neg = false;
  if (i < to && buf[i] === 0x2d) {
    neg = true;
    i++;
  }
  let n = 0;
  let digits = 0;
  for (; i < to; i++, digits++) {
    const c = (buf[i] ?? 0) - 0x30;
    if (c < 0 || c > 9) break;
    n = n * 10 + c;
  }
  return digits === 0 ? NaN : neg ? -n : n;
}

/** `buf[from, to)` as a non-negative integer when it is only digits, else NaN (no comparable id). */
export function wholeInt(buf: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = (buf[i] ?? 0) - 0x30;
    if (c < 0 || c > 9) return NaN;
    n = n * 10 + c;
  }
  return to > from ? n : NaN;
}

/** Index of the quote that closes the JSON string opened at `buf[i]`, or -1. */
function stringEnd(buf: Buffer, i: number, to: number): number {
  for (let j = i + 1; j < to; j++) {
    const c = buf[j];
    if (c === BACKSLASH) j++;
    else if (c === QUOTE) return j;
  }
  return -1;
}

/** The JSON string whose opening quote is at `buf[i]` (escapes decoded); null when it is not one. */
export function stringAt(buf: Buffer, i: number, to: number): string | null {
  if (buf[i] !== QUOTE) return null;
  let escaped = false;
  for (let j = i + 1; j < to; j++) {
    const c = buf[j];
    if (c === BACKSLASH) {
      escaped = true;
      j++;
    } else if (c === QUOTE)
      // Escapes are rare in ids and types: JSON decodes those.
      return escaped ? (JSON.parse(buf.toString('utf8', i, j + 1)) as string) : cachedString(buf, i + 1, j);
  }
  return null;
}

/** True when `buf[i]` starts `expected` followed by a closing quote. */
function sameString(buf: Buffer, i: number, to: number, expected: Buffer): boolean {
  if (i + expected.length >= to || buf[i + expected.length] !== QUOTE) return false;
  for (let k = 0; k < expected.length; k++) if (buf[i + k] !== expected[k]) return false;
  return true;
}

function isKey(buf: Buffer, from: number, to: number, key: Buffer): boolean {
  if (to - from !== key.length) return false;
  for (let k = 0; k < key.length; k++) if (buf[from + k] !== key[k]) return false;
  return true;
}

/**
 * Reads `snapshot.prompt_id` (compared with `prompt`) and `snapshot.progress` from an event's JSON
 * in `buf[from, to)` into `out` (the caller resets `out` per event).
 */
export function scanEventJson(buf: Buffer, from: number, to: number, prompt: Buffer, out: EventFacts): void {
  const p = find(buf, PROMPT, from, to);
  if (p >= 0 && !sameString(buf, p + PROMPT.length, to, prompt)) out.otherPrompt = true;
  const g = find(buf, PROGRESS, p >= 0 ? p : from, to);
  if (g >= 0) readProgress(buf, g + PROGRESS.length, to, out);
}

/**
 * The flat `progress` object (numbers, one string or null, no nesting) from just after its `{`:
 * one pass over its members, `value`, `max` and `node` kept.
 */
function readProgress(buf: Buffer, i: number, to: number, out: EventFacts): void {
  let value = NaN;
  let max = NaN;
  let node = '';
  while (i < to) {
    const c = buf[i];
    if (c === CLOSE) break;
    if (c === COMMA) {
      i++;
      continue;
    }
    const keyEnd = c === QUOTE ? stringEnd(buf, i, to) : -1;
    if (keyEnd < 0 || buf[keyEnd + 1] !== COLON) return;
    const k = i + 1;
    i = keyEnd + 2;
    if (buf[i] === QUOTE) {
      const end = stringEnd(buf, i, to);
      if (end < 0) return;
      if (isKey(buf, k, keyEnd, NODE)) node = stringAt(buf, i, to) ?? '';
      i = end + 1;
      continue;
    }
    const start = i;
    while (i < to && buf[i] !== COMMA && buf[i] !== CLOSE) i++;
    if (buf[start] === NULL_N) continue;
    if (isKey(buf, k, keyEnd, VALUE)) value = intAt(buf, start, i);
    else if (isKey(buf, k, keyEnd, MAX)) max = intAt(buf, start, i);
  }
  if (Number.isNaN(value) || Number.isNaN(max)) return;
  out.progress = true;
  out.value = value;
  out.max = max;
  out.node = node;
}
