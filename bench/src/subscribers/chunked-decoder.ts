/** Receives body bytes `buf[from, to)`; the bytes are only valid during the call. */
export type ByteSink = (buf: Buffer, from: number, to: number) => void;

const CR = 0x0d;
const LF = 0x0a;

/**
 * HTTP/1.1 `Transfer-Encoding: chunked`, incrementally: hands the chunks' data to `sink` as it
 * arrives (no copy) and notes the last chunk. Throws on framing it cannot read.
 */
export class ChunkedDecoder {
  #state: 'size' | 'data' | 'crlf' | 'trailer' | 'done' = 'size';
  /** Data bytes left in the current chunk, or CRLF bytes left after it. */
  #left = 0;
  /** A size or trailer line split across reads. */
  #line: Buffer | null = null;

  constructor(private readonly sink: ByteSink) {}

  /** True once the last (empty) chunk and the trailer section were read. */
  get done(): boolean {
    return this.#state === 'done';
  }

  feed(buf: Buffer, from: number, to: number): void {
    let i = from;
    while (i < to && this.#state !== 'done') {
      if (this.#state === 'data') {
        const n = Math.min(this.#left, to - i);
        this.sink(buf, i, i + n);
        i += n;
        this.#left -= n;
        if (this.#left === 0) {
          this.#state = 'crlf';
          this.#left = 2;
        }
      } else if (this.#state === 'crlf') {
        if (buf[i] !== (this.#left === 2 ? CR : LF)) throw new Error('chunked: no CRLF after a chunk');
        i++;
        if (--this.#left === 0) this.#state = 'size';
      } else {
        let nl = i;
        while (nl < to && buf[nl] !== LF) nl++; // a few bytes: no native search
        if (nl >= to) {
          this.#line = this.#line
            ? Buffer.concat([this.#line, buf.subarray(i, to)])
            : Buffer.from(buf.subarray(i, to));
          return;
        }
        if (this.#line) {
          const line = Buffer.concat([this.#line, buf.subarray(i, nl)]);
          this.#line = null;
          this.#onLine(line, 0, line.length);
        } else this.#onLine(buf, i, nl);
        i = nl + 1;
      }
    }
  }

  #onLine(buf: Buffer, from: number, to: number): void {
    const end = to > from && buf[to - 1] === CR ? to - 1 : to;
    if (this.#state === 'trailer') {
      if (end === from) this.#state = 'done'; // a trailer field otherwise: ignored
      return;
    }
    const size = hexAt(buf, from, end);
    if (Number.isNaN(size))
      throw new Error(
        `chunked: bad chunk size ${JSON.stringify(buf.toString('latin1', from, Math.min(end, from + 20)))}`,
      );
    this.#left = size;
    this.#state = size === 0 ? 'trailer' : 'data';
  }
}

/** The hex number a chunk-size line starts with (extensions after `;` ignored); NaN if none. */
function hexAt(line: Buffer, from: number, end: number): number {
  let n = 0;
  let i = from;
  for (; i < end; i++) {
    const c = line[i] ?? 0;
    const d =
      c >= 0x30 && c <= 0x39
        ? c - 0x30
        : c >= 0x61 && c <= 0x66
          ? c - 0x57
          : c >= 0x41 && c <= 0x46
            ? c - 0x37
            : -1;
    if (d < 0) break;
    n = n * 16 + d;
  }
  const rest = i < end ? line[i] : undefined;
  return i === from || (rest !== undefined && rest !== 0x3b && rest !== 0x20 && rest !== 0x09) ? NaN : n;
}
