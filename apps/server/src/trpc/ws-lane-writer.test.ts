import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { LaneWriter } from './ws-lane-writer.ts';

/** A socket whose buffer the test fills and drains; it records what was written, in order. */
class FakeSocket extends EventEmitter {
  writableLength = 0;
  /** Whether writes stay in the buffer (a reader that does not read). */
  holds = true;
  written: string[] = [];
  write(frame: Buffer): boolean {
    this.written.push(frame.toString());
    if (this.holds) this.writableLength += frame.length;
    return true;
  }
  drain(): void {
    this.writableLength = 0;
    this.emit('drain');
  }
}

const f = (s: string) => Buffer.from(s);

describe('LaneWriter', () => {
  it('writes straight through while the socket drains', () => {
    const socket = new FakeSocket();
    const writer = new LaneWriter(socket, 100);
    writer.frame(1, 'status', f('s1'));
    writer.after(1, () => socket.write(f('stopped')));
    expect(socket.written).toEqual(['s1', 'stopped']);
    expect(writer.waiting).toBe(0);
  });

  it('coalesces waiting statuses of a slow socket per subscription: never drops done, never reorders', () => {
    const socket = new FakeSocket();
    const writer = new LaneWriter(socket, 10);
    writer.frame(1, 'status', f('a:1:status-xxxxx')); // fills the buffer past 10 bytes
    for (let id = 2; id <= 6; id++) writer.frame(1, 'status', f(`a:${id}:status`));
    writer.frame(2, 'status', f('b:1:status'));
    writer.frame(1, 'images', f('a:7:images'));
    writer.frame(1, 'status', f('a:8:status'));
    writer.frame(1, 'done', f('a:9:done'));
    writer.after(1, () => socket.write(f('a:stopped')));
    writer.frame(2, 'status', f('b:2:status'));
    expect(socket.written).toEqual(['a:1:status-xxxxx']);
    // The reader catches up: what waits goes out, the latest status of each subscription only.
    socket.holds = false;
    socket.drain();
    expect(socket.written).toEqual([
      'a:1:status-xxxxx',
      'a:7:images',
      'a:8:status',
      'a:9:done',
      'a:stopped',
      'b:2:status',
    ]);
    expect(writer.waiting).toBe(0);
  });

  it('stops flushing when the socket fills again and goes on at the next drain', () => {
    const socket = new FakeSocket();
    const writer = new LaneWriter(socket, 10);
    writer.frame(1, 'status', f('0123456789ab'));
    writer.frame(1, 'images', f('i1-0123456789'));
    writer.frame(1, 'done', f('d1'));
    socket.drain();
    expect(socket.written).toEqual(['0123456789ab', 'i1-0123456789']);
    expect(writer.waiting).toBe(1);
    socket.drain();
    expect(socket.written.at(-1)).toBe('d1');
    // A stopped subscription's waiting frames are dropped: the client reads nothing more of it.
    writer.frame(3, 'status', f('0123456789ab'));
    writer.frame(3, 'status', f('late'));
    writer.drop(3);
    socket.drain();
    expect(socket.written.at(-1)).toBe('0123456789ab');
  });
});
