import { describe, expect, it } from 'vitest';
import { headThenBody } from './http-head.ts';

const RESPONSE = Buffer.from(
  'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n',
);

describe('headThenBody', () => {
  it('finds the head across reads split at any byte, once, and passes every body byte on in order', () => {
    for (let cut = 1; cut < RESPONSE.length; cut++) {
      const heads: number[] = [];
      const body: string[] = [];
      const read = headThenBody(
        (head, acc) => {
          heads.push(head.status);
          body.push(acc.toString('latin1', head.length));
        },
        (buf, from, to) => body.push(buf.toString('latin1', from, to)),
      );
      // One reused read buffer, as the raw socket gives.
      const shared = Buffer.alloc(RESPONSE.length);
      for (const part of [RESPONSE.subarray(0, cut), RESPONSE.subarray(cut)]) {
        part.copy(shared);
        read(shared, part.length);
        shared.fill(0);
      }
      expect(heads).toEqual([200]);
      expect(body.join('')).toBe('5\r\nhello\r\n');
    }
  });
});
