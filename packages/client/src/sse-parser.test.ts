import { describe, expect, it } from 'vitest';
import { createSseParser, readSseStream } from './sse-parser.ts';
import type { SseItem } from './sse-parser.ts';

const SAMPLE = [
  ': connected',
  '',
  'event: status',
  'id: 1',
  'data: {"a":1}',
  '',
  ': heartbeat',
  '',
  'event: images',
  'id: 2',
  'data: line one',
  'data:line two',
  'data:  two spaces',
  '',
  'retry: 1500',
  'data: no type, id kept',
  '',
  '',
].join('\n');

const EXPECTED: SseItem[] = [
  { type: 'comment', text: 'connected' },
  { type: 'event', event: 'status', data: '{"a":1}', id: '1' },
  { type: 'comment', text: 'heartbeat' },
  { type: 'event', event: 'images', data: 'line one\nline two\n two spaces', id: '2' },
  { type: 'retry', ms: 1500 },
  { type: 'event', event: 'message', data: 'no type, id kept', id: '2' },
];

function parseChunks(chunks: string[]): SseItem[] {
  const parser = createSseParser();
  return chunks.flatMap((c) => parser.feed(c));
}

describe('createSseParser', () => {
  it('parses events, multi-line data, comments, retry and persistent ids', () => {
    expect(parseChunks([SAMPLE])).toEqual(EXPECTED);
  });

  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['CR', '\r'],
  ])('gives the same items with %s line ends', (_name, eol) => {
    expect(parseChunks([SAMPLE.replaceAll('\n', eol)])).toEqual(EXPECTED);
  });

  it('gives the same items whatever the chunk boundaries (every split point, CRLF included)', () => {
    const crlf = SAMPLE.replaceAll('\n', '\r\n');
    for (let i = 0; i <= crlf.length; i++) {
      expect(parseChunks([crlf.slice(0, i), crlf.slice(i)])).toEqual(EXPECTED);
    }
    expect(parseChunks([...crlf])).toEqual(EXPECTED);
  });

  it('does not turn a CR at a chunk end plus an LF in the next chunk into an empty line', () => {
    const items = parseChunks(['data: a\r', '\ndata: b\r', '\n\r', '\n']);
    expect(items).toEqual([{ type: 'event', event: 'message', data: 'a\nb', id: '' }]);
  });

  it('holds back an event until its blank line, and drops one that never completes', () => {
    const parser = createSseParser();
    expect(parser.feed('event: x\ndata: 1\n')).toEqual([]);
    expect(parser.feed('\n')).toEqual([{ type: 'event', event: 'x', data: '1', id: '' }]);
    expect(parser.feed('data: half')).toEqual([]);
    parser.reset();
    expect(parser.feed('\n\n')).toEqual([]);
  });

  it('handles fields without a colon, empty data, unknown fields and events without data', () => {
    const items = parseChunks([
      'data\n\n',
      'data:\ndata:\n\n',
      'foo: bar\nevent: lonely\n\n',
      'data: :colon: inside\n\n',
    ]);
    expect(items).toEqual([
      { type: 'event', event: 'message', data: '', id: '' },
      { type: 'event', event: 'message', data: '\n', id: '' },
      { type: 'event', event: 'message', data: ':colon: inside', id: '' },
    ]);
  });

  it('keeps ids across events and reset, ignores ids with NUL and lets an empty id clear it', () => {
    const parser = createSseParser({ lastEventId: '7' });
    expect(parser.feed('data: a\n\n')).toEqual([{ type: 'event', event: 'message', data: 'a', id: '7' }]);
    parser.feed('id: bad\0id\ndata: b\n\n');
    expect(parser.lastEventId).toBe('7');
    expect(parser.feed('id: 8\n\n')).toEqual([]);
    expect(parser.lastEventId).toBe('8');
    expect(parser.feed('id\ndata: c\n\n')).toEqual([{ type: 'event', event: 'message', data: 'c', id: '' }]);
  });

  it('commits an id only with its complete event, so a frame cut short is asked for again', () => {
    const parser = createSseParser();
    parser.feed('id: 1\ndata: a\n\nid: 2\ndata: b');
    expect(parser.lastEventId).toBe('1');
    parser.reset();
    expect(parser.feed('\n\n')).toEqual([]);
    expect(parser.lastEventId).toBe('1');
  });

  it('ignores a retry that is not all digits', () => {
    expect(parseChunks(['retry: 1s\nretry: -5\nretry: 20\n'])).toEqual([{ type: 'retry', ms: 20 }]);
  });
});

describe('readSseStream', () => {
  it('decodes UTF-8 split across byte chunks and strips a BOM', async () => {
    const bytes = new TextEncoder().encode('\uFEFFevent: status\ndata: {"caption":"café ☕"}\n\n');
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const b of bytes) controller.enqueue(new Uint8Array([b]));
        controller.close();
      },
    });
    let chunks = 0;
    const items: SseItem[] = [];
    for await (const item of readSseStream(stream, createSseParser(), () => chunks++)) items.push(item);
    expect(items).toEqual([{ type: 'event', event: 'status', data: '{"caption":"café ☕"}', id: '' }]);
    expect(chunks).toBe(bytes.length);
  });
});
