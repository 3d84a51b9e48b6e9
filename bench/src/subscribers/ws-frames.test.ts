import { describe, expect, it } from 'vitest';
import { OP_PING, OP_TEXT, WsFrameDecoder, maskedFrame } from './ws-frames.ts';

/** An unmasked server frame. */
function serverFrame(payload: string | Buffer, opcode = OP_TEXT, fin = true): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const len = data.length;
  const head = len < 126 ? Buffer.from([0, len]) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (len >= 126 && len < 65536) {
    head[1] = 126;
    head.writeUInt16BE(len, 2);
  } else if (len >= 65536) {
    head[1] = 127;
    head.writeUInt32BE(0, 2);
    head.writeUInt32BE(len, 6);
  }
  head[0] = (fin ? 0x80 : 0) | opcode;
  return Buffer.concat([head, data]);
}

function decodeAll(bytes: Buffer, cuts: number[] = []) {
  const out: [number, string][] = [];
  const d = new WsFrameDecoder((op, buf, from, to) => out.push([op, buf.toString('utf8', from, to)]));
  let last = 0;
  for (const cut of [...cuts, bytes.length]) {
    const scratch = Buffer.from(bytes.subarray(last, cut));
    d.feed(scratch, 0, scratch.length);
    scratch.fill(0); // the caller's read buffer is reused after the call
    last = cut;
  }
  return out;
}

describe('WsFrameDecoder', () => {
  const big = 'x'.repeat(70_000);
  const mid = `{"id":1,"result":{"type":"data"}}${'y'.repeat(300)}`;
  const stream = Buffer.concat([
    serverFrame('PING'),
    serverFrame(mid),
    serverFrame(big),
    serverFrame('', OP_PING),
  ]);
  const expected: [number, string][] = [
    [OP_TEXT, 'PING'],
    [OP_TEXT, mid],
    [OP_TEXT, big],
    [OP_PING, ''],
  ];

  it('reads 7-bit, 16-bit and 64-bit lengths and control frames', () => {
    expect(decodeAll(stream)).toEqual(expected);
  });

  it('reads the same messages whatever byte the reads split at', () => {
    for (const cut of [1, 2, 3, 5, 6, 7, 8, 100, 345, 346, 350, 70_000, stream.length - 1])
      expect(decodeAll(stream, [cut]), `cut at ${cut}`).toEqual(expected);
  });

  it('joins a fragmented message, with a control frame between its fragments', () => {
    const bytes = Buffer.concat([
      serverFrame('ab', OP_TEXT, false),
      serverFrame('p', OP_PING),
      serverFrame('cd', 0, false),
      serverFrame('ef', 0, true),
    ]);
    expect(decodeAll(bytes, [3, 9])).toEqual([
      [OP_PING, 'p'],
      [OP_TEXT, 'abcdef'],
    ]);
  });

  it('rejects masked server frames and continuations out of place', () => {
    expect(() => decodeAll(Buffer.from([0x81, 0x81, 1, 2, 3, 4, 5]))).toThrow(/masked/);
    expect(() => decodeAll(serverFrame('x', 0))).toThrow(/continuation/);
  });
});

describe('maskedFrame', () => {
  for (const len of [0, 125, 126, 65535, 65536]) {
    it(`masks a ${len}-byte payload the server can unmask`, () => {
      const payload = Buffer.alloc(len, 0x61);
      const f = maskedFrame(OP_TEXT, payload);
      expect(f[0]).toBe(0x81);
      expect((f[1] ?? 0) & 0x80).toBe(0x80);
      const head = len < 126 ? 2 : len < 65536 ? 4 : 10;
      const n = len < 126 ? (f[1] ?? 0) & 0x7f : len < 65536 ? f.readUInt16BE(2) : f.readUInt32BE(6);
      expect(n).toBe(len);
      const mask = f.subarray(head, head + 4);
      const body = Buffer.from(f.subarray(head + 4).map((b, i) => b ^ (mask[i & 3] ?? 0)));
      expect(body.equals(payload)).toBe(true);
    });
  }
});
