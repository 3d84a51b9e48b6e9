import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { SseWriter } from './sse-writer.ts';
import type { SseSink } from './sse-writer.ts';
import { createWriteBatcher } from './write-batcher.ts';

/** A socket that stops draining on demand: `write` returns false while `full`. */
class FakeSocket extends EventEmitter {
  written: string[] = [];
  full = false;
  ended = false;
  destroyed = false;
  write(chunk: string): boolean {
    this.written.push(chunk);
    return !this.full;
  }
  get writableLength(): number {
    return this.full ? 1024 * 1024 : 0;
  }
  end(): this {
    this.ended = true;
    return this;
  }
  drain(): void {
    this.full = false;
    this.emit('drain');
  }
}

function setup() {
  const turns: (() => void)[] = [];
  const batcher = createWriteBatcher({ defer: (run) => turns.push(run) });
  const socket = new FakeSocket();
  const writer = new SseWriter(socket as unknown as SseSink, batcher);
  const flush = () => {
    while (turns.length > 0) turns.shift()?.();
  };
  return { socket, writer, flush };
}

describe('SseWriter', () => {
  it('writes every frame in order while the socket drains, then ends after the last', () => {
    const { socket, writer, flush } = setup();
    writer.write('s1', 'status');
    writer.write('s2', 'status');
    writer.end();
    expect(socket.written).toEqual([]); // batched: nothing written synchronously
    flush();
    expect(socket.written).toEqual(['s1', 's2']);
    expect(socket.ended).toBe(true);
  });

  it('coalesces statuses while the socket is not draining; done waits for drain and is never dropped', () => {
    const { socket, writer, flush } = setup();
    socket.full = true;
    writer.write('s1', 'status');
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
      writer.write(frame, kind);
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
    socket.write = (chunk: string) => {
      socket.written.push(chunk);
      buffered += chunk.length;
      return buffered < 16 * 1024; // Node's highWaterMark: false long before the backlog limit
    };
    Object.defineProperty(socket, 'writableLength', { get: () => buffered });
    const frame = 'x'.repeat(1000);
    for (let i = 0; i < 100; i++) writer.write(frame, 'status');
    flush();
    expect(socket.written).toHaveLength(100);
    expect(writer.congested).toBe(false);
    for (let i = 0; i < 300; i++) writer.write(frame, 'status');
    flush();
    expect(writer.congested).toBe(true);
    expect(socket.written.length).toBeLessThan(400);
  });

  it('drops what is queued for a client that went away', () => {
    const { socket, writer, flush } = setup();
    writer.write('s1', 'status');
    socket.destroyed = true;
    writer.end();
    flush();
    expect(socket.written).toEqual([]);
    expect(socket.ended).toBe(false);
  });
});
