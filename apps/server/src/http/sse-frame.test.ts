import { describe, expect, it } from 'vitest';
import { SseFrame } from './sse-frame.ts';

describe('SseFrame', () => {
  it('is an HTTP/1.1 chunk of the UTF-8 bytes: hex size, CRLF, the bytes, CRLF', () => {
    const text = 'event: status\ndata: {"name":"chat 猫"}\n\n';
    const frame = new SseFrame(text);
    const size = Buffer.byteLength(text);
    expect(size).toBeGreaterThan(text.length); // multi-byte characters count in bytes
    expect(frame.chunk.toString()).toBe(`${size.toString(16)}\r\n${text}\r\n`);
    expect(frame.body.toString()).toBe(text);
    expect(frame.byteLength).toBe(size);
  });

  it('frames a body of several kilobytes with a multi-digit size', () => {
    const text = `data: ${'x'.repeat(5000)}\n\n`;
    const frame = new SseFrame(text);
    expect(frame.chunk.subarray(0, 6).toString()).toBe(`${(5008).toString(16)}\r\n`);
    expect(frame.chunk.subarray(-2).toString()).toBe('\r\n');
  });
});
