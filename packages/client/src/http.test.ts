import { describe, expect, it, vi } from 'vitest';
import { FetchEventSource } from './event-source.ts';
import { createHttp, joinUrl } from './http.ts';

describe('cookie mode (a page the gateway serves)', () => {
  it('keeps relative URLs and sends no Authorization header', async () => {
    const fetch = vi.fn<typeof globalThis.fetch>(() => Promise.resolve(Response.json({ ok: true })));
    const http = createHttp({ url: '', fetch });
    await http.json('GET', '/api/comfy/status/p%201', { query: { previews: 1, skip: undefined } });
    const [url, init] = fetch.mock.calls[0] ?? [];
    expect(url).toBe('/api/comfy/status/p%201?previews=1');
    expect(init?.headers).toEqual({});
    expect(init?.credentials).toBe('same-origin');
  });

  it('joins absolute bases as before', () => {
    expect(joinUrl('http://127.0.0.1:3000', '/api/x', { a: 'b c' })).toBe(
      'http://127.0.0.1:3000/api/x?a=b+c',
    );
  });

  it('reads an event stream from a relative URL', async () => {
    const body = 'event: status\nid: 1\ndata: {"n":1}\n\n';
    const fetch = vi.fn<typeof globalThis.fetch>(() =>
      Promise.resolve(new Response(body, { headers: { 'content-type': 'text/event-stream' } })),
    );
    const es = new FetchEventSource('/trpc/comfy.onStatus', { fetch });
    const event = await new Promise<MessageEvent>((resolve) =>
      es.addEventListener('status', (e) => resolve(e as MessageEvent)),
    );
    es.close();
    expect(event.data).toBe('{"n":1}');
    expect(event.lastEventId).toBe('1');
  });
});
