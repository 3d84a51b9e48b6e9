import { describe, expect, it } from 'vitest';
import { ChunkedDecoder } from './chunked-decoder.ts';
import type { EventFacts } from './event-scan.ts';
import { parseResponseHead } from './http-head.ts';
import { SseParser } from './sse-parser.ts';

const PROMPT = 'c1fd0032-8053-4b9f-ab77-80c6ec5dccec';
const snapshot = (status: string, value: number, max: number, node: string | null, prompt = PROMPT) =>
  JSON.stringify({
    prompt_id: prompt,
    status,
    queue_position: null,
    progress: { value, max, node, percent: 66.7 },
    current_node: node ? { id: node, class_type: 'KSampler' } : null,
    images: [],
  });
const frame = (event: string, id: number, data: string) => `event: ${event}\nid: ${id}\ndata: ${data}\n\n`;
const chunk = (s: string) => `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;

// What the gateway sends for a 2-step job (one chunk per write, as Node's chunked encoding does).
const HEAD =
  'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nTransfer-Encoding: chunked\r\n\r\n';
const BODY = [
  'retry: 3000\n: connected\n\n',
  frame('status', 1, `{"type":"status","snapshot":${snapshot('queued', 0, 1, null)}}`),
  frame('status', 2, `{"type":"status","snapshot":${snapshot('running', 1, 2, 'sampler')}}`) +
    frame('status', 3, `{"type":"status","snapshot":${snapshot('running', 2, 2, 'sampler')}}`),
  ': heartbeat\n\n',
  frame(
    'images',
    4,
    '{"type":"images","node":"save","images":[{"filename":"a.png","subfolder":"","type":"output"}]}',
  ),
  frame('done', 5, `{"type":"done","snapshot":${snapshot('completed', 0, 1, 'save')}}`),
];
const RESPONSE = Buffer.from(HEAD + BODY.map(chunk).join('') + '0\r\n\r\n');

type Seen = Omit<EventFacts, 'otherPrompt'> & { other: boolean };

/** Feeds `bytes` in the given pieces through head, chunked and SSE parsing. */
function read(bytes: Buffer, cuts: number[], prompt = PROMPT) {
  const events: Seen[] = [];
  const parser = new SseParser(Buffer.from(prompt), (f) =>
    events.push({
      type: f.type,
      id: f.id,
      progress: f.progress,
      node: f.node,
      value: f.value,
      max: f.max,
      other: f.otherPrompt,
    }),
  );
  const chunked = new ChunkedDecoder(parser.feed);
  let pending = Buffer.alloc(0);
  let bodyStarted = false;
  let status = 0;
  let last = 0;
  for (const cut of [...cuts, bytes.length]) {
    // Each piece in a scratch buffer that is overwritten after the call, like the shared read buffer.
    const scratch = Buffer.alloc(bytes.length + 8, 0x7a);
    bytes.copy(scratch, 4, last, cut);
    const from = 4;
    const to = 4 + cut - last;
    last = cut;
    if (bodyStarted) chunked.feed(scratch, from, to);
    else {
      pending = Buffer.concat([pending, scratch.subarray(from, to)]);
      const head = parseResponseHead(pending);
      if (head) {
        bodyStarted = true;
        status = head.status;
        chunked.feed(pending, head.length, pending.length);
      }
    }
    scratch.fill(0x7a);
  }
  return { events, status, done: chunked.done };
}

const EXPECTED: Seen[] = [
  { type: 'status', id: 1, progress: true, node: '', value: 0, max: 1, other: false },
  { type: 'status', id: 2, progress: true, node: 'sampler', value: 1, max: 2, other: false },
  { type: 'status', id: 3, progress: true, node: 'sampler', value: 2, max: 2, other: false },
  { type: 'images', id: 4, progress: false, node: '', value: 0, max: 0, other: false },
  { type: 'done', id: 5, progress: true, node: 'save', value: 0, max: 1, other: false },
];

describe('SSE over chunked HTTP/1.1, read incrementally', () => {
  it('reads every event of a whole response in one read', () => {
    expect(read(RESPONSE, [])).toEqual({ events: EXPECTED, status: 200, done: true });
  });

  it('reads the same events whatever byte the reads split at', () => {
    for (let cut = 1; cut < RESPONSE.length; cut++)
      expect(read(RESPONSE, [cut]), `cut at ${cut}`).toEqual(read(RESPONSE, []));
  });

  it('reads the same events one byte at a time', () => {
    const cuts = Array.from({ length: RESPONSE.length - 1 }, (_, i) => i + 1);
    expect(read(RESPONSE, cuts).events).toEqual(EXPECTED);
  });

  it('flags an event of another prompt', () => {
    const other = read(RESPONSE, [], '00000000-0000-0000-0000-000000000000').events;
    expect(other.map((e) => e.other)).toEqual([true, true, true, false, true]);
  });

  it('takes CRLF line ends, fields in any order, and ignores unknown fields and ids that are not integers', () => {
    const events: { type: string; id: number; value: number }[] = [];
    const p = new SseParser(Buffer.from(PROMPT), (f) =>
      events.push({ type: f.type, id: f.id, value: f.value }),
    );
    const body = Buffer.from(
      `data: {"type":"status","snapshot":{"progress":{"max":9,"value":4,"node":"x"}}}\r\nid: 7\r\nevent: status\r\n\r\n` +
        'foo: bar\nid: 1-2\ndata: {}\n\nevent: nodata\n\n',
    );
    p.feed(body, 0, body.length);
    expect(events).toEqual([
      { type: 'status', id: 7, value: 4 },
      { type: 'message', id: NaN, value: 0 },
    ]);
  });
});

describe('ChunkedDecoder', () => {
  const decode = (s: string) => {
    const out: string[] = [];
    const d = new ChunkedDecoder((b, from, to) => out.push(b.toString('latin1', from, to)));
    d.feed(Buffer.from(s), 0, s.length);
    return { body: out.join(''), done: d.done };
  };

  it('skips chunk extensions and trailer fields', () => {
    expect(decode('3;ext=1\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n')).toEqual({
      body: 'abc0123456789',
      done: true,
    });
  });

  it('is not done before the blank line after the last chunk', () => {
    expect(decode('3\r\nabc\r\n0\r\n')).toEqual({ body: 'abc', done: false });
  });

  it('throws on a size that is not hex and on a chunk without its CRLF', () => {
    expect(() => decode('zz\r\nabc\r\n')).toThrow(/bad chunk size/);
    expect(() => decode('3\r\nabcd\r\n')).toThrow(/no CRLF/);
  });
});

describe('parseResponseHead', () => {
  it('waits for the blank line, then gives status, headers and the body offset', () => {
    expect(parseResponseHead(Buffer.from('HTTP/1.1 200 OK\r\nA: 1\r\n'))).toBeNull();
    const text = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\nrest';
    const head = parseResponseHead(Buffer.from(text));
    expect(head).toMatchObject({ status: 101, length: text.indexOf('rest') });
    expect(head?.headers.get('upgrade')).toBe('websocket');
  });

  it('throws on something that is not HTTP', () => {
    expect(() => parseResponseHead(Buffer.from('SSH-2.0-x\r\n\r\n'))).toThrow(/not an HTTP/);
  });
});
