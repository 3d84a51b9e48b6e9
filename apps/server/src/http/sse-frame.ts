import type { ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';

const CRLF = 0x0d0a;

/**
 * One SSE frame, UTF-8 encoded once and laid out as an HTTP/1.1 chunk (size line, bytes, CRLF):
 * a chunked response writes `chunk` to its socket as it is, so an event fanned out to thousands of
 * streams is encoded and framed once, not once per stream (see `sseSinkOf`).
 */
export class SseFrame {
  readonly chunk: Buffer;
  readonly #bodyStart: number;

  constructor(text: string) {
    const size = Buffer.byteLength(text);
    const head = `${size.toString(16)}\r\n`;
    this.#bodyStart = head.length;
    this.chunk = Buffer.allocUnsafe(head.length + size + 2);
    this.chunk.write(head, 0, 'latin1');
    this.chunk.write(text, head.length, 'utf8');
    this.chunk.writeUInt16BE(CRLF, head.length + size);
  }

  /** The frame's own bytes, for a response that frames its writes itself. */
  get body(): Buffer {
    return this.chunk.subarray(this.#bodyStart, this.chunk.length - 2);
  }

  get byteLength(): number {
    return this.chunk.length - this.#bodyStart - 2;
  }
}

/** Where an SSE writer puts its frames: a response's socket, or a stand-in in tests. */
export interface SseSink {
  /** False once past the sink's buffer limit (`drain` follows). */
  write(frame: SseFrame): boolean;
  end(): void;
  /** Between these, writes are held and then go to the kernel together (one syscall). */
  cork(): void;
  uncork(): void;
  once(event: 'drain', fn: () => void): unknown;
  readonly destroyed: boolean;
  /** Bytes written but not yet handed to the kernel. */
  readonly writableLength: number;
}

/**
 * The sink of an SSE response whose headers are sent. A chunked HTTP/1.1 response on its socket
 * (every SSE stream in practice) gets each frame's ready-made chunk written straight to the
 * socket: one buffer and one syscall per frame instead of four writes through `res.write`;
 * `res.end()` still writes the closing chunk. Anything else (HTTP/1.0, a queued pipelined
 * response) writes the frame's bytes through the response.
 */
export function sseSinkOf(res: ServerResponse): SseSink {
  const socket = res.socket;
  const chunked = (res as { chunkedEncoding?: boolean }).chunkedEncoding === true;
  return socket && chunked && res.headersSent
    ? new FrameSink(res, socket, true)
    : new FrameSink(res, res, false);
}

/** Where a frame's bytes go: the socket itself (ready-made chunks) or the response. */
type FrameTarget = Pick<Writable, 'write' | 'cork' | 'uncork' | 'once' | 'destroyed' | 'writableLength'>;

/** A class, not closures: one sink lives per open stream. */
class FrameSink implements SseSink {
  readonly #res: ServerResponse;
  readonly #out: FrameTarget;
  readonly #chunks: boolean;
  constructor(res: ServerResponse, out: FrameTarget, chunks: boolean) {
    this.#res = res;
    this.#out = out;
    this.#chunks = chunks;
  }
  write(frame: SseFrame): boolean {
    return this.#out.write(this.#chunks ? frame.chunk : frame.body);
  }
  end(): void {
    this.#res.end();
  }
  cork(): void {
    this.#out.cork();
  }
  uncork(): void {
    this.#out.uncork();
  }
  once(event: 'drain', fn: () => void): void {
    this.#out.once(event, fn);
  }
  get destroyed(): boolean {
    return this.#out.destroyed || this.#res.destroyed;
  }
  get writableLength(): number {
    return this.#out.writableLength;
  }
}
