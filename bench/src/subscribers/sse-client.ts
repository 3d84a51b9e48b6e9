import { ChunkedDecoder } from './chunked-decoder.ts';
import { headThenBody, requestHead } from './http-head.ts';
import { connectRaw } from './raw-socket.ts';
import { SseParser } from './sse-parser.ts';
import type { Subscription } from './subscription.ts';

/**
 * `GET /api/comfy/stream/:id` on a raw socket: writes the request, reads the head, the chunked
 * framing and the SSE fields itself (see sse-parser.ts). Resolves once the first body bytes arrived
 * (the subscription is live) or the stream failed; `sub` gets every event and the end.
 */
export function openSseStream(base: string, token: string, sub: Subscription): Promise<void> {
  const url = new URL(`/api/comfy/stream/${sub.prompt}`, base);
  return new Promise((resolve) => {
    let t = 0;
    let chunked: ChunkedDecoder | null = null;
    let live = false;
    let over = false;
    const parser = new SseParser(Buffer.from(sub.prompt), (facts) => {
      sub.event(facts, t);
    });
    const finish = (why?: string) => {
      if (over) return;
      over = true;
      sub.end(why);
      socket.destroy();
      resolve();
    };
    const body = (buf: Buffer, from: number, to: number) => {
      if (from >= to) return;
      if (!live) {
        live = true;
        resolve();
      }
      if (!chunked) return parser.feed(buf, from, to);
      chunked.feed(buf, from, to);
      if (chunked.done) finish();
    };
    const read = headThenBody((head, acc) => {
      if (head.status !== 200) return finish(`SSE HTTP ${head.status}`);
      if (/chunked/i.test(head.headers.get('transfer-encoding') ?? ''))
        chunked = new ChunkedDecoder(parser.feed);
      body(acc, head.length, acc.length);
    }, body);
    const socket = connectRaw(url, (buf, n, readAt) => {
      t = readAt;
      read(buf, n);
    });
    socket.on('connect', () =>
      socket.write(
        requestHead('GET', url.pathname, {
          Host: url.host,
          Authorization: `Bearer ${token}`,
          Accept: 'text/event-stream',
        }),
      ),
    );
    socket.on('error', (err) => finish(err.message));
    socket.on('close', () =>
      finish(chunked && !chunked.done ? 'the SSE connection closed before the last chunk' : undefined),
    );
  });
}
