import { randomBytes } from 'node:crypto';

export const OP_TEXT = 0x1;
export const OP_BINARY = 0x2;
export const OP_CLOSE = 0x8;
export const OP_PING = 0x9;
export const OP_PONG = 0xa;

/** A whole message (fragments joined) or a control frame: `buf[from, to)`, valid during the call. */
export type MessageSink = (opcode: number, buf: Buffer, from: number, to: number) => void;

/**
 * Server-to-client WebSocket frames (RFC 6455, unmasked), incrementally. A message in one read is
 * handed over in place; only a frame split across reads and fragmented messages are copied.
 */
export class WsFrameDecoder {
  /** The start of a frame that did not fit the last read. */
  #carry: Buffer | null = null;
  #fragments: Buffer[] | null = null;
  #fragmentOpcode = 0;

  constructor(private readonly onMessage: MessageSink) {}

  /** Takes `bytes[from, to)`, valid during the call only. */
  feed(bytes: Buffer, from: number, to: number): void {
    let buf = bytes;
    let i = from;
    if (this.#carry) {
      buf = Buffer.concat([this.#carry, bytes.subarray(from, to)]);
      i = 0;
      to = buf.length;
    }
    this.#carry = null;
    while (to - i >= 2) {
      const b0 = buf[i] ?? 0;
      const b1 = buf[i + 1] ?? 0;
      if (b1 & 0x80) throw new Error('WebSocket: the server sent a masked frame');
      if (b0 & 0x70) throw new Error('WebSocket: reserved bits set (no extension was negotiated)');
      let len = b1 & 0x7f;
      let head = 2;
      if (len === 126) {
        if (to - i < 4) break;
        len = buf.readUInt16BE(i + 2);
        head = 4;
      } else if (len === 127) {
        if (to - i < 10) break;
        len = buf.readUInt32BE(i + 2) * 2 ** 32 + buf.readUInt32BE(i + 6);
        head = 10;
      }
      if (to - i < head + len) break;
      const start = i + head;
      i = start + len;
      this.#frame((b0 & 0x80) !== 0, b0 & 0x0f, buf, start, i);
    }
    if (i < to) this.#carry = Buffer.from(buf.subarray(i, to));
  }

  #frame(fin: boolean, opcode: number, buf: Buffer, from: number, to: number): void {
    if (opcode >= 0x8) return this.onMessage(opcode, buf, from, to); // control frames are never fragmented
    if (opcode === 0 && !this.#fragments) throw new Error('WebSocket: continuation without a first fragment');
    if (opcode !== 0 && this.#fragments) throw new Error('WebSocket: new message inside a fragmented one');
    if (fin && !this.#fragments) return this.onMessage(opcode, buf, from, to);
    if (!this.#fragments) {
      this.#fragments = [];
      this.#fragmentOpcode = opcode;
    }
    this.#fragments.push(Buffer.from(buf.subarray(from, to)));
    if (!fin) return;
    const whole = Buffer.concat(this.#fragments);
    this.#fragments = null;
    this.onMessage(this.#fragmentOpcode, whole, 0, whole.length);
  }
}

/** A client-to-server frame: FIN set, masked as RFC 6455 requires of clients. */
export function maskedFrame(opcode: number, payload: Buffer | string): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const len = data.length;
  const head = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(head + 4 + len);
  out[0] = 0x80 | opcode;
  if (head === 2) out[1] = 0x80 | len;
  else if (head === 4) {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = 0x80 | 127;
    out.writeUInt32BE(Math.floor(len / 2 ** 32), 2);
    out.writeUInt32BE(len >>> 0, 6);
  }
  const mask = randomBytes(4);
  mask.copy(out, head);
  for (let k = 0; k < len; k++) out[head + 4 + k] = (data[k] ?? 0) ^ (mask[k & 3] ?? 0);
  return out;
}
