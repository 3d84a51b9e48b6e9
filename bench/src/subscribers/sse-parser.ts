import type { EventFacts } from './event-scan.ts';
import { newFacts, resetFacts, scanEventJson, wholeInt } from './event-scan.ts';
import { cachedString } from './string-cache.ts';

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
const EVENT = Buffer.from('event');
const ID = Buffer.from('id');
const DATA = Buffer.from('data');

/**
 * The `text/event-stream` body, incrementally: `event:`, `id:` and `data:` lines (the data scanned
 * in place, see event-scan.ts); comments and other fields skipped. Calls `onEvent` at each blank
 * line that ends an event with data; the facts object is reused for the next event.
 */
export class SseParser {
  readonly #facts = newFacts();
  /** A line split across reads. */
  #carry: Buffer | null = null;
  #hasData = false;

  /** `prompt`: the prompt subscribed to, to flag events carrying another one. */
  constructor(
    private readonly prompt: Buffer,
    private readonly onEvent: (facts: EventFacts) => void,
  ) {}

  readonly feed = (buf: Buffer, from: number, to: number): void => {
    let i = from;
    while (i < to) {
      const nl = lineEnd(buf, i, to);
      if (nl < 0) {
        this.#carry = this.#carry
          ? Buffer.concat([this.#carry, buf.subarray(i, to)])
          : Buffer.from(buf.subarray(i, to));
        return;
      }
      if (this.#carry) {
        const line = Buffer.concat([this.#carry, buf.subarray(i, nl)]);
        this.#carry = null;
        this.#line(line, 0, line.length);
      } else this.#line(buf, i, nl);
      i = nl + 1;
    }
  };

  #line(buf: Buffer, from: number, to: number): void {
    if (to > from && buf[to - 1] === CR) to--;
    if (from === to) return this.#dispatch();
    if (buf[from] === COLON) return; // a comment
    // The fields read here have short names: no search past the first few bytes.
    let colon = from;
    while (colon < to && colon - from < 8 && buf[colon] !== COLON) colon++;
    if (colon < to && buf[colon] !== COLON) return;
    let v = colon + 1;
    if (v < to && buf[v] === SPACE) v++;
    const f = this.#facts;
    if (isName(buf, from, colon, DATA)) {
      this.#hasData = true;
      scanEventJson(buf, Math.min(v, to), to, this.prompt, f);
    } else if (isName(buf, from, colon, EVENT)) f.type = cachedString(buf, Math.min(v, to), to);
    else if (isName(buf, from, colon, ID)) {
      f.id = wholeInt(buf, v, to);
    }
  }

  #dispatch(): void {
    const f = this.#facts;
    if (this.#hasData) this.onEvent(f);
    this.#hasData = false;
    resetFacts(f);
  }
}

/** Index of the next LF in `buf[i, to)`, or -1: short lines scanned here, long ones natively. */
function lineEnd(buf: Buffer, i: number, to: number): number {
  const near = Math.min(to, i + 32);
  for (let j = i; j < near; j++) if (buf[j] === LF) return j;
  if (near === to) return -1;
  const nl = buf.indexOf(LF, near);
  return nl >= 0 && nl < to ? nl : -1;
}

function isName(buf: Buffer, from: number, to: number, name: Buffer): boolean {
  if (to - from !== name.length) return false;
  for (let k = 0; k < name.length; k++) if (buf[from + k] !== name[k]) return false;
  return true;
}
