import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { SseFrame } from './sse-frame.ts';
import type { SseSink } from './sse-frame.ts';
import { SseWriter } from './sse-writer.ts';
import { createWriteBatcher } from './write-batcher.ts';

/** A socket that stops draining on demand: `write` returns false while `full`. */
class FakeSocket extends EventEmitter {
  written: string[] = [];
  full = false;
  ended = false;
  destroyed = false;
  writesWhileCorked = 0;
  write(frame: SseFrame): boolean {
    this.written.push(frame.body.toString());
    if (this.corked > 0) this.writesWhileCorked++;
    return !this.full;
  }
  get writableLength(): number {
    return this.full ? 1024 * 1024 : 0;
  }
  end(): this {
    this.ended = true;
    return this;
  }
  corked = 0;
  cork(): void {
    this.corked++;
  }
  uncork(): void {
    this.corked--;
  }
  drain(): void {
    this.full = false;
    this.emit('drain');
  }
}

const f = (text: string) => new SseFrame(text);

function setup() {
  const turns: (() => void)[] = [];
  const batcher = createWriteBatcher({ defer: (run) => turns.push(run) });
  const socket = new FakeSocket();
  const writer = new SseWriter(socket satisfies SseSink, batcher);
  const flush = () => {
    while (turns.length > 0) turns.shift()?.();
  };
  return { socket, writer, flush };
}

describe('SseWriter', () => {
  it('writes every frame in order while the socket drains, then ends after the last', () => {
    const { socket, writer, flush } = setup();
    writer.write(f('s1'), 'status');
    writer.write(f('s2'), 'status');
    writer.end();
    expect(socket.written).toEqual([]); // batched: nothing written synchronously
    flush();
    expect(socket.written).toEqual(['s1', 's2']);
    expect(socket.ended).toBe(true);
  });

  it('coalesces statuses while the socket is not draining; done waits for drain and is never dropped', () => {
    const { socket, writer, flush } = setup();
    socket.full = true;
    writer.write(f('s1'), 'status');
    flush();
    expect(writer.congested).toBe(true);
    for (const [frame, kind] of [
      ['s2', 'status'],
      ['i3', 'images'],
      ['s4', 'status'],
      ['w5', 'warning'],
      ['s6', 'status'],
      ['d7', 'done'],
    ] as const)
      writer.write(f(frame), kind);
    writer.end();
    flush();
    expect(socket.written).toEqual(['s1']);
    expect(socket.ended).toBe(false);
    socket.drain();
    flush();
    expect(socket.written).toEqual(['s1', 'i3', 'w5', 's6', 'd7']);
    expect(writer.coalesced).toBe(2);
    expect(socket.ended).toBe(true);
  });

  it('keeps writing a burst that Node can buffer: only a backlog past SSE_BACKLOG_BYTES coalesces', () => {
    const { socket, writer, flush } = setup();
    let buffered = 0;
    socket.write = (frame: SseFrame) => {
      socket.written.push(frame.body.toString());
      buffered += frame.byteLength;
      return buffered < 16 * 1024; // Node's highWaterMark: false long before the backlog limit
    };
    Object.defineProperty(socket, 'writableLength', { get: () => buffered });
    const frame = f('x'.repeat(1000));
    for (let i = 0; i < 100; i++) writer.write(frame, 'status');
    flush();
    expect(socket.written).toHaveLength(100);
    expect(writer.congested).toBe(false);
    for (let i = 0; i < 300; i++) writer.write(frame, 'status');
    flush();
    expect(writer.congested).toBe(true);
    expect(socket.written.length).toBeLessThan(400);
  });

  it('hands frames that queued up together to the socket corked (one syscall), a lone frame uncorked', () => {
    const { socket, writer, flush } = setup();
    writer.write(f('s1'), 'status');
    writer.write(f('i2'), 'images');
    flush();
    expect(socket.writesWhileCorked).toBe(2);
    writer.write(f('s3'), 'status');
    flush();
    expect(socket.writesWhileCorked).toBe(2);
    expect(socket.corked).toBe(0);
    expect(socket.written).toEqual(['s1', 'i2', 's3']);
  });

  it('drops what is queued for a client that went away', () => {
    const { socket, writer, flush } = setup();
    writer.write(f('s1'), 'status');
    socket.destroyed = true;
    writer.end();
    flush();
    expect(socket.written).toEqual([]);
    expect(socket.ended).toBe(false);
  });
});
